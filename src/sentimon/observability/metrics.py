"""Every metric the service exposes, built on a registry passed in (tests use a fresh one)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from sentimon.model.runtime import Prediction
from sentimon.model.tokenizer import Encoded
from sentimon.observability.exemplars import ExemplarStore, current_exemplar
from sentimon.observability.exemplars import observe as observe_with_exemplar

# 25 microseconds to 1 second: the model runs in about 0.1 ms, so the default
# buckets (5 ms and up) would put every observation in the first one.
MODEL_SECONDS_BUCKETS = (
    0.000025, 0.00005, 0.000075, 0.0001, 0.00015, 0.0002, 0.0003, 0.0005, 0.00075,
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
)  # fmt: skip
# Request bodies, by powers of four: a one-word text (about 20 bytes) to the 2 MiB body
# limit; a tweet is 64 to 256, a batch of 64 tweets 4 to 16 KiB.
HTTP_BYTES_BUCKETS = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 2097152)
# 100 microseconds to 10 seconds, for whole HTTP requests.
HTTP_SECONDS_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05,
    0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0,
)  # fmt: skip
INFERENCE = "model_inference_duration_seconds"
CONFIDENCE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 21))
TOKEN_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RATIO_BUCKETS = (0.0, *CONFIDENCE_BUCKETS)


class ModelMetrics:
    """Model metrics; implements the runtime's InferenceObserver. The inference time's
    exemplars go to prometheus_client, or to an ExemplarStore with several workers."""

    def __init__(self, registry: CollectorRegistry, exemplars: ExemplarStore | None = None) -> None:
        self.exemplars = exemplars
        if exemplars is not None:
            exemplars.track(INFERENCE, MODEL_SECONDS_BUCKETS)
        self.inference_seconds = Histogram(
            INFERENCE,
            "Time onnxruntime took for one batch (a single /predict is a batch of one).",
            ["model", "version", "device"],
            buckets=MODEL_SECONDS_BUCKETS,
            registry=registry,
        )
        self.preprocess_seconds = Histogram(
            "model_preprocessing_duration_seconds",
            "Time to tokenize and encode one batch.",
            ["model", "version"],
            buckets=MODEL_SECONDS_BUCKETS,
            registry=registry,
        )
        self.confidence = Histogram(
            "model_confidence",
            "Probability of the predicted label, one observation per prediction.",
            ["model", "version"],
            buckets=CONFIDENCE_BUCKETS,
            registry=registry,
        )
        self.predictions = Counter(
            "model_predictions",
            "Predictions made, by predicted label.",
            ["model", "label"],
            registry=registry,
        )
        self.input_tokens = Histogram(
            "model_input_tokens",
            "Tokens in each input before truncation to the model window.",
            ["model"],
            buckets=TOKEN_BUCKETS,
            registry=registry,
        )
        self.unknown_ratio = Histogram(
            "model_unknown_token_ratio",
            "Share of each input's tokens outside the vocabulary (a drift signal).",
            ["model"],
            buckets=RATIO_BUCKETS,
            registry=registry,
        )
        self.info = Gauge(
            "model_info",
            "The model being served; always 1.",
            ["model", "version", "framework", "device"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.ready = Gauge(
            "model_ready",
            "1 when the model is loaded and its probe inference passed, else 0.",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self._bound = None

    def bind(self, *, model: str, version: str, device: str, framework: str = "onnx") -> None:
        """Fix the label values for the model now loaded, so the hot path skips label lookups."""
        self.info.labels(model, version, framework, device).set(1)
        self._inference_labels = (model, version, device)
        self._bound = (
            model,
            self.inference_seconds.labels(model, version, device),
            self.preprocess_seconds.labels(model, version),
            self.confidence.labels(model, version),
            self.input_tokens.labels(model),
            self.unknown_ratio.labels(model),
            {},
        )

    def observe_batch(
        self,
        *,
        preprocess_seconds: float,
        inference_seconds: float,
        encoded: Sequence[Encoded],
        predictions: Sequence[Prediction],
    ) -> None:
        if self._bound is None:
            raise RuntimeError("ModelMetrics.bind() must be called before observing")
        model, inference, preprocess, confidence, tokens, unknown, by_label = self._bound
        # The request this batch answers (its id is in context, in the thread pool too).
        observe_with_exemplar(
            inference,
            inference_seconds,
            current_exemplar(),
            self.exemplars,
            INFERENCE,
            self._inference_labels,
        )
        preprocess.observe(preprocess_seconds)
        for enc, p in zip(encoded, predictions, strict=True):
            confidence.observe(p.confidence)
            counter = by_label.get(p.label)
            if counter is None:
                counter = by_label[p.label] = self.predictions.labels(model, p.label)
            counter.inc()
            tokens.observe(enc.total_tokens)
            unknown.observe(enc.unknown / len(enc.ids))


class FeedbackMetrics:
    """Feedback on earlier predictions (POST /feedback): taken, by outcome, and refused."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # `correct` repeats predicted_label == true_label, which PromQL cannot compare:
        # it adds no series and lets every rule and panel select the right answers.
        self.given = Counter(
            "model_feedback",
            "Feedback taken on earlier predictions, by predicted and true label.",
            ["model", "version", "predicted_label", "true_label", "correct"],
            registry=registry,
        )
        self.rejected = Counter(
            "model_feedback_rejected",
            "Feedback refused, by reason (malformed, forged, expired, other_model, "
            "unknown_label, repeated).",
            ["reason"],
            registry=registry,
        )

    def count(self, model: str, version: str, predicted: str, true: str) -> None:
        correct = "true" if predicted == true else "false"
        self.given.labels(model, version, predicted, true, correct).inc()

    def count_rejected(self, reason: str) -> None:
        self.rejected.labels(reason).inc()


