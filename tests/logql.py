"""LogQL stream selectors, read the way Loki reads them: shared by the dashboard tests (is
every query one Loki accepts?) and the collector tests (what do Alloy's stage.match
selectors pick?)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_MATCHER = re.compile(r'\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(,|$)')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, value: str) -> bool:
        """Prometheus's semantics: an absent label is the empty string, regexes are anchored."""
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        found = _fullmatch(self.value, value)
        return found if self.op == "=~" else not found


def _fullmatch(pattern: str, value: str) -> bool:
    """RE2's `^(?:pattern)$`; a leading `(?i)` (the only flag our configs use) as Python's."""
    flags = 0
    if pattern.startswith("(?i)"):
        pattern, flags = pattern[4:], re.IGNORECASE
    return re.fullmatch(pattern, value, flags) is not None


def _literal(token: str) -> str:
    """A LogQL string: Go-quoted, or raw between backticks."""
    return token[1:-1] if token.startswith("`") else json.loads(token)


def parse_selector(text: str) -> list[Matcher]:
    """`{a="x", b=~"y"}` -> its matchers; anything else in the braces is an error."""
    body = text.strip()
    assert body.startswith("{") and body.endswith("}"), text
    body, matchers, at = body[1:-1], [], 0
    while at < len(body) and body[at:].strip():
        match = _MATCHER.match(body, at)
        assert match, f"not a matcher at {body[at:]!r} in {text}"
        matchers.append(Matcher(match[1], match[2], _literal(match[3])))
        at = match.end()
    return matchers


def stream_selectors(expr: str) -> list[list[Matcher]]:
    """Every `{...}` stream selector of a log or metric query (braces inside strings, such as
    a regex's `{3}`, are not selectors)."""
    selectors, at, start, quote = [], 0, None, ""
    while at < len(expr):
        char = expr[at]
        if quote:
            if char == "\\" and quote == '"':
                at += 1
            elif char == quote:
                quote = ""
        elif char in '"`':
            quote = char
        elif char == "{":
            assert start is None, f"nested braces in {expr}"
            start = at
        elif char == "}":
            assert start is not None, f"unbalanced braces in {expr}"
            selectors.append(parse_selector(expr[start : at + 1]))
            start = None
        at += 1
    assert start is None and not quote, f"unterminated selector or string in {expr}"
    return selectors


def accepted_by_loki(matchers: list[Matcher]) -> bool:
    """Loki refuses a selector none of whose matchers fails on the empty string ("queries
    require at least one regexp or equality matcher that does not have an empty-compatible
    value"): `{service=~".*"}` selects every stream, so Loki will not run it."""
    return any(not matcher.matches("") for matcher in matchers)


def selects(matchers: list[Matcher], labels: dict[str, str]) -> bool:
    """Whether a stream with these labels is selected."""
    return all(matcher.matches(labels.get(matcher.name, "")) for matcher in matchers)
