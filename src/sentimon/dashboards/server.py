"""Server: the host (node_exporter), the API's worker processes, and the GPU when there is one."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from sentimon.dashboards.common import (
    BAD,
    OK,
    REAL_FILESYSTEM,
    SENTIMON_JOB,
    WARN,
    bargauge_panel,
    base_dashboard,
    instance_variable,
    prom,
    query_variable,
    stat_panel,
    timeseries_panel,
)

UID = "sentimon-server"

_NODE = 'instance=~"$node"'
_FS = f"{_NODE}, {REAL_FILESYSTEM}"
_NIC = f'{_NODE}, device!~"lo|veth.+"'
_WORKERS = f'{SENTIMON_JOB}, instance=~"$instance"'
_GPU = 'instance=~"$instance"'
NO_GPU = "no GPU"

_IDLE = f'node_cpu_seconds_total{{{_NODE}, mode="idle"}}'
CORES = f"count by (instance) ({_IDLE})"
CPU_BUSY = f"1 - avg by (instance) (rate({_IDLE}[$__rate_interval]))"
MEMORY_USED = (
    f"1 - node_memory_MemAvailable_bytes{{{_NODE}}} / node_memory_MemTotal_bytes{{{_NODE}}}"
)
DISK_USED = f"1 - node_filesystem_avail_bytes{{{_FS}}} / node_filesystem_size_bytes{{{_FS}}}"


def _node_rate(metric: str, sel: str) -> str:
    return f"sum by (instance, device) (rate({metric}{{{sel}}}[$__rate_interval]))"


def _gpu_row() -> Row:
    """Collapsed: on CPU-only hosts the panels say 'no GPU' instead of looking broken."""
    return (
        Row("GPU")
        .collapsed(True)
        .with_panel(
            timeseries_panel(
                "GPU utilisation (sentimon, NVML)",
                [prom(f"gpu_utilization_ratio{{{_GPU}}}", "{{instance}} gpu{{gpu}} {{name}}")],
                unit="percentunit",
                max_val=1,
                no_value=NO_GPU,
            )
        )
        .with_panel(
            timeseries_panel(
                "GPU memory used",
                [
                    prom(
                        f"gpu_memory_used_bytes{{{_GPU}}} / gpu_memory_total_bytes{{{_GPU}}}",
                        "{{instance}} gpu{{gpu}}",
                    )
                ],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.9, BAD)),
                no_value=NO_GPU,
            )
        )
        .with_panel(
            timeseries_panel(
                "GPU temperature",
                [prom(f"gpu_temperature_celsius{{{_GPU}}}", "{{instance}} gpu{{gpu}}")],
                unit="celsius",
                min_val=None,
                no_value=NO_GPU,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "GPU power",
                [prom(f"gpu_power_watts{{{_GPU}}}", "{{instance}} gpu{{gpu}}")],
                unit="watt",
                no_value=NO_GPU,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "GPU utilisation (dcgm-exporter)",
                [prom("DCGM_FI_DEV_GPU_UTIL", "{{Hostname}} gpu{{gpu}} {{modelName}}")],
                unit="percent",
                max_val=100,
                no_value="no dcgm-exporter (Compose profile gpu)",
                description="From dcgm-exporter, which runs in the Compose gpu profile.",
                width=8,
            )
        )
    )


def build() -> Dashboard:
    return (
        base_dashboard(
            UID,
            "sentimon / Server",
            "The host (node_exporter), the API workers' processes and the GPU.",
        )
        .with_variable(query_variable("node", "host", "label_values(node_uname_info, instance)"))
        .with_variable(instance_variable())
        .with_row(Row("Host now"))
        .with_panel(
            stat_panel(
                "CPU busy",
                prom(f"max({CPU_BUSY})"),
                unit="percentunit",
                steps=((None, OK), (0.7, BAD)),
                description="HostHighCpu fires above 70% for 5 minutes.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Memory used",
                prom(f"max({MEMORY_USED})"),
                unit="percentunit",
                steps=((None, OK), (0.85, BAD)),
                description="HostHighMemory fires above 85% for 5 minutes.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Fullest filesystem",
                prom(f"max({DISK_USED})"),
                unit="percentunit",
                steps=((None, OK), (0.8, WARN), (0.9, BAD)),
                description="HostLowDiskSpace fires when less than 10% is free.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Load (1 m) per core",
                prom(f"max(node_load1{{{_NODE}}} / on (instance) {CORES})"),
                unit="short",
                steps=((None, OK), (1, WARN), (2, BAD)),
                decimals=2,
                width=6,
            )
        )
        .with_row(Row("CPU and memory"))
        .with_panel(
            timeseries_panel(
                "CPU busy",
                [prom(CPU_BUSY, "{{instance}}")],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.7, BAD)),
                threshold_line=True,
            )
        )
        .with_panel(
            timeseries_panel(
                "Load average",
                [
                    prom(f"node_load1{{{_NODE}}}", "1m {{instance}}", ref="A"),
                    prom(f"node_load5{{{_NODE}}}", "5m {{instance}}", ref="B"),
                    prom(f"node_load15{{{_NODE}}}", "15m {{instance}}", ref="C"),
                    prom(CORES, "cores {{instance}}", ref="D"),
                ],
                unit="short",
            )
        )
        .with_panel(
            timeseries_panel(
                "Memory used (1 - MemAvailable / MemTotal)",
                [prom(MEMORY_USED, "{{instance}}")],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.85, BAD)),
                threshold_line=True,
            )
        )
        .with_panel(
            bargauge_panel(
                "Disk used per filesystem",
                prom(DISK_USED, "{{instance}} {{mountpoint}}"),
                unit="percentunit",
                steps=((None, OK), (0.8, WARN), (0.9, BAD)),
                description="Real filesystems only: no tmpfs, overlay or pseudo filesystems.",
            )
        )
        .with_row(Row("Disk and network IO"))
        .with_panel(
            timeseries_panel(
                "Disk read / written",
                [
                    prom(
                        _node_rate("node_disk_read_bytes_total", _NODE),
                        "read {{instance}} {{device}}",
                        ref="A",
                    ),
                    prom(
                        _node_rate("node_disk_written_bytes_total", _NODE),
                        "written {{instance}} {{device}}",
                        ref="B",
                    ),
                ],
                unit="Bps",
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Disk busy (IO time)",
                [
                    prom(
                        _node_rate("node_disk_io_time_seconds_total", _NODE),
                        "{{instance}} {{device}}",
                    )
                ],
                unit="percentunit",
                max_val=1,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Network received / sent",
                [
                    prom(
                        _node_rate("node_network_receive_bytes_total", _NIC),
                        "in {{instance}} {{device}}",
                        ref="A",
                    ),
                    prom(
                        _node_rate("node_network_transmit_bytes_total", _NIC),
                        "out {{instance}} {{device}}",
                        ref="B",
                    ),
                ],
                unit="Bps",
                width=8,
            )
        )
        .with_row(Row("API workers"))
        .with_panel(
            timeseries_panel(
                "Worker CPU",
                [
                    prom(
                        f"rate(process_cpu_seconds_total{{{_WORKERS}}}[$__rate_interval])",
                        "{{instance}} pid {{pid}}",
                    )
                ],
                unit="percentunit",
                description="One series per worker process (label pid) with --workers N.",
            )
        )
        .with_panel(
            timeseries_panel(
                "Worker resident memory",
                [
                    prom(
                        f"process_resident_memory_bytes{{{_WORKERS}}}",
                        "{{instance}} pid {{pid}}",
                    )
                ],
                unit="bytes",
            )
        )
        .with_row(_gpu_row())
    )
