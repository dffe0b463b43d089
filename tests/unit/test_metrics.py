import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from sentimon.model.runtime import Prediction
from sentimon.model.tokenizer import Encoded, Token
from sentimon.observability.metrics import CONFIDENCE_BUCKETS, ServiceMetrics


def _enc(n_ids: int, unknown: int, total: int | None = None) -> Encoded:
    tokens = [Token("t", i, i + 1) for i in range(n_ids)]
    return Encoded(np.ones(n_ids, dtype=np.int64), tokens, total or n_ids, unknown)


def _pred(label: str, confidence: float) -> Prediction:
    return Prediction(label, confidence, {label: confidence}, 1, False, 0)


@pytest.fixture
def metrics():
    m = ServiceMetrics(CollectorRegistry())
    m.model.bind(model="m", version="1", device="cpu")
    return m


def _value(m, name, **labels):
    return m.registry.get_sample_value(name, labels)


def test_every_prediction_is_counted_by_label_and_observed(metrics):
    metrics.model.observe_batch(
        preprocess_seconds=0.0001,
        inference_seconds=0.0002,
        encoded=[_enc(4, 1), _enc(10, 0, total=300), _enc(2, 2)],
        predictions=[_pred("positive", 0.9), _pred("negative", 0.55), _pred("positive", 0.62)],
    )
    assert _value(metrics, "model_predictions_total", model="m", label="positive") == 2
    assert _value(metrics, "model_predictions_total", model="m", label="negative") == 1
    assert _value(metrics, "model_confidence_count", model="m", version="1") == 3
    assert _value(metrics, "model_confidence_sum", model="m", version="1") == pytest.approx(2.07)
    assert _value(metrics, "model_confidence_bucket", model="m", version="1", le="0.6") == 1
    # One batch is one inference observation, whatever its size.
    labels = {"model": "m", "version": "1", "device": "cpu"}
    assert _value(metrics, "model_inference_duration_seconds_count", **labels) == 1
    assert _value(metrics, "model_inference_duration_seconds_bucket", **labels, le="0.0002") == 1
    assert _value(metrics, "model_inference_duration_seconds_bucket", **labels, le="0.00015") == 0
    # Input length is measured before truncation.
    assert _value(metrics, "model_input_tokens_bucket", model="m", le="256.0") == 2
    assert _value(metrics, "model_unknown_token_ratio_bucket", model="m", le="0.25") == 2
    assert _value(metrics, "model_unknown_token_ratio_bucket", model="m", le="0.95") == 2
    assert _value(metrics, "model_unknown_token_ratio_count", model="m") == 3


def test_confidence_buckets_are_every_five_hundredths():
    assert CONFIDENCE_BUCKETS[:3] == (0.05, 0.1, 0.15) and CONFIDENCE_BUCKETS[-1] == 1.0
    assert len(CONFIDENCE_BUCKETS) == 20


def test_model_info_and_readiness(metrics):
    assert (
        _value(metrics, "model_info", model="m", version="1", framework="onnx", device="cpu") == 1
    )
    assert _value(metrics, "model_ready") == 0
    metrics.model.ready.set(1)
    assert _value(metrics, "model_ready") == 1


def test_observing_before_bind_is_a_programming_error():
    with pytest.raises(RuntimeError, match="bind"):
        ServiceMetrics(CollectorRegistry()).model.observe_batch(
            preprocess_seconds=0, inference_seconds=0, encoded=[], predictions=[]
        )


def test_log_lines_are_counted_by_level(metrics):
    for level in ("INFO", "INFO", "ERROR"):
        metrics.logs.count_line(level)
    assert _value(metrics, "log_messages_total", level="INFO") == 2
    assert _value(metrics, "log_messages_total", level="ERROR") == 1


def test_log_losses_start_at_zero_and_count_lines(metrics):
    metrics.logs.start(["stdout", "file"], ["queue_full"])
    assert _value(metrics, "log_sink_failures_total", sink="file") == 0
    assert _value(metrics, "log_messages_dropped_total", reason="queue_full") == 0
    assert _value(metrics, "log_sink_failures_total", sink="syslog") is None  # not configured
    metrics.logs.count_sink_failures("file", 3)
    metrics.logs.count_dropped("queue_full", 2)
    assert _value(metrics, "log_sink_failures_total", sink="file") == 3
    assert _value(metrics, "log_messages_dropped_total", reason="queue_full") == 2
