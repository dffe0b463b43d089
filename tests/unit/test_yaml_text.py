"""The one YAML writer: laid out like deploy/'s hand-written files, and read back the same."""

from __future__ import annotations

import yaml

from sentimon import yaml_text


def test_lists_indent_under_their_key_and_expressions_stay_literal_blocks():
    document = {"groups": [{"name": "g", "rules": [{"expr": "sum(a)\n/\nsum(b)", "for": "5m"}]}]}
    text = yaml_text.dump(document)
    assert "groups:\n  - name: g\n    rules:\n      - expr: |-\n          sum(a)" in text
    assert yaml.safe_load(text) == document


def test_shared_objects_are_written_out_not_anchored_and_unicode_stays_when_asked():
    shared = {"severity": "warning"}
    text = yaml_text.dump({"a": shared, "b": shared, "note": "≥ 0.6"}, allow_unicode=True)
    assert "&" not in text and "*" not in text
    assert "≥ 0.6" in text
