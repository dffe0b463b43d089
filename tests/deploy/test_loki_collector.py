"""deploy/loki/loki.yml and the Alloy config in deploy/collector.

Loki and Alloy are not Debian packages: when their binaries are on PATH the real tools
check the files; otherwise these tests read the files the way the tools would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from logql import parse_selector, selects

from sentimon.stack.components import COMPONENTS

ROOT = Path(__file__).resolve().parents[2]
LOKI = ROOT / "deploy/loki/loki.yml"
ALLOY = ROOT / "deploy/collector/config.alloy"
K8S_ALLOY = ROOT / "deploy/k8s/alloy/config.alloy"
# The level label's one vocabulary (the Logs dashboard's level drop-down lists the same).
LEVELS = ("debug", "info", "warning", "error", "critical")
COMPOSE = ROOT / "deploy/compose.yaml"

_ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def expand_env(text: str, env: dict[str, str]) -> str:
    """What `loki -config.expand-env=true` does with ${VAR} and ${VAR:-default}."""

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        return env.get(name) or (default if default is not None else "")

    return _ENV_REF.sub(substitute, text)


def loki_config(env: dict[str, str] | None = None) -> dict:
    return yaml.safe_load(expand_env(LOKI.read_text(), env or {}))


# ---- Loki ------------------------------------------------------------------------------


def test_loki_is_a_single_binary_with_tsdb_v13_on_the_filesystem():
    config = loki_config()
    assert config["auth_enabled"] is False
    assert config["common"]["replication_factor"] == 1
    assert config["common"]["ring"]["kvstore"]["store"] == "inmemory"
    assert config["common"]["path_prefix"] == "/loki"
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == (
        "tsdb",
        "v13",
        "filesystem",
    )
    assert period["index"]["period"] == "24h"  # retention needs daily index tables
    assert config["common"]["storage"]["filesystem"]["chunks_directory"].startswith("/loki/")


def test_loki_deletes_logs_after_the_retention_period():
    config = loki_config()
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"] == "filesystem"
    assert compactor["working_directory"].startswith("/loki/")
    assert re.fullmatch(r"\d+h", config["limits_config"]["retention_period"])
    assert int(config["limits_config"]["retention_period"][:-1]) >= 24
    assert config["limits_config"]["allow_structured_metadata"] is True


def test_loki_ruler_alerts_through_alertmanager_in_either_mode():
    assert loki_config()["ruler"]["alertmanager_url"] == "http://alertmanager:9093"
    native = loki_config(
        {
            "ALERTMANAGER_URL": "http://127.0.0.1:19093",
            "LOKI_DATA_DIR": "/tmp/state/loki",
            "LOKI_HTTP_PORT": "13100",
            "LOKI_LISTEN": "127.0.0.1",
        }
    )
    assert native["ruler"]["alertmanager_url"] == "http://127.0.0.1:19093"
    assert native["server"]["http_listen_port"] == 13100
    assert native["server"]["http_listen_address"] == "127.0.0.1"
    assert native["compactor"]["working_directory"] == "/tmp/state/loki/compactor"
    compose = yaml.safe_load(COMPOSE.read_text())["services"]["loki"]
    assert "-config.expand-env=true" in compose["command"]


@pytest.mark.skipif(shutil.which("loki") is None, reason="loki is not installed (not in Debian)")
def test_loki_accepts_its_config(tmp_path):
    env = {**os.environ, "LOKI_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        ["loki", f"-config.file={LOKI}", "-config.expand-env=true", "-verify-config"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- Alloy -----------------------------------------------------------------------------


def strip_comments(text: str) -> str:
    """Alloy source without // comments (strings kept intact)."""
    out, i, in_string = [], 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def without_strings(text: str) -> str:
    """Every string's content blanked, same length, so that offsets still fit the source."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', text)


def components(text: str) -> dict[tuple[str, str], str]:
    """Top-level `kind "label" { ... }` blocks: (kind, label) -> body."""
    found = {}
    for match in re.finditer(r'^([a-z_]+(?:\.[a-z_]+)+)\s+"([\w-]+)"\s*\{', text, re.M):
        depth, i = 1, match.end()
        bare = without_strings(text[i:])
        for j, char in enumerate(bare):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                found[(match.group(1), match.group(2))] = text[i : i + j]
                break
        else:
            raise AssertionError(f"unclosed block {match.group(1)} {match.group(2)}")
    return found


@pytest.fixture(scope="module")
def alloy() -> str:
    return strip_comments(ALLOY.read_text())


@pytest.mark.skipif(shutil.which("alloy") is None, reason="alloy is not installed (not in Debian)")
def test_alloy_formats_its_config():
    result = subprocess.run(
        ["alloy", "fmt", str(ALLOY)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_alloy_braces_balance_and_every_reference_is_defined(alloy):
    bare = without_strings(alloy)
    assert bare.count("{") == bare.count("}")
    assert bare.count("[") == bare.count("]")
    defined = components(alloy)
    kinds = {kind for kind, _ in defined}
    references = re.findall(r"\b([a-z_]+(?:\.[a-z_]+)+)\.(receiver|targets|rules|output)\b", bare)
    assert references
    for path, export in references:
        kind, _, label = path.rpartition(".")
        assert kind in kinds and (kind, label) in defined, f"{path}.{export} is not defined"
    used = {ref.rpartition(".")[0] + "." + ref.rpartition(".")[2] for ref, _ in references}
    for kind, label in defined:
        if not kind.startswith("loki.source."):
            assert f"{kind}.{label}" in used, f"{kind} {label!r} feeds nothing"


def test_alloy_reads_every_sentimon_stream_and_the_host(alloy):
    defined = components(alloy)
    kinds = {kind for kind, _ in defined}
    assert {"local.file_match", "loki.source.file", "loki.source.journal", "loki.process"} <= kinds
    assert "loki.write" in kinds
    assert "loki.source.docker" not in kinds  # would need the Docker socket
    bare = without_strings(alloy)
    streams = set(re.findall(r'^\s*stream\s*=\s*"(\w+)"', alloy, re.M))
    rules = re.findall(r"rule\s*\{(.*?)\}", alloy, re.S)
    streams |= {
        re.search(r'replacement\s*=\s*"(\w+)"', rule).group(1)
        for rule in rules
        if re.search(r'target_label\s*=\s*"stream"', rule)
        and re.search(r'replacement\s*=\s*"(\w+)"', rule)
    }
    # The stack's files: the stream is the file name's, `$2` of (stdout|stderr).
    streams |= {"stdout", "stderr"} if "(stdout|stderr)" in alloy else set()
    assert streams == {"stdout", "stderr", "file", "syslog"}
    assert "*.stdout.log" in alloy and "*.stderr.log" in alloy
    assert "sentimon*.log" in alloy and "*-json.log" in alloy
    assert "stage.docker" in bare


def test_alloy_sets_job_service_stream_and_level_but_never_request_id_as_a_label(alloy):
    set_labels = set(re.findall(r"^\s*(job|service|stream|level)\s*=", alloy, re.M))
    set_labels |= set(re.findall(r'target_label\s*=\s*"(\w+)"', alloy))
    assert {"job", "service", "stream", "level"} <= set_labels
    for body in re.findall(r"stage\.labels\s*\{(.*?)\}\s*\}", alloy, re.S):
        assert "request_id" not in body
    metadata = re.findall(r"stage\.structured_metadata\s*\{(.*?)\}\s*\}", alloy, re.S)
    assert metadata and "request_id" in metadata[0] and "trace_id" in metadata[0]
    assert 'values = ["filename"]' in alloy  # one stream per worker pid otherwise


def test_alloy_paths_and_addresses_come_from_the_environment(alloy):
    variables = set(re.findall(r'sys\.env\("(\w+)"\)', alloy))
    assert variables == {
        "SENTIMON_LOG_DIR",
        "SENTIMON_STDIO_LOG_DIR",
        "DOCKER_CONTAINERS_DIR",
        "JOURNAL_DIR",
        "HOST_SYSLOG_FILE",
        "LOKI_PUSH_URL",
    }
    assert not re.search(r"(?<![.\w])env\(", alloy), "env() is deprecated: use sys.env()"
    header = ALLOY.read_text().split("\n\n")[0]
    for name in variables:
        assert name in header, f"{name} is not documented at the top of config.alloy"
    service = yaml.safe_load(COMPOSE.read_text())["services"]["alloy"]
    assert set(service["environment"]) <= variables
    assert service["environment"]["LOKI_PUSH_URL"] == "http://loki:3100/loki/api/v1/push"
    assert "/etc/alloy/config.alloy" in service["command"]


def _alloy_string(body: str, attribute: str) -> str:
    """The value of `attribute = "..."` in a block, unescaped as Alloy reads it."""
    raw = re.search(rf'^\s*{attribute}\s*=\s*"((?:[^"\\]|\\.)*)"', body, re.M).group(1)
    return json.loads(f'"{raw}"')


def test_the_stacks_log_files_get_the_compose_service_names(alloy):
    """`stack up` names each process's files for its service; the collector reads the
    labels off the name, and Compose's container logs carry the same names."""
    relabel = components(alloy)[("discovery.relabel", "stdio")]
    labels = {}
    for rule in re.findall(r"rule\s*\{(.*?)\}", relabel, re.S):
        pattern = re.compile(_alloy_string(rule, "regex"))
        replacement = _alloy_string(rule, "replacement")
        labels[_alloy_string(rule, "target_label")] = (pattern, replacement)
    assert set(labels) == {"job", "service", "stream"}

    def label(path: str, name: str) -> str:
        pattern, replacement = labels[name]
        return pattern.fullmatch(path).expand(replacement.replace("$", "\\"))

    compose = set(yaml.safe_load(COMPOSE.read_text())["services"])
    for component in COMPONENTS:
        for stream in ("stdout", "stderr"):
            path = f"/state/logs/{component.log_name}.{stream}.log"
            assert label(path, "service") == label(path, "job") == component.log_name
            assert label(path, "stream") == stream
        # Compose calls the API `api`; the collector relabels it sentimon (below). The console
        # runs natively only: Compose has Grafana.
        assert component.log_name in compose | {"sentimon", "console"}, component.log_name
    containers = components(alloy)[("loki.process", "containers")]
    assert 'service=~\\"api|api-gpu\\"' in containers
    assert re.search(r'values\s*=\s*\{job = "sentimon", service = "sentimon"\}', containers)


