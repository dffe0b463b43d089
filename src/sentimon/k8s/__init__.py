"""The Kubernetes monitoring objects under deploy/k8s, generated from the sources the native
stack and Compose read: the rule files, the dashboards and alertmanager.yml.

`python -m sentimon.k8s` rewrites them; `--check` fails when the committed files differ.
"""

from sentimon.k8s.generate import GENERATED, render_all, stale_files, write_all

__all__ = ["GENERATED", "render_all", "stale_files", "write_all"]
