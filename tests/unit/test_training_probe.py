"""The generalisation probe: plain review sentences kept apart from the training data."""

from __future__ import annotations

from collections import Counter

import numpy as np

from sentimon.model.training.probe import load_probe, probe_applies, probe_report


def test_probe_is_about_forty_balanced_plain_sentences():
    probe = load_probe()
    assert 36 <= len(probe) <= 60
    assert Counter(label for _, label in probe) == {
        "positive": len(probe) // 2,
        "negative": len(probe) // 2,
    }
    assert len({text for text, _ in probe}) == len(probe)


def test_probe_applies_only_when_the_model_has_its_labels():
    probe = load_probe()
    assert probe_applies(probe, ["negative", "neutral", "positive"])
    assert not probe_applies(probe, ["ham", "spam"])


def test_probe_report_lists_the_misclassified():
    probe = [("lovely", "positive"), ("awful", "negative")]
    probs = np.array([[0.2, 0.1, 0.7], [0.1, 0.6, 0.3]])
    report = probe_report(probe, probs, ["negative", "neutral", "positive"])
    assert report["accuracy"] == 0.5 and report["n"] == 2
    assert report["misclassified"] == [
        {"text": "awful", "expected": "negative", "predicted": "neutral", "confidence": 0.6}
    ]
