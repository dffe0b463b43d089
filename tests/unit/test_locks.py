"""The lock files in requirements/ against pyproject.toml: each still satisfies what the
project asks for, pins every line with hashes, and the locks agree with one another.

`make lock` rewrites them (docs/development.md#reproducible-installs); these tests fail
when pyproject.toml has moved on without it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCKS = REPO / "requirements"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# Where the locks must install: the images and CI, Python 3.11 on both Linux architectures.
TARGETS = {
    machine: default_environment()
    | {
        "implementation_name": "cpython",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": "3.11.2",
        "python_version": "3.11",
        "sys_platform": "linux",
    }
    for machine in ("x86_64", "aarch64")
}


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> str:
        return next(iter(self.requirement.specifier)).version


def _pins(lock: str) -> list[Pin]:
    """Every requirement in a lock file, its continuation lines joined."""
    text = (LOCKS / lock).read_text()
    logical = re.sub(r"\\\n", " ", text).splitlines()
    pins = []
    for line in logical:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        hashes = tuple(re.findall(r"--hash=(\S+)", line))
        pins.append(Pin(Requirement(re.sub(r"--hash=\S+", "", line).strip()), hashes))
    return pins


def _resolved(lock: str, machine: str) -> dict[str, Pin]:
    """What pip installs from a lock on one target: the pins whose markers hold there."""
    env = TARGETS[machine]
    chosen: dict[str, Pin] = {}
    for pin in _pins(lock):
        marker = pin.requirement.marker
        if marker is None or marker.evaluate(env):
            name = canonicalize_name(pin.requirement.name)
            assert name not in chosen, f"{lock}: two pins of {name} on {machine}"
            chosen[name] = pin
    return chosen


def _direct(*extras: str) -> list[Requirement]:
    specs = [*PROJECT["dependencies"]]
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def _torch_pin() -> Requirement:
    (line,) = [
        line
        for line in (LOCKS / "torch.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return Requirement(line)


def _assert_satisfies(lock: str, wanted: list[Requirement], machine: str) -> None:
    pins = _resolved(lock, machine)
    for req in wanted:
        if req.marker is not None and not req.marker.evaluate(TARGETS[machine]):
            continue
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{lock} lacks {req} on {machine}: run make lock"
        assert req.specifier.contains(pin.version, prereleases=True), (
            f"{lock} pins {pin.requirement.name}=={pin.version}, pyproject.toml asks {req}: "
            "run make lock"
        )
        missing = req.extras - pin.requirement.extras
        assert not missing, f"{lock}: {req.name} without the extras {sorted(missing)}"


@pytest.mark.parametrize("machine", TARGETS)
def test_runtime_lock_satisfies_the_project_dependencies(machine):
    _assert_satisfies("runtime.txt", _direct(), machine)


@pytest.mark.parametrize("machine", TARGETS)
def test_dev_lock_satisfies_the_dev_and_train_extras_except_torch(machine):
    wanted = _direct("dev", "train")
    _assert_satisfies("dev.txt", [r for r in wanted if r.name != "torch"], machine)
    assert "torch" not in _resolved("dev.txt", machine), "torch is installed on its own"
    (torch,) = [r for r in wanted if r.name == "torch"]
    assert torch.specifier.contains(next(iter(_torch_pin().specifier)).version)


def test_dev_lock_holds_the_cpu_torch_dependencies_not_cuda():
    """Locked against the CPU wheel (TORCH_WHEELS): CI installs no CUDA libraries."""
    cuda = [n for n in _resolved("dev.txt", "x86_64") if re.match(r"nvidia-cu|cuda-|triton", n)]
    assert not cuda, f"dev.txt was locked against a CUDA build of torch: {cuda}"


def test_make_installs_the_torch_the_dev_lock_was_made_for():
    makefile = (REPO / "Makefile").read_text()
    (default,) = re.findall(r"^TORCH \?= (\S+)$", makefile, re.M)
    assert Requirement(default) == _torch_pin()


@pytest.mark.parametrize("machine", TARGETS)
def test_tests_run_the_versions_that_ship(machine):
    dev = _resolved("dev.txt", machine)
    for name, pin in _resolved("runtime.txt", machine).items():
        assert dev[name].version == pin.version, f"{name}: runtime.txt and dev.txt differ"


@pytest.mark.parametrize("machine", TARGETS)
def test_gpu_lock_swaps_onnxruntime_and_keeps_the_runtime_pins(machine):
    (onnxruntime,) = [r for r in _direct() if r.name == "onnxruntime"]
    gpu = _resolved("onnxruntime-gpu.txt", machine)
    assert onnxruntime.specifier.contains(gpu.pop("onnxruntime-gpu").version)
    runtime = _resolved("runtime.txt", machine)
    for name, pin in gpu.items():
        assert runtime[name].version == pin.version, f"{name}: the GPU image would differ"


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt", "onnxruntime-gpu.txt"])
def test_every_line_is_pinned_with_hashes(lock):
    pins = _pins(lock)
    assert pins
    for pin in pins:
        (spec,) = pin.requirement.specifier
        assert spec.operator == "==", f"{lock}: {pin.requirement} is not pinned"
        assert pin.hashes, f"{lock}: {pin.requirement} has no --hash"
        assert all(h.startswith("sha256:") for h in pin.hashes)
