"""Model: inference time, confidence, predicted labels and input drift."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from sentimon.dashboards.common import (
    BAD,
    OK,
    READY,
    WARN,
    base_dashboard,
    heatmap_panel,
    instance_variable,
    prom,
    prom_heatmap,
    prom_table,
    query_variable,
    stat_panel,
    table_panel,
    timeseries_panel,
)

UID = "sentimon-model"

# The LowModelConfidence threshold; the alert rule owns the real one, this is the picture.
CONFIDENCE_FLOOR = 0.6

_SEL = 'instance=~"$instance", model=~"$model"'


def _rate(metric: str, sel: str = _SEL) -> str:
    return f"rate({metric}{{{sel}}}[$__rate_interval])"


def quantile(metric: str, q: float, by: str = "") -> str:
    """histogram_quantile of a model histogram, optionally per label."""
    group = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({group}) ({_rate(metric + '_bucket')}))"


def mean(metric: str) -> str:
    """Mean of a histogram over the window: rate(sum) / rate(count)."""
    return f"sum({_rate(metric + '_sum')}) / sum({_rate(metric + '_count')})"


MEAN_CONFIDENCE = mean("model_confidence")
_PREDICTIONS = _rate("model_predictions_total")


def build() -> Dashboard:
    return (
        base_dashboard(
            UID, "sentimon / Model", "Inference time, confidence, predictions and input drift."
        )
        .with_variable(instance_variable())
        .with_variable(
            query_variable(
                "model", "model", 'label_values(model_info{instance=~"$instance"}, model)'
            )
        )
        .with_row(Row("Now"))
        .with_panel(
            stat_panel(
                "Model ready",
                prom('min(model_ready{instance=~"$instance"})'),
                unit="none",
                steps=((None, BAD), (1, OK)),
                mappings=READY,
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Mean confidence",
                prom(MEAN_CONFIDENCE),
                unit="percentunit",
                steps=((None, BAD), (CONFIDENCE_FLOOR, OK)),
                description="LowModelConfidence fires when this stays below 0.6.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Predictions / s",
                prom(f"sum({_PREDICTIONS})"),
                unit="short",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "p95 inference",
                prom(quantile("model_inference_duration_seconds", 0.95)),
                unit="s",
                steps=((None, OK), (0.05, WARN), (0.25, BAD)),
                width=6,
            )
        )
        .with_row(Row("Latency"))
        .with_panel(
            timeseries_panel(
                "Inference time p50 / p95 by device",
                [
                    prom(
                        quantile("model_inference_duration_seconds", 0.5, "device"),
                        "p50 {{device}}",
                        ref="A",
                    ),
                    prom(
                        quantile("model_inference_duration_seconds", 0.95, "device"),
                        "p95 {{device}}",
                        ref="B",
                    ),
                ],
                unit="s",
                description="onnxruntime time per batch; a /predict is a batch of one.",
            )
        )
        .with_panel(
            timeseries_panel(
                "Preprocessing time p50 / p95",
                [
                    prom(quantile("model_preprocessing_duration_seconds", 0.5), "p50", ref="A"),
                    prom(quantile("model_preprocessing_duration_seconds", 0.95), "p95", ref="B"),
                ],
                unit="s",
                description="Tokenizing and encoding time per batch.",
            )
        )
        .with_row(Row("Confidence"))
        .with_panel(
            heatmap_panel(
                "Confidence distribution",
                prom_heatmap(
                    f"sum by (le) (increase(model_confidence_bucket{{{_SEL}}}[$__rate_interval]))"
                ),
                unit="percentunit",
                description="Predictions per 0.05 bucket of top-class probability.",
            )
        )
        .with_panel(
            timeseries_panel(
                "Mean confidence",
                [prom(MEAN_CONFIDENCE, "mean confidence")],
                unit="percentunit",
                max_val=1,
                steps=((None, BAD), (CONFIDENCE_FLOOR, OK)),
                threshold_line=True,
                description="rate(sum) / rate(count); the line is the 0.6 alert threshold.",
            )
        )
        .with_row(Row("Predictions"))
        .with_panel(
            timeseries_panel(
                "Predictions / s by label",
                [prom(f"sum by (label) ({_PREDICTIONS})", "{{label}}")],
                unit="short",
                stacked=True,
            )
        )
        .with_panel(
            timeseries_panel(
                "Share of predictions by label",
                [
                    prom(
                        f"sum by (label) ({_PREDICTIONS}) / scalar(sum({_PREDICTIONS}))",
                        "{{label}}",
                    )
                ],
                unit="percentunit",
                max_val=1,
                stacked=True,
                description="A sudden shift in the mix is a sign of drift or of a bad model.",
            )
        )
        .with_row(Row("Input drift"))
        .with_panel(
            timeseries_panel(
                "Input length (tokens) p50 / p95",
                [
                    prom(quantile("model_input_tokens", 0.5), "p50", ref="A"),
                    prom(quantile("model_input_tokens", 0.95), "p95", ref="B"),
                ],
                unit="short",
                description="Tokens per input before truncation; the model reads 128.",
            )
        )
        .with_panel(
            timeseries_panel(
                "Unknown-token ratio",
                [
                    prom(mean("model_unknown_token_ratio"), "mean", ref="A"),
                    prom(quantile("model_unknown_token_ratio", 0.95), "p95", ref="B"),
                ],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.3, WARN)),
                threshold_line=True,
                description="Share of each input's tokens outside the vocabulary (drift).",
            )
        )
        .with_row(Row("What is served"))
        .with_panel(
            table_panel(
                "model_info",
                [
                    prom_table(
                        "max by (instance, model, version, framework, device)"
                        ' (model_info{instance=~"$instance"})'
                    )
                ],
                width=24,
                height=5,
            )
        )
    )
