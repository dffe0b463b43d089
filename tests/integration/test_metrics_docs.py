"""docs/metrics.md and a live /metrics must name the same metrics, types and labels."""

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
ROW = re.compile(r"^\| `(\w+)` \| (\w+) \|([\w, ]*)\|", re.M)


def _documented() -> dict[str, tuple[str, frozenset]]:
    return {
        name: (kind, frozenset(x.strip() for x in labels.split(",") if x.strip()))
        for name, kind, labels in ROW.findall(DOC.read_text(encoding="utf-8"))
    }


def _exposed(text: str) -> dict[str, tuple[str, frozenset]]:
    exposed = {}
    for family in text_string_to_metric_families(text):
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = set()
        for sample in family.samples:
            labels |= set(sample.labels) - {"le", "quantile"}
        exposed[name] = (family.type, frozenset(labels))
    return exposed


def test_docs_and_live_metrics_agree(api):
    with api.client() as client:
        token = client.post("/predict", json={"text": "so every labelled series exists"}).json()
        client.post(
            "/feedback", json={"feedback_token": token["feedback_token"], "label": "neutral"}
        )
        client.post("/feedback", json={"feedback_token": "s1.forged", "label": "neutral"})
        text = client.get("/metrics").text
    documented, exposed = _documented(), _exposed(text)
    gpu = {name for name in documented if name.startswith("gpu_")}
    assert gpu, "the GPU metrics must be documented"
    if not any(name.startswith("gpu_") for name in exposed):  # no GPU on this machine
        documented = {k: v for k, v in documented.items() if k not in gpu}
    assert set(exposed) - set(documented) == set(), "exposed but not documented"
    assert set(documented) - set(exposed) == set(), "documented but not exposed"
    for name, (kind, labels) in documented.items():
        assert exposed[name] == (kind, labels), name
