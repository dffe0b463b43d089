"""README's Layout names every package, module folder, deploy/ folder and test folder."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

README = (REPO / "README.md").read_text()
LAYOUT = re.search(r"## Layout\n\n```\n(.*?)```", README, re.S).group(1)


def _folders(root: str) -> list[str]:
    return sorted(
        p.name
        for p in (REPO / root).iterdir()
        if p.is_dir() and not p.name.startswith((".", "_")) and p.name != "node_modules"
    )


def test_every_folder_of_the_code_deploy_and_tests_is_in_the_layout():
    for root in ("src/sentimon", "src/sentimon_generate", "deploy", "tests"):
        assert f"{root.split('/')[-1]}/" in LAYOUT, root
        missing = [name for name in _folders(root) if f"{name}/" not in LAYOUT]
        assert not missing, f"README's Layout leaves out {root}/{missing}"


def test_every_top_level_module_of_the_service_is_in_the_layout():
    modules = sorted(
        p.name for p in (REPO / "src/sentimon").glob("*.py") if not p.name.startswith("__")
    )
    assert [m for m in modules if m not in LAYOUT] == []
