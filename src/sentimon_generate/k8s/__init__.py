"""The Kubernetes monitoring objects under deploy/k8s, generated from the sources the native
stack and Compose read: the rule files, the dashboards and alertmanager.yml.

`make generate` (python -m sentimon_generate) rewrites them after the files they wrap.
"""

from sentimon_generate.k8s.generate import GENERATED, render_all

__all__ = ["GENERATED", "render_all"]
