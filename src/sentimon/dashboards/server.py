"""Server: the host (node_exporter), the API's worker processes, and the GPU when there is one."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.dashboards.layout import Section, row, sentimon_dashboard
from sentimon.dashboards.panels import bargauge_panel, stat_panel, timeseries_panel
from sentimon.dashboards.queries import prom
from sentimon.dashboards.thresholds import (
    Steps,
    bad_above,
)
from sentimon.dashboards.variables import instance_variable, query_variable
from sentimon.queries import host
from sentimon.queries.promql import (
    INSTANCE,
    SENTIMON_JOB,
    rate,
    series,
    total,
)
from sentimon.queries.rule_source import alert_lines

UID = "sentimon-server"

_NODE = 'instance=~"$node"'
_NIC = f'{_NODE}, device!~"lo|veth.+"'
_WORKERS = f"{SENTIMON_JOB}, {INSTANCE}"
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


def _per_device(metric: str, selector: str) -> str:
    return total(rate(metric, selector), by="instance, device")


def _bytes_per_device(title: str, selector: str, metrics: dict[str, str]) -> timeseries.Panel:
    """Bytes per second per host and device, one query per {metric: legend word}."""
    return timeseries_panel(
        title,
        [
            prom(_per_device(metric, selector), f"{word} {_DEVICE}")
            for metric, word in metrics.items()
        ],
        unit="Bps",
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
            query_variable("node", "host", "label_values(node_uname_info, instance)"),
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
                        description=f"HostHighCpu fires above {lines.cpu_busy:.0%} for 5 minutes.",
                    ),
                    _worst_host(
                        "Memory used",
                        host.memory_used(_NODE),
                        unit="percentunit",
                        steps=_memory_steps(),
                        description=f"HostHighMemory fires above {lines.memory_used:.0%}"
                        " for 5 minutes.",
                    ),
                    _worst_host(
                        "Fullest filesystem",
                        host.disk_used(_NODE),
                        unit="percentunit",
                        steps=_disk_steps(),
                        description="HostLowDiskSpace fires when less than"
                        f" {1 - lines.disk_used:.0%} is free.",
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
                        "Load average",
                        [
                            prom(series("node_load1", _NODE), "1m {{instance}}"),
                            prom(series("node_load5", _NODE), "5m {{instance}}"),
                            prom(series("node_load15", _NODE), "15m {{instance}}"),
                            prom(host.cores(_NODE), "cores {{instance}}"),
                        ],
                        unit="short",
                    ),
                ],
                [
                    _used_share(
                        "Memory used (1 - MemAvailable / MemTotal)",
                        host.memory_used(_NODE),
                        _memory_steps(),
                    ),
                    bargauge_panel(
                        "Disk used per filesystem",
                        prom(host.disk_used(_NODE), "{{instance}} {{mountpoint}}"),
                        unit="percentunit",
                        steps=_disk_steps(),
                        description="Real filesystems only: no tmpfs, overlay or pseudo"
                        " filesystems.",
                    ),
                ],
            ),
            row(
                "Disk and network IO",
                [
                    _bytes_per_device(
                        "Disk read / written",
                        _NODE,
                        {
                            "node_disk_read_bytes_total": "read",
                            "node_disk_written_bytes_total": "written",
                        },
                    ),
                    timeseries_panel(
                        "Disk busy (IO time)",
                        [prom(_per_device("node_disk_io_time_seconds_total", _NODE), _DEVICE)],
                        unit="percentunit",
                        max_val=1,
                    ),
                    _bytes_per_device(
                        "Network received / sent",
                        _NIC,
                        {
                            "node_network_receive_bytes_total": "in",
                            "node_network_transmit_bytes_total": "out",
                        },
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
                                rate("process_cpu_seconds_total", _WORKERS),
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
                                series("process_resident_memory_bytes", _WORKERS),
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
