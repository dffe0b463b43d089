"""Model: inference time, confidence, predicted labels and input drift."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.timeseries import Panel

from sentimon.dashboards import signals
from sentimon.dashboards.layout import row, sentimon_dashboard
from sentimon.dashboards.panels import heatmap_panel, stat_panel, table_panel, timeseries_panel
from sentimon.dashboards.promql import INSTANCE, increase, mean, quantile, rate, total
from sentimon.dashboards.queries import prom, prom_heatmap, prom_table, quantiles
from sentimon.dashboards.thresholds import (
    CONFIDENCE_FLOOR,
    DRIFT_PSI_ALERT,
    OK,
    WARN,
    bad_above,
    bad_below,
)
from sentimon.dashboards.variables import instance_variable, query_variable

UID = "sentimon-model"

_SEL = f'{INSTANCE}, model=~"$model"'
_INFERENCE = "model_inference_duration_seconds"
_PREDICTIONS = rate("model_predictions_total", _SEL)
_PREDICTIONS_BY_LABEL = total(_PREDICTIONS, by="label")
# The model-quality recordings pool every instance of the job (model_quality.yml).
_QUALITY = 'job="sentimon", model=~"$model"'


def _p50_p95(title: str, histogram: str, unit: str, description: str, by: str = "") -> Panel:
    return timeseries_panel(
        title, quantiles(histogram, _SEL, (0.5, 0.95), by=by), unit=unit, description=description
    )


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / Model",
        "Inference time, confidence, predictions and input drift.",
        variables=[
            instance_variable(),
            query_variable("model", "model", f"label_values(model_info{{{INSTANCE}}}, model)"),
        ],
        sections=[
            row(
                "Now",
                [
                    signals.model_ready_stat(INSTANCE),
                    signals.mean_confidence_stat(_SEL),
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
                        prom_heatmap(total(increase("model_confidence_bucket", _SEL), by="le")),
                        unit="percentunit",
                        description="Predictions per 0.05 bucket of top-class probability.",
                    ),
                    timeseries_panel(
                        "Mean confidence",
                        [prom(mean("model_confidence", _SEL), "mean confidence")],
                        unit="percentunit",
                        max_val=1,
                        steps=bad_below(CONFIDENCE_FLOOR),
                        threshold_line=True,
                        description="rate(sum) / rate(count); the line is the "
                        f"{CONFIDENCE_FLOOR} alert threshold.",
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
                [
                    timeseries_panel(
                        "Accuracy, estimated and tested",
                        [
                            prom(f"sentimon:model_accuracy:estimated{{{_QUALITY}}}", "estimated"),
                            prom(
                                'max(sentimon:model_accuracy:card_test{model=~"$model"})',
                                "tested (model card)",
                            ),
                        ],
                        unit="percentunit",
                        max_val=1,
                        description="Estimated from live confidence and the card's "
                        "calibration table over the last hour (no labels needed); "
                        "the card's test accuracy beside it. Empty below 200 predictions.",
                    ),
                    timeseries_panel(
                        "Drift (PSI) by signal",
                        [prom(f"sentimon:model_drift:psi{{{_QUALITY}}}", "{{signal}}")],
                        unit="short",
                        steps=bad_above(DRIFT_PSI_ALERT),
                        threshold_line=True,
                        description="Population stability index of the last hour against "
                        f"the card's reference; the line is the {DRIFT_PSI_ALERT} alert "
                        "threshold. Empty below 200 predictions.",
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
