"""The model's headline signals: inference time, confidence, predicted labels, quality.

Quality series are recordings of deploy/prometheus/rules/model_quality.yml, which pool
every instance of the job: their selector names the job (and model), not an instance.
"""

from __future__ import annotations

from sentimon.queries.promql import increase, mean, quantile, rate, series, total

INFERENCE = "model_inference_duration_seconds"
CONFIDENCE = "model_confidence"
FEEDBACK_ACCURACY = "sentimon:model_accuracy:feedback"
ESTIMATED_ACCURACY = "sentimon:model_accuracy:estimated"
DRIFT_PSI = "sentimon:model_drift:psi"


def inference_time(q: float, selector: str, by: str = "") -> str:
    """An onnxruntime time-per-batch quantile."""
    return quantile(q, INFERENCE, selector, by)


def mean_confidence(selector: str) -> str:
    """Mean top-class probability over the window (LowModelConfidence)."""
    return mean(CONFIDENCE, selector)


def confidence_buckets(selector: str) -> str:
    """Predictions per confidence bucket over the window (cumulative, per `le`)."""
    return total(increase(f"{CONFIDENCE}_bucket", selector), by="le")


def predictions(selector: str) -> str:
    """Per-series prediction rate (not summed)."""
    return rate("model_predictions_total", selector)


def predictions_by_label(selector: str) -> str:
    """Predictions per second per predicted label: the prediction mix."""
    return total(predictions(selector), by="label")


def feedback_accuracy(selector: str) -> str:
    """Real accuracy: the window's feedback saying the model was right, per version."""
    return series(FEEDBACK_ACCURACY, selector)


def estimated_accuracy(selector: str) -> str:
    """Accuracy estimated from live confidence and the card's calibration."""
    return series(ESTIMATED_ACCURACY, selector)


def drift_psi(selector: str) -> str:
    """Population stability index of each drift signal against the card's reference."""
    return series(DRIFT_PSI, selector)
