"""Model: inference time, confidence, predicted labels, input drift and quality."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.table import Panel as TablePanel
from grafana_foundation_sdk.builders.timeseries import Panel

from sentimon.queries import model as model_signals
from sentimon.queries.promql import (
    INSTANCE,
    SENTIMON_JOB,
    increase_over_range,
    mean,
    quantile,
    rate,
    total,
)
from sentimon.queries.rule_source import alert_lines
from sentimon_generate.dashboards import shared_panels
from sentimon_generate.dashboards.frame import row, sentimon_dashboard
from sentimon_generate.dashboards.panels import (
    heatmap_panel,
    matrix_panel,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from sentimon_generate.dashboards.targets import (
    EXEMPLARS_HINT,
    prom,
    prom_heatmap,
    prom_table,
    quantiles,
)
from sentimon_generate.dashboards.thresholds import (
    OK,
    WARN,
    bad_above,
    bad_below,
)
from sentimon_generate.dashboards.variables import instance_variable, query_variable

UID = "sentimon-model"

_SEL = f'{INSTANCE}, model=~"$model"'
_INFERENCE = model_signals.INFERENCE
_PREDICTIONS = model_signals.predictions(_SEL)
_PREDICTIONS_BY_LABEL = model_signals.predictions_by_label(_SEL)
# The model-quality recordings pool every instance of the job (model_quality.yml).
_QUALITY = f'{SENTIMON_JOB}, model=~"$model"'


def _p50_p95(
    title: str,
    histogram: str,
    unit: str,
    description: str,
    by: str = "",
    *,
    exemplars: bool = False,
) -> Panel:
    return timeseries_panel(
        title,
        quantiles(histogram, _SEL, (0.5, 0.95), by=by, exemplars=exemplars),
        unit=unit,
        description=f"{description} {EXEMPLARS_HINT}" if exemplars else description,
    )


def _accuracy() -> Panel:
    lines = alert_lines()
    return timeseries_panel(
        "Accuracy: real, estimated, tested",
        [
            prom(model_signals.feedback_accuracy(_QUALITY), "real (feedback) {{version}}"),
            prom(model_signals.estimated_accuracy(_QUALITY), "estimated"),
            prom('max(sentimon:model_accuracy:card_test{model=~"$model"})', "tested (model card)"),
        ],
        unit="percentunit",
        max_val=1,
        steps=bad_below(lines.accuracy),
        threshold_line=True,
        description="Real: share of the last hour's feedback (POST /feedback) saying the model "
        "was right, per version. Estimated: from live confidence and the card's calibration "
        f"table, no labels needed (empty below {lines.drift_min_predictions} predictions). Tested: "
        f"the model card's test accuracy. The line is ModelAccuracyLow's {lines.accuracy:.0%}, "
        f"which counts only with {lines.accuracy_min_feedback} feedbacks or more in the hour (see "
        "Feedback coverage). Real well below tested: the model is wrong on today's texts; "
        "find the mistake in the confusion matrix. Real falling while estimated holds: it is "
        "confidently wrong, which drift and confidence alerts miss (runbook ModelAccuracyLow).",
    )


def _recall_by_true_label() -> Panel:
    return timeseries_panel(
        "Recall by true label (feedback)",
        [prom(f"sentimon_class:model_recall:feedback{{{_QUALITY}}}", "{{true_label}} {{version}}")],
        unit="percentunit",
        max_val=1,
        description="Per true label (what the user says the text was), the share of the last "
        "hour's feedback the model got right. A label far below the others is the class the "
        "model misses; its row in the confusion matrix shows what it takes it for. A label "
        "with a handful of feedbacks jumps between 0 and 100%: read it with the matrix counts.",
    )


def _confusion_matrix() -> TablePanel:
    return matrix_panel(
        "Confusion matrix (feedback over the time range)",
        prom_table(
            total(
                increase_over_range("model_feedback_total", _SEL), by="true_label, predicted_label"
            )
        ),
        rows="true_label",
        columns="predicted_label",
        corner="true \\ predicted",
        no_value="no feedback",
        description="Feedback taken over the dashboard's time range: a row per true label (what "
        "the user says), a column per predicted label (what the model said); the diagonal is "
        "right answers. The biggest cell off the diagonal is the mistake the model makes most "
        "(for example neutral taken for positive): collect those texts for retraining. Widen "
        "the time range for more feedback; counts come from increase(), rounded.",
    )


def _feedback_coverage() -> Panel:
    lines = alert_lines()
    return timeseries_panel(
        "Feedback coverage (feedback per prediction)",
        [prom(f"sentimon:model_feedback:coverage{{{_QUALITY}}}", "feedback per prediction")],
        unit="percentunit",
        description="Feedback taken in the last hour per prediction made in it, every instance "
        "pooled. Real accuracy and recall stand on this share: at 1% they are a few users' "
        f"opinion, and ModelAccuracyLow waits for {lines.accuracy_min_feedback} feedbacks in the "
        "hour. A fall to zero while predictions go on: the clients stopped sending feedback, or "
        "it is refused (next panel).",
    )


def _feedback_taken_and_refused() -> Panel:
    return timeseries_panel(
        "Feedback / s, taken and refused by reason",
        [
            prom(total(rate("model_feedback_total", _SEL)), "taken"),
            # Refusals carry no model label: the token that would name it may be the fault.
            prom(
                total(rate("model_feedback_rejected_total", INSTANCE), by="reason"),
                "refused: {{reason}}",
            ),
        ],
        unit="short",
        description="POST /feedback taken and refused per second. forged: the signature does "
        "not match, mostly workers or replicas with different SENTIMON_FEEDBACK_KEY (or a "
        "client making tokens up); expired: older than SENTIMON_FEEDBACK_MAX_AGE_SECONDS; "
        "other_model: a token from another model version, expected for a while after a "
        "rollout; repeated: a second feedback on one prediction (client retries); malformed, "
        "unknown_label: a client bug. A wave of one reason is one client or one deployment.",
    )


def build() -> Dashboard:
    lines = alert_lines()
    return sentimon_dashboard(
        UID,
        "sentimon / Model",
        "Inference time, confidence, predictions, input drift, and quality from feedback.",
        variables=[
            instance_variable(),
            query_variable("model", "model", f"label_values(model_info{{{INSTANCE}}}, model)"),
        ],
        sections=[
            row(
                "Now",
                [
                    shared_panels.model_ready_stat(INSTANCE),
                    shared_panels.mean_confidence_stat(_SEL),
                    stat_panel("Predictions / s", prom(total(_PREDICTIONS)), unit="short"),
                    stat_panel(
                        "p95 inference",
                        prom(quantile(0.95, _INFERENCE, _SEL)),
                        unit="s",
                        steps=bad_above(0.25, warn=0.05),
                    ),
                ],
            ),
            row(
                "Latency",
                [
                    _p50_p95(
                        "Inference time p50 / p95 by device",
                        _INFERENCE,
                        "s",
                        "onnxruntime time per batch; a /predict is a batch of one.",
                        by="device",
                        exemplars=True,
                    ),
                    timeseries_panel(
                        "Mean inference time by device",
                        [prom(mean(_INFERENCE, _SEL, by="device"), "mean {{device}}")],
                        unit="s",
                        description="rate(sum) / rate(count) of the inference histogram: "
                        "the time per batch on average, beside its p50 and p95.",
                    ),
                    _p50_p95(
                        "Preprocessing time p50 / p95",
                        "model_preprocessing_duration_seconds",
                        "s",
                        "Tokenizing and encoding time per batch.",
                    ),
                ],
            ),
            row(
                "Confidence",
                [
                    heatmap_panel(
                        "Confidence distribution",
                        prom_heatmap(model_signals.confidence_buckets(_SEL)),
                        unit="percentunit",
                        description="Predictions per 0.05 bucket of top-class probability.",
                    ),
                    timeseries_panel(
                        "Mean confidence",
                        [prom(model_signals.mean_confidence(_SEL), "mean confidence")],
                        unit="percentunit",
                        max_val=1,
                        steps=bad_below(lines.confidence_floor),
                        threshold_line=True,
                        description="rate(sum) / rate(count); the line is the "
                        f"{lines.confidence_floor} alert threshold.",
                    ),
                ],
            ),
            row(
                "Predictions",
                [
                    timeseries_panel(
                        "Predictions / s by label",
                        [prom(_PREDICTIONS_BY_LABEL, "{{label}}")],
                        unit="short",
                        stacked=True,
                    ),
                    timeseries_panel(
                        "Share of predictions by label",
                        [
                            prom(
                                f"{_PREDICTIONS_BY_LABEL} / scalar({total(_PREDICTIONS)})",
                                "{{label}}",
                            )
                        ],
                        unit="percentunit",
                        max_val=1,
                        stacked=True,
                        description="A sudden shift in the mix is a sign of drift"
                        " or of a bad model.",
                    ),
                ],
            ),
            row(
                "Input drift",
                [
                    _p50_p95(
                        "Input length (tokens) p50 / p95",
                        "model_input_tokens",
                        "short",
                        "Tokens per input before truncation; the model reads 128.",
                    ),
                    timeseries_panel(
                        "Unknown-token ratio",
                        [
                            prom(mean("model_unknown_token_ratio", _SEL), "mean"),
                            *quantiles("model_unknown_token_ratio", _SEL, (0.95,)),
                        ],
                        unit="percentunit",
                        max_val=1,
                        steps=((None, OK), (0.3, WARN)),
                        threshold_line=True,
                        description="Share of each input's tokens outside the vocabulary (drift).",
                    ),
                ],
            ),
            row(
                "Quality",
                [_accuracy(), _recall_by_true_label(), _confusion_matrix()],
                [_feedback_coverage(), _feedback_taken_and_refused()],
                [
                    timeseries_panel(
                        "Drift (PSI) by signal",
                        [prom(model_signals.drift_psi(_QUALITY), "{{signal}}")],
                        unit="short",
                        steps=bad_above(lines.drift_psi),
                        threshold_line=True,
                        description="Population stability index of the last hour against "
                        f"the card's reference; the line is the {lines.drift_psi} alert "
                        f"threshold. Empty below {lines.drift_min_predictions} predictions.",
                    ),
                    table_panel(
                        "Live and reference share by bin",
                        [
                            prom_table(
                                "sum by (signal, bin) "
                                f"(sentimon_bin:model_drift_live:share{{{_QUALITY}}})"
                            ),
                            prom_table(
                                "sum by (signal, bin) (sentimon_bin:model_drift_reference:share)"
                            ),
                        ],
                        hide=("Time", "__name__"),
                        description="Per signal and bin, the live share over the last hour "
                        "(Value #A) beside the model card's reference (Value #B).",
                    ),
                ],
            ),
            row(
                "What is served",
                [
                    table_panel(
                        "model_info",
                        [
                            prom_table(
                                "max by (instance, model, version, framework, device)"
                                f" (model_info{{{INSTANCE}}})"
                            )
                        ],
                        height=5,
                    )
                ],
            ),
        ],
    )
