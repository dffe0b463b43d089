"""YAML as sentimon writes it: the one writer for every file it generates (the rule
files, the Kubernetes objects) or renders (the native stack's configs)."""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    """Laid out like the hand-written files of deploy/: lists indented under their key,
    multi-line strings (expressions, templates) as literal blocks, no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(document: object, *, allow_unicode: bool = False) -> str:
    """``document`` as YAML, keys in their order. With allow_unicode, text with non-ASCII
    characters stays readable (and can stay a literal block)."""
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        width=100,
        indent=2,
        allow_unicode=allow_unicode,
    )
