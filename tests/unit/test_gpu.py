"""GPU metrics with a fake NVML, for the failures; tests/gpu reads a real GPU where one is."""

import logging
from types import SimpleNamespace

from prometheus_client import CollectorRegistry

from sentimon.observability.gpu import gpu_collector


class FakeNVMLError(Exception):
    pass


class FakeNVML:
    NVMLError = FakeNVMLError
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, count=2, init_error=None, broken_index=None):
        self.count, self.init_error, self.broken_index = count, init_error, broken_index

    def nvmlInit(self):
        if self.init_error:
            raise FakeNVMLError(self.init_error)

    def nvmlDeviceGetCount(self):
        return self.count

    def nvmlDeviceGetHandleByIndex(self, i):
        if i == self.broken_index:
            raise FakeNVMLError("GPU is lost")
        return i

    def nvmlDeviceGetName(self, h):
        return b"NVIDIA H100" if h == 0 else "NVIDIA H200"

    def nvmlDeviceGetUUID(self, h):
        return f"GPU-{h}"

    def nvmlDeviceGetMemoryInfo(self, h):
        return SimpleNamespace(used=(h + 1) * 2**30, total=80 * 2**30)

    def nvmlDeviceGetUtilizationRates(self, h):
        return SimpleNamespace(gpu=37 + h)

    def nvmlDeviceGetTemperature(self, h, sensor):
        return 55 + h

    def nvmlDeviceGetPowerUsage(self, h):
        return 123_456  # milliwatts


def test_present_gpus_are_reported_with_units():
    registry = CollectorRegistry()
    registry.register(gpu_collector(FakeNVML()))
    first = {"gpu": "0", "name": "NVIDIA H100", "uuid": "GPU-0"}
    second = {"gpu": "1", "name": "NVIDIA H200", "uuid": "GPU-1"}
    assert registry.get_sample_value("gpu_utilization_ratio", first) == 0.37
    assert registry.get_sample_value("gpu_memory_used_bytes", second) == 2 * 2**30
    assert registry.get_sample_value("gpu_memory_total_bytes", first) == 80 * 2**30
    assert registry.get_sample_value("gpu_temperature_celsius", second) == 56
    assert registry.get_sample_value("gpu_power_watts", first) == 123.456


def test_a_failing_gpu_does_not_fail_the_scrape(caplog):
    registry = CollectorRegistry()
    registry.register(gpu_collector(FakeNVML(broken_index=0)))
    with caplog.at_level(logging.WARNING):
        assert (
            registry.get_sample_value(
                "gpu_temperature_celsius", {"gpu": "1", "name": "NVIDIA H200", "uuid": "GPU-1"}
            )
            == 56
        )
    assert "GPU is lost" in caplog.text


def test_no_driver_means_no_collector_and_one_info_line(caplog):
    with caplog.at_level(logging.INFO, logger="sentimon.observability.gpu"):
        assert gpu_collector(FakeNVML(init_error="NVML Shared Library Not Found")) is None
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert "no GPU metrics" in caplog.records[0].getMessage()


def test_driver_without_gpus_means_no_collector():
    assert gpu_collector(FakeNVML(count=0)) is None
