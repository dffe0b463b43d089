import json

import numpy as np
import pytest

from sentimon.model.tokenizer import (
    PAD_ID,
    UNK_ID,
    Vocabulary,
    pad_batch,
    token_texts,
    tokenize,
)


def test_tokens_keep_spans_into_the_original_text():
    text = "I LOVED it!! 😀 don\u2019t"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["i", "loved", "it", "!", "!", "😀", "don't"]
    assert [text[t.start : t.end] for t in tokens] == [
        "I",
        "LOVED",
        "it",
        "!",
        "!",
        "😀",
        "don\u2019t",
    ]


def test_urls_users_numbers_become_placeholders_and_hashtags_keep_their_word():
    tokens = [t.text for t in tokenize("@bob see https://x.co/a?b=1 www.example.org 3.5 #Fail")]
    assert tokens == ["<user>", "see", "<url>", "<url>", "<num>", "fail"]


@pytest.mark.parametrize(
    "text",
    ["\ud800 lone surrogate", "nul\x00byte", "ctrl\x07\x1b[31m", "مرحبا بالعالم", "\u202eevil", ""],
)
def test_awkward_unicode_tokenizes_without_error(text):
    tokens = tokenize(text)
    for t in tokens:
        assert text[t.start : t.end]


def _vocab(max_tokens=4):
    return Vocabulary.build(
        ["good good bad", "good fine", "bad"], max_size=10, min_count=1, max_tokens=max_tokens
    )


def test_build_orders_by_frequency_then_alphabet():
    assert _vocab().tokens == ["<pad>", "<unk>", "good", "bad", "fine"]


def test_build_respects_max_size_and_min_count():
    vocab = Vocabulary.build(["a a b b c"], max_size=3, min_count=2, max_tokens=8)
    assert vocab.tokens == ["<pad>", "<unk>", "a"]


def test_encode_counts_unknown_and_truncates_to_the_window():
    enc = _vocab(max_tokens=4).encode("good awful bad fine good good")
    assert enc.ids.tolist() == [2, UNK_ID, 3, 4]
    assert enc.unknown == 1
    assert enc.total_tokens == 6 and enc.truncated


@pytest.mark.parametrize(
    "text",
    ["good awful bad fine good good", "@bob #Good 3.5 https://x.co bad!", "", "\ud800 good"],
)
def test_encoding_without_spans_gives_the_same_ids(text):
    vocab = _vocab(max_tokens=4)
    fast, full = vocab.encode(text), vocab.encode(text, spans=True)
    assert token_texts(text) == [t.text for t in tokenize(text)]
    assert fast.ids.tolist() == full.ids.tolist()
    assert (fast.total_tokens, fast.unknown, fast.truncated) == (
        full.total_tokens,
        full.unknown,
        full.truncated,
    )
    assert fast.tokens == [] and len(full.tokens) == min(full.total_tokens, 4)


def test_a_batch_of_one_is_not_padded():
    enc = _vocab().encode("good bad")
    ids, lengths = pad_batch([enc])
    assert ids.tolist() == [enc.ids.tolist()] and lengths.tolist() == [2]


def test_empty_text_encodes_as_one_unknown_token():
    enc = _vocab().encode("")
    assert enc.ids.tolist() == [UNK_ID] and enc.tokens == [] and not enc.truncated


def test_pad_batch_right_pads_and_reports_lengths():
    vocab = _vocab()
    ids, lengths = pad_batch([vocab.encode("good"), vocab.encode("good bad fine")])
    assert ids.dtype == np.int64 and ids.shape == (2, 3)
    assert ids[0].tolist() == [2, PAD_ID, PAD_ID]
    assert lengths.tolist() == [1, 3]


def test_save_and_load_round_trip(tmp_path):
    vocab = _vocab()
    vocab.save(tmp_path / "tokenizer.json")
    loaded = Vocabulary.load(tmp_path / "tokenizer.json")
    assert loaded.tokens == vocab.tokens and loaded.max_tokens == vocab.max_tokens


def test_unknown_format_is_refused(tmp_path):
    data = _vocab().to_json() | {"format": "something-else"}
    with pytest.raises(ValueError, match="unknown tokenizer format"):
        Vocabulary.from_json(json.loads(json.dumps(data)))


def test_vocabulary_must_start_with_pad_and_unk():
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary(["good", "bad"], max_tokens=4)
