"""GPU metrics from the real NVML, on a machine with an NVIDIA GPU; skipped, with the reason,
everywhere else (CI has none). Needs only prometheus_client and nvidia-ml-py, so it also
runs where the rest of sentimon's dependencies are not installed:

    PYTHONPATH=src python -m pytest --noconftest tests/gpu
"""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sentimon.observability.gpu import gpu_collector

FAMILIES = (
    "gpu_utilization_ratio",
    "gpu_memory_used_bytes",
    "gpu_memory_total_bytes",
    "gpu_temperature_celsius",
    "gpu_power_watts",
)


def _nvml():
    pynvml = pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed")
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
    except pynvml.NVMLError as exc:
        pytest.skip(f"NVML finds no GPU driver here: {exc}")
    if count == 0:
        pytest.skip("NVML finds no GPU here")
    return pynvml, count


def _scrape(collector) -> dict[str, dict[str, float]]:
    """What a Prometheus scrape reads: family -> {gpu index: value}."""
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        family.name: {s.labels["gpu"]: s.value for s in family.samples}
        for family in text_string_to_metric_families(text)
    }


def test_every_gpu_nvml_sees_has_every_metric_with_sane_values():
    nvml, count = _nvml()
    collector = gpu_collector(nvml)
    assert collector is not None and collector.count == count
    scraped = _scrape(collector)
    assert set(FAMILIES) <= set(scraped)
    gpus = {str(i) for i in range(count)}
    for name in FAMILIES:
        assert set(scraped[name]) == gpus, name
    for gpu in gpus:
        total, used = scraped["gpu_memory_total_bytes"][gpu], scraped["gpu_memory_used_bytes"][gpu]
        assert total > 1 << 30 and 0 <= used <= total
        assert 0 <= scraped["gpu_utilization_ratio"][gpu] <= 1
        assert 5 < scraped["gpu_temperature_celsius"][gpu] < 110
        assert 0 < scraped["gpu_power_watts"][gpu] < 2000


def _torch_on_the_gpu():
    """PyTorch to put work on the GPU, the collector, and the GPU's index; or skip."""
    nvml, _ = _nvml()
    torch = pytest.importorskip("torch", reason="PyTorch, to load the GPU, is not installed")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch cannot reach the GPU here")
    return torch, gpu_collector(nvml), torch.cuda.current_device()


def test_memory_used_follows_an_allocation_on_the_gpu():
    torch, collector, device = _torch_on_the_gpu()
    before = _scrape(collector)["gpu_memory_used_bytes"][str(device)]
    block = torch.empty(4 << 30, dtype=torch.uint8, device=f"cuda:{device}")  # 4 GiB
    block.fill_(1)
    torch.cuda.synchronize()
    during = _scrape(collector)["gpu_memory_used_bytes"][str(device)]
    del block
    torch.cuda.empty_cache()
    assert during - before >= 0.95 * (4 << 30), (before, during)


def test_utilization_rises_while_kernels_run():
    torch, collector, device = _torch_on_the_gpu()
    a = torch.randn(8192, 8192, device=f"cuda:{device}", dtype=torch.bfloat16)
    deadline = time.monotonic() + 2  # NVML averages utilisation over up to a second
    while time.monotonic() < deadline:
        for _ in range(20):
            a = (a @ a).clamp_(-1, 1)
        torch.cuda.synchronize()
    busy = _scrape(collector)["gpu_utilization_ratio"][str(device)]
    assert busy > 0.5, busy
