"""GPU metrics from NVML, read at scrape time; no series at all on a machine without a GPU."""

from __future__ import annotations

import logging
from types import ModuleType

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class GpuCollector(Collector):
    """Utilisation, memory, temperature and power of every GPU NVML sees."""

    def __init__(self, nvml: ModuleType) -> None:
        self.nvml = nvml
        self.count = nvml.nvmlDeviceGetCount()

    def collect(self):
        nvml = self.nvml
        labels = ["gpu", "name", "uuid"]
        util = GaugeMetricFamily(
            "gpu_utilization_ratio", "Share of time a kernel ran on the GPU.", labels=labels
        )
        used = GaugeMetricFamily("gpu_memory_used_bytes", "GPU memory in use.", labels=labels)
        total = GaugeMetricFamily("gpu_memory_total_bytes", "GPU memory in all.", labels=labels)
        temp = GaugeMetricFamily("gpu_temperature_celsius", "GPU core temperature.", labels=labels)
        power = GaugeMetricFamily("gpu_power_watts", "GPU power draw.", labels=labels)
        for index in range(self.count):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                values = [
                    str(index),
                    _text(nvml.nvmlDeviceGetName(handle)),
                    _text(nvml.nvmlDeviceGetUUID(handle)),
                ]
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                util.add_metric(values, nvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100)
                used.add_metric(values, memory.used)
                total.add_metric(values, memory.total)
                temp.add_metric(
                    values, nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
                )
                power.add_metric(values, nvml.nvmlDeviceGetPowerUsage(handle) / 1000)
            except nvml.NVMLError as exc:  # a GPU that fell off the bus must not fail the scrape
                logger.warning("NVML could not read GPU %d: %s", index, exc)
        yield from (util, used, total, temp, power)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def gpu_collector(nvml: ModuleType | None = None) -> GpuCollector | None:
    """A collector when NVML finds at least one GPU; else None, said once at INFO."""
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError:
            logger.info("no GPU metrics: the nvidia-ml-py package is not installed")
            return None
    try:
        nvml.nvmlInit()
        collector = GpuCollector(nvml)
    except nvml.NVMLError as exc:
        logger.info("no GPU metrics: NVML is not available here (%s)", exc)
        return None
    if collector.count == 0:
        logger.info("no GPU metrics: NVML found no GPU")
        return None
    logger.info("GPU metrics on for %d GPU(s)", collector.count)
    return collector