class LogMetrics:
    """Log lines logged, lines no sink got, and lines a sink failed to write; implements the
    logging's LogObserver."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "log_messages",
            "Log lines logged, by level (dropped ones and ones a sink failed on included).",
            ["level"],
            registry=registry,
        )
        self.dropped = Counter(
            "log_messages_dropped",
            "Log lines no sink got, by reason (queue_full, unformattable).",
            ["reason"],
            registry=registry,
        )
        self.sink_failures = Counter(
            "log_sink_failures",
            "Log lines a sink failed to write, by sink (stdout, stderr, file, syslog).",
            ["sink"],
            registry=registry,
        )
        self._by_level: dict[str, Counter] = {}

    def start(self, sinks: Iterable[str], reasons: Iterable[str]) -> None:
        """Every sink's and reason's series from 0, so that the first loss shows as a rise."""
        for sink in sinks:
            self.sink_failures.labels(sink)
        for reason in reasons:
            self.dropped.labels(reason)

    def count_line(self, level: str) -> None:
        counter = self._by_level.get(level)
        if counter is None:
            counter = self._by_level[level] = self.messages.labels(level)
        counter.inc()

    def count_dropped(self, reason: str, lines: int) -> None:
        self.dropped.labels(reason).inc(lines)

    def count_sink_failures(self, sink: str, lines: int) -> None:
        self.sink_failures.labels(sink).inc(lines)


class ServiceMetrics:
    """Everything on one registry: model, feedback, HTTP in-progress, logs."""

    def __init__(self, registry: CollectorRegistry, exemplars: ExemplarStore | None = None) -> None:
        # *_created series would double the series count and no rule or panel reads them.
        disable_created_metrics()
        self.registry = registry
        self.exemplars = exemplars
        self.model = ModelMetrics(registry, exemplars)
        self.feedback = FeedbackMetrics(registry)
        self.http_inprogress = Gauge(
            "http_requests_inprogress",
            "HTTP requests being served now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.logs = LogMetrics(registry)
