"""The host's headline shares as the host alerts count them, for any node selector.

The Server dashboard passes its `$node` variable; a chart with no variables passes a
concrete selector. Busy CPU and real filesystems come from the rules' own selectors.
"""

from __future__ import annotations

from sentimon.queries.promql import rate, series, total
from sentimon.queries.rule_source import cpu_busy_modes, real_filesystem


def cores(node: str) -> str:
    """CPUs per host (one idle counter each)."""
    idle = series("node_cpu_seconds_total", f'{node}, mode="idle"')
    return f"count by (instance) ({idle})"


def cpu_busy(node: str) -> str:
    """Busy share per host, as HostHighCpu counts it: iowait and steal are not busy."""
    return (
        f"sum by (instance) ({rate('node_cpu_seconds_total', f'{node}, {cpu_busy_modes()}')})"
        f" / sum by (instance) ({rate('node_cpu_seconds_total', node)})"
    )


def memory_used(node: str) -> str:
    """Used share per host: what is not available (HostHighMemory)."""
    return (
        f"1 - {series('node_memory_MemAvailable_bytes', node)}"
        f" / {series('node_memory_MemTotal_bytes', node)}"
    )


def filesystems(node: str) -> str:
    """Filesystems that hold data, as the HostLowDiskSpace rule selects them."""
    return f"{node}, {real_filesystem()}"


def disk_used(node: str) -> str:
    """Used share per filesystem that holds data (HostLowDiskSpace)."""
    return (
        f"1 - {series('node_filesystem_avail_bytes', filesystems(node))}"
        f" / {series('node_filesystem_size_bytes', filesystems(node))}"
    )


def cpu_busy_per_core(node: str) -> str:
    """Busy share per host and CPU, busy as HostHighCpu counts it: one pinned core shows."""
    return (
        f"sum by (instance, cpu) ({rate('node_cpu_seconds_total', f'{node}, {cpu_busy_modes()}')})"
        f" / sum by (instance, cpu) ({rate('node_cpu_seconds_total', node)})"
    )


def cpu_mode_share(node: str) -> str:
    """Share of each host's CPU time per mode (user, system, iowait, idle, ...); sums to 1."""
    return (
        f"sum by (instance, mode) ({rate('node_cpu_seconds_total', node)})"
        f" / on (instance) group_left () sum by (instance) ({rate('node_cpu_seconds_total', node)})"
    )


def inodes_used(node: str) -> str:
    """Used share of inodes per filesystem that holds data (vfat, which has none, left out)."""
    return (
        f"1 - {series('node_filesystem_files_free', filesystems(node))}"
        f" / ({series('node_filesystem_files', filesystems(node))} > 0)"
    )


def network_interfaces(node: str) -> str:
    """Interfaces that carry the host's traffic: not loopback, not container veths."""
    return f'{node}, device!~"lo|veth.+"'


def per_device_rate(metric: str, selector: str) -> str:
    """A node counter's rate per host and device (disk or interface)."""
    return total(rate(metric, selector), by="instance, device")