def test_the_components_level_is_one_lowercase_label(alloy):
    process = components(alloy)[("loki.process", "components")]
    assert "stage.logfmt" in process and "stage.json" in process  # Go components, receiver
    assert _alloy_string(process, "template") == "{{ if .Value }}{{ ToLower .Value }}{{ end }}"
    assert re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{level = \"\"\}", process)
    assert 'service!=\\"sentimon\\"' in process  # sentimon's JSON keeps its own level


@pytest.mark.parametrize(
    ("line", "service", "message"),
    [
        ('Dec  3 01:55:16 web sentimon: {"level": "ERROR"}', "sentimon", '{"level": "ERROR"}'),
        ("2024-12-03T01:55:16.12+00:00 web sshd[812]: Accepted key", "sshd", "Accepted key"),
    ],
)
def test_the_host_syslog_file_gives_the_identifier_as_service(alloy, line, service, message):
    process = components(alloy)[("loki.process", "host_syslog")]
    match = re.fullmatch(_alloy_string(process, "expression"), line)
    assert match and match["service"] == service and match["message"] == message
    source = components(alloy)[("local.file_match", "host_syslog")]
    assert 'sys.env("HOST_SYSLOG_FILE")' in source  # empty: no file, the journal only


# ---- one level vocabulary ------------------------------------------------------------------


