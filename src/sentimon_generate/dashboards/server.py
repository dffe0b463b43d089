"""Server: the host (node_exporter), the API's worker processes, and the GPU when there is one."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.queries import host
from sentimon.queries.promql import (
    INSTANCE,
    NODE_JOB,
    rate,
    series,
)
from sentimon.queries.rule_source import alert_lines
from sentimon_generate.dashboards.frame import Section, row, sentimon_dashboard
from sentimon_generate.dashboards.panels import bargauge_panel, stat_panel, timeseries_panel
from sentimon_generate.dashboards.targets import prom
from sentimon_generate.dashboards.thresholds import (
    Steps,
    bad_above,
)
from sentimon_generate.dashboards.variables import instance_variable, query_variable

UID = "sentimon-server"

# The job as well as the host: under the Operator other jobs (the kubelet, say) may carry an
# instance label of the same form, and $node is `.*` when All is picked.
_NODE = f'{NODE_JOB}, instance=~"$node"'
_NIC = host.network_interfaces(_NODE)
NO_GPU = "no GPU"
_DEVICE = "{{instance}} {{device}}"
_GPU_LEGEND = "{{instance}} gpu{{gpu}}"


def _cpu_steps() -> Steps:
    lines = alert_lines()
    return bad_above(lines.cpu_busy, warn=lines.cpu_busy_warning)


def _memory_steps() -> Steps:
    lines = alert_lines()
    return bad_above(lines.memory_used, warn=lines.memory_used_warning)


def _disk_steps() -> Steps:
    lines = alert_lines()
    return bad_above(lines.disk_used, warn=lines.disk_used_warning)


def _worst_host(title: str, expr: str, **options: Any) -> stat.Panel:
    """The highest value over the selected hosts, now."""
    return stat_panel(title, prom(f"max({expr})"), **options)


def _used_share(title: str, expr: str, steps: Steps) -> timeseries.Panel:
    """A share of a resource per host, with the alert threshold drawn."""
    return timeseries_panel(
        title,
        [prom(expr, "{{instance}}")],
        unit="percentunit",
        max_val=1,
        steps=steps,
        threshold_line=True,
    )


def _memory_breakdown() -> timeseries.Panel:
    """Where the memory is, in bytes: what the used share of HostHighMemory is made of."""

    def memory(field: str) -> str:
        return series(f"node_memory_{field}_bytes", _NODE)

    return timeseries_panel(
        "Memory breakdown",
        [
            prom(memory("MemTotal"), "total {{instance}}"),
            prom(f"{memory('MemTotal')} - {memory('MemAvailable')}", "used {{instance}}"),
            prom(memory("MemAvailable"), "available {{instance}}"),
            prom(
                f"{memory('Buffers')} + {memory('Cached')} + {memory('SReclaimable')}",
                "buffers and cache {{instance}}",
            ),
            prom(f"{memory('SwapTotal')} - {memory('SwapFree')}", "swap used {{instance}}"),
        ],
        unit="bytes",
        description="Used is total minus available, as HostHighMemory counts it. Buffers and "
        "cache (page cache and reclaimable slab) are mostly available: the kernel gives them "
        "back on demand. Swap used above zero while memory is short: the host is swapping.",
    )


_per_device = host.per_device_rate


def _per_second_per_device(
    title: str, selector: str, metrics: dict[str, str], *, unit: str = "Bps", description: str = ""
) -> timeseries.Panel:
    """A rate per host and device, one query per {metric: legend word}."""
    return timeseries_panel(
        title,
        [
            prom(_per_device(metric, selector), f"{word} {_DEVICE}")
            for metric, word in metrics.items()
        ],
        unit=unit,
        description=description,
    )


def _gpu(
    title: str, expr: str, unit: str, *, legend: str = _GPU_LEGEND, **options: Any
) -> timeseries.Panel:
    """A sentimon NVML gauge; on a host without a GPU it says so instead of looking broken."""
    return timeseries_panel(title, [prom(expr, legend)], unit=unit, no_value=NO_GPU, **options)


def _gpu_row() -> Section:
    """Collapsed: most hosts have no GPU."""
    return row(
        "GPU",
        [
            _gpu(
                "GPU utilisation (sentimon, NVML)",
                series("gpu_utilization_ratio", INSTANCE),
                "percentunit",
                legend=_GPU_LEGEND + " {{name}}",
                max_val=1,
            ),
            _gpu(
                "GPU memory used",
                f"{series('gpu_memory_used_bytes', INSTANCE)}"
                f" / {series('gpu_memory_total_bytes', INSTANCE)}",
                "percentunit",
                max_val=1,
                steps=bad_above(0.9),
            ),
        ],
        [
            _gpu(
                "GPU temperature",
                series("gpu_temperature_celsius", INSTANCE),
                "celsius",
                min_val=None,
            ),
            _gpu("GPU power", series("gpu_power_watts", INSTANCE), "watt"),
            timeseries_panel(
                "GPU utilisation (dcgm-exporter)",
                [prom("DCGM_FI_DEV_GPU_UTIL", "{{Hostname}} gpu{{gpu}} {{modelName}}")],
                unit="percent",
                max_val=100,
                no_value="no dcgm-exporter (Compose profile gpu)",
                description="From dcgm-exporter, which runs in the Compose gpu profile.",
            ),
        ],
        collapsed=True,
    )


def build() -> Dashboard:
    lines = alert_lines()
    return sentimon_dashboard(
        UID,
        "sentimon / Server",
        "The host (node_exporter), the API workers' processes and the GPU.",
        variables=[
            query_variable(
                "node", "host", f"label_values({series('node_uname_info', NODE_JOB)}, instance)"
            ),
            instance_variable(),
        ],
        sections=[
            row(
                "Host now",
                [
                    _worst_host(
                        "CPU busy",
                        host.cpu_busy(_NODE),
                        unit="percentunit",
                        steps=_cpu_steps(),
                        description=f"HostHighCpu: warning above {lines.cpu_busy_warning:.0%},"
                        f" critical above {lines.cpu_busy:.0%}.",
                    ),
                    _worst_host(
                        "Memory used",
                        host.memory_used(_NODE),
                        unit="percentunit",
                        steps=_memory_steps(),
                        description="HostHighMemory: warning above"
                        f" {lines.memory_used_warning:.0%}, critical above"
                        f" {lines.memory_used:.0%}.",
                    ),
                    _worst_host(
                        "Fullest filesystem",
                        host.disk_used(_NODE),
                        unit="percentunit",
                        steps=_disk_steps(),
                        description="HostLowDiskSpace: warning when less than"
                        f" {1 - lines.disk_used_warning:.0%} is free, critical under"
                        f" {1 - lines.disk_used:.0%}.",
                    ),
                    _worst_host(
                        "Load (1 m) per core",
                        f"{series('node_load1', _NODE)} / on (instance) {host.cores(_NODE)}",
                        unit="short",
                        steps=bad_above(2, warn=1),
                        decimals=2,
                    ),
                ],
            ),
            row(
                "CPU and memory",
                [
                    _used_share("CPU busy", host.cpu_busy(_NODE), _cpu_steps()),
                    timeseries_panel(
                        "CPU busy per core",
                        [prom(host.cpu_busy_per_core(_NODE), "{{instance}} cpu{{cpu}}")],
                        unit="percentunit",
                        max_val=1,
                        steps=_cpu_steps(),
                        description="Busy as HostHighCpu counts it, per CPU: one core pinned "
                        "near 100% while the others idle is a single-threaded process.",
                    ),
                    timeseries_panel(
                        "CPU time by mode",
                        [prom(host.cpu_mode_share(_NODE), "{{instance}} {{mode}}")],
                        unit="percentunit",
                        stacked=True,
                        description="Share of each host's CPU time per mode (user, system, "
                        "iowait, steal, idle, ...). iowait is waiting on disks, steal is "
                        "taken by the hypervisor: HostHighCpu counts neither as busy.",
                    ),
                ],
                [
                    timeseries_panel(
                        "Load average",
                        [
                            prom(series("node_load1", _NODE), "1m {{instance}}"),
                            prom(series("node_load5", _NODE), "5m {{instance}}"),
                            prom(series("node_load15", _NODE), "15m {{instance}}"),
                            prom(host.cores(_NODE), "cores {{instance}}"),
                        ],
                        unit="short",
                    ),
                    _used_share(
                        "Memory used (1 - MemAvailable / MemTotal)",
                        host.memory_used(_NODE),
                        _memory_steps(),
                    ),
                    _memory_breakdown(),
                ],
                [
                    bargauge_panel(
                        "Disk used per filesystem",
                        prom(host.disk_used(_NODE), "{{instance}} {{mountpoint}}"),
                        unit="percentunit",
                        steps=_disk_steps(),
                        description="Real filesystems only: no tmpfs, overlay or pseudo"
                        " filesystems.",
                    ),
                    bargauge_panel(
                        "Inodes used per filesystem",
                        prom(host.inodes_used(_NODE), "{{instance}} {{mountpoint}}"),
                        unit="percentunit",
                        steps=_disk_steps(),
                        description="Real filesystems; a filesystem out of inodes refuses new "
                        "files with free space left. No alert reads it: it is coloured at the "
                        "disk space thresholds.",
                    ),
                ],
            ),
            row(
                "Disk and network IO",
                [
                    _per_second_per_device(
                        "Disk read / written",
                        _NODE,
                        {
                            "node_disk_read_bytes_total": "read",
                            "node_disk_written_bytes_total": "written",
                        },
                    ),
                    _per_second_per_device(
                        "Disk operations / s",
                        _NODE,
                        {
                            "node_disk_reads_completed_total": "reads",
                            "node_disk_writes_completed_total": "writes",
                        },
                        unit="iops",
                    ),
                    timeseries_panel(
                        "Disk busy (IO time)",
                        [prom(_per_device("node_disk_io_time_seconds_total", _NODE), _DEVICE)],
                        unit="percentunit",
                        max_val=1,
                    ),
                ],
                [
                    _per_second_per_device(
                        "Network received / sent",
                        _NIC,
                        {
                            "node_network_receive_bytes_total": "in",
                            "node_network_transmit_bytes_total": "out",
                        },
                    ),
                    _per_second_per_device(
                        "Network packets / s",
                        _NIC,
                        {
                            "node_network_receive_packets_total": "in",
                            "node_network_transmit_packets_total": "out",
                        },
                        unit="pps",
                    ),
                    _per_second_per_device(
                        "Network errors and drops / s",
                        _NIC,
                        {
                            "node_network_receive_errs_total": "errors in",
                            "node_network_transmit_errs_total": "errors out",
                            "node_network_receive_drop_total": "dropped in",
                            "node_network_transmit_drop_total": "dropped out",
                        },
                        unit="pps",
                        description="Packets an interface could not receive or send (errors) "
                        "or threw away (drops, often a full queue). Anything but zero for long "
                        "is worth a look: a bad link, a driver, or more traffic than it takes.",
                    ),
                ],
            ),
            row(
                "API workers",
                [
                    timeseries_panel(
                        "Worker CPU",
                        [
                            prom(
                                rate("process_cpu_seconds_total", INSTANCE),
                                "{{instance}} pid {{pid}}",
                            )
                        ],
                        unit="percentunit",
                        description="One series per worker process (label pid) with --workers N.",
                    ),
                    timeseries_panel(
                        "Worker resident memory",
                        [
                            prom(
                                series("process_resident_memory_bytes", INSTANCE),
                                "{{instance}} pid {{pid}}",
                            )
                        ],
                        unit="bytes",
                    ),
                ],
            ),
            _gpu_row(),
        ],
    )
