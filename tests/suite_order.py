"""The order `make test` starts the test files in."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
# `make test` hands whole files to parallel workers in collection order (pytest-xdist's
# loadfile, not reordered), and a worker takes its next file while its last tests run.
# The longest files go first, so that none starts late and finishes alone; their seconds
# of one `make test` here (--durations=0, summed per file) in brackets. Any order is
# correct; this one is only fast.
SLOWEST_FIRST = (
    "compose/test_compose_stack.py",  # 268, and building the images on a fresh machine
    "e2e/test_model_alerts.py",  # 271
    "integration/test_stack.py",  # 229
    "e2e/test_alert_drill.py",  # 121
    "integration/test_training_smoke.py",  # 103
    "e2e/test_demo.py",  # 77
    "integration/test_web_page.py",  # 72
    "e2e/test_slo_alerts.py",  # 68
    "integration/test_operator_labels.py",  # 68
)
# Then the rest, servers before none.
FOLDERS_FIRST = ("e2e", "compose", "integration", "deploy")


def rank(path: Path) -> tuple[int, int]:
    """Where a test file goes in the run: the named slow files first, then by folder."""
    if TESTS not in path.parents:
        return (len(SLOWEST_FIRST), len(FOLDERS_FIRST))
    relative = path.relative_to(TESTS)
    if relative.as_posix() in SLOWEST_FIRST:
        return (SLOWEST_FIRST.index(relative.as_posix()), 0)
    folder = relative.parts[0]
    return (
        len(SLOWEST_FIRST),
        FOLDERS_FIRST.index(folder) if folder in FOLDERS_FIRST else len(FOLDERS_FIRST),
    )