def blocks(body: str, kind: str) -> list[str]:
    """The bodies of the `kind { ... }` blocks in `body`, in order."""
    bare, found = without_strings(body), []
    for match in re.finditer(rf"{re.escape(kind)}\s*\{{", bare):
        depth = 1
        for j, char in enumerate(bare[match.end() :]):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                found.append(body[match.end() : match.end() + j])
                break
    return found


def level_after_the_collector(text: str, level: str | None) -> str | None:
    """The level label a line leaves with, as loki.process "levels" relabels it: each
    stage.match in order, setting the label (static_labels) or dropping it (label_drop)."""
    labels = {"job": "sentimon"} | ({"level": level} if level is not None else {})
    for block in blocks(components(text)[("loki.process", "levels")], "stage.match"):
        if not selects(parse_selector(_alloy_string(block, "selector")), labels):
            continue
        if static := re.search(r'stage\.static_labels\s*\{\s*values = \{level = "(\w+)"\}', block):
            labels["level"] = static.group(1)
        else:
            assert re.search(r'stage\.label_drop\s*\{\s*values = \["level"\]', block), block
            labels.pop("level", None)
    return labels.get("level")


@pytest.mark.parametrize("path", [ALLOY, K8S_ALLOY], ids=["compose-native", "kubernetes"])
@pytest.mark.parametrize(
    ("written", "label"),
    [
        # sentimon's JSON (and the alert receiver's, the console's)
        *[(name.upper(), name) for name in LEVELS],
        # the Go components' logfmt, and the slog-based releases'
        ("debug", "debug"),
        ("info", "info"),
        ("warn", "warning"),
        ("error", "error"),
        ("WARN", "warning"),
        # the journal's priorities
        ("emerg", "critical"),
        ("alert", "critical"),
        ("crit", "critical"),
        ("err", "error"),
        ("warning", "warning"),
        ("notice", "info"),
        # others Grafana reads as these levels (its LogLevel), and Go's fatal and panic
        ("eror", "error"),
        ("dbug", "debug"),
        ("trace", "debug"),
        ("fatal", "critical"),
        ("panic", "critical"),
        # a word outside the vocabulary leaves without a level label; no level stays none
        ("verbose", None),
        (None, None),
    ],
)
def test_every_stream_leaves_with_one_level_vocabulary(path, written, label):
    assert level_after_the_collector(strip_comments(path.read_text()), written) == label


@pytest.mark.parametrize("path", [ALLOY, K8S_ALLOY], ids=["compose-native", "kubernetes"])
def test_every_line_passes_the_levels_stage_on_its_way_to_loki(path):
    defined = components(strip_comments(path.read_text()))
    for (kind, label), body in defined.items():
        sends = "loki.write." in without_strings(body)
        assert sends is ((kind, label) == ("loki.process", "levels")), f"{kind} {label}"
    given = re.findall(r'values = \{level = "(\w+)"\}', defined[("loki.process", "levels")])
    assert sorted(given) == sorted(LEVELS)  # each level once, and no other


def test_both_collectors_share_the_levels_stage():
    compose, k8s = (components(strip_comments(p.read_text())) for p in (ALLOY, K8S_ALLOY))
    assert compose[("loki.process", "levels")] == k8s[("loki.process", "levels")]
