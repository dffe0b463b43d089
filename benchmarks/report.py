"""The targets of issue 6 judged on one run's results, and the markdown tables of that run."""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "<!-- bench:begin (written by benchmarks/run.py; edit there) -->"
END = "<!-- bench:end -->"

RSS_LIMIT_MB = 150
READY_LIMIT_S = 3.0


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _us(value: float) -> str:
    return f"{value:.0f} µs" if value < 1000 else _ms(value / 1000)


def _x(value: float) -> str:
    return f"{value:.2f}x"


def targets(results: dict) -> list[dict]:
    """Each target as (what, measured, met), all ratios taken within this one run."""
    v = results["http"]["variants"]
    a, b, c = v["a"], v["b"], v["c"]
    # After the soak, not after wrk's one tweet: texts of varied length are what grow it.
    workers = [
        p["rss_mb"]
        for soaked in results["http"]["soak"]["variants"].values()
        for p in soaked["processes"]
        if p["role"] in ("server", "worker")
    ]
    rows = [
        ("(c) req/s at 8 connections ≥ 0.5x (a)", c["rps_c8"] / a["rps_c8"], "x", 0.5, ">="),
        ("(c) p50 at 1 connection ≤ 2x (a)", c["p50_ms_c1"] / a["p50_ms_c1"], "x", 2.0, "<="),
        ("(c) req/s at 8 connections ≥ 0.85x (b)", c["rps_c8"] / b["rps_c8"], "x", 0.85, ">="),
        (
            "resident memory of any one worker after the soak ≤ 150 MB",
            max(workers),
            " MB",
            RSS_LIMIT_MB,
            "<=",
        ),
        ("ready ≤ 3 s after start", results["startup"]["median_s"], " s", READY_LIMIT_S, "<="),
    ]
    out = []
    for what, measured, unit, limit, op in rows:
        met = measured >= limit if op == ">=" else measured <= limit
        out.append({"target": what, "measured": round(measured, 3), "unit": unit, "met": met})
    return out


def _machine(m: dict) -> str:
    versions = ", ".join(
        f"{name} {m[name]}"
        for name in (
            "onnxruntime",
            "uvicorn",
            "fastapi",
            "starlette",
            "pydantic",
            "uvloop",
            "httptools",
        )
        if m.get(name)
    )
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; {m['os']}; "
        f"Python {m['python']}; {versions}; {m['wrk'] or 'wrk'}."
    )


def _http_table(http: dict) -> list[str]:
    lines = [
        "| variant | req/s at 8 (rounds) | p50 at 1 | p99 at 1 | p50 at 8 | p99 at 8 "
        "| server CPU per request | resident memory | req/s vs (a) | p50 at 1 vs (a) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for key, r in http["variants"].items():
        low, high = r["rps_c8_range"]
        memory = _memory(r["processes"])
        lines.append(
            f"| ({key}) {r['name']} | {r['rps_c8']:,.0f} ({low:,.0f} to {high:,.0f}) "
            f"| {_ms(r['p50_ms_c1'])} | {_ms(r['p99_ms_c1'])} | {_ms(r['p50_ms_c8'])} "
            f"| {_ms(r['p99_ms_c8'])} | {_us(r['cpu_us_per_request_c8'])} | {memory} "
            f"| {_x(r['vs_bare']['rps_c8'])} | {_x(r['vs_bare']['p50_ms_c1'])} |"
        )
    return lines


def _memory(processes: list[dict]) -> str:
    return ", ".join(f"{p['role']} {p['rss_mb']:.0f} MB" for p in processes)


def _soak_table(http: dict) -> list[str]:
    soak = http["soak"]
    lines = [
        f"After the wrk rounds, {soak['requests']:,} requests over {soak['connections']} "
        "connections: `/predict` with one text and `/predict/batch` with 1 to 64 texts in "
        "turn, each text 1 to 5,000 characters (log-uniform, seeded; `harness.soak`).",
        "",
        "| variant | texts | soak time | resident memory after wrk | after the soak |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for key, r in soak["variants"].items():
        variant = http["variants"][key]
        lines.append(
            f"| ({key}) {variant['name']} | {r['texts']:,} | {r['seconds']:.0f} s "
            f"| {_memory(variant['processes'])} | {_memory(r['processes'])} |"
        )
    return lines


def _model_tables(model: dict) -> list[str]:
    single = model["single_text"]
    lines = [
        f"Single text (the tweet wrk sends, {model['model']['tokens_in_tweet']} tokens): "
        f"p50 {_us(single['p50_us'])}, p99 {_us(single['p99_us'])} "
        f"({single['n']:,} calls, {model['threads']} onnxruntime thread; "
        f"load and probe {model['load_and_probe_s']:.2f} s).",
        "",
        "| text length | tokens read | p50 | p99 |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for chars, r in model["latency_by_text_chars"].items():
        read = f"{r['tokens']} (window full)" if r["truncated"] else str(r["tokens"])
        lines.append(
            f"| {int(chars):,} characters | {read} | {_us(r['p50_us'])} | {_us(r['p99_us'])} |"
        )
    lines += ["", "| batch size | texts/s | p50 per batch |", "| ---: | ---: | ---: |"]
    for size, r in model["batch"].items():
        lines.append(f"| {size} | {r['texts_per_s']:,} | {_us(r['p50_us'])} |")
    return lines


_BREAKDOWN_ROWS = {
    "a": "(a) bare FastAPI",
    "b_stubbed_model": "(b) with the model stubbed (a fixed prediction)",
    "b": "(b) sentimon, metrics and logs off",
    "c": "(c) sentimon as shipped",
}


def _breakdown_table(breakdown: dict) -> list[str]:
    cpu = breakdown["cpu_us_per_request"]
    lines = [
        f"Each app's ASGI interface called directly, {breakdown['rounds']} interleaved rounds "
        f"of {breakdown['calls_per_round']:,} requests in one process, medians "
        "(`benchmarks/breakdown.py`).",
        "",
        "| app | CPU per request | vs (a) |",
        "| --- | ---: | ---: |",
    ]
    for key, name in _BREAKDOWN_ROWS.items():
        lines.append(f"| {name} | {_us(cpu[key])} | {_x(cpu[key] / cpu['a'])} |")
    lines += [
        "",
        f"The model inside a request, (b) less (b) stubbed: {_us(breakdown['model_in_request_us'])}"
        f" of the {_us(cpu['b'])}.",
    ]
    return lines


def render(results: dict) -> str:
    """The measured part of docs/performance.md."""
    load = results["load_average"]
    plan = results["plan"]
    http = results["http"]
    startup = results["startup"]
    pinning = (
        f"servers (a), (b), (c) pinned to CPU {http['cpus']['server']} and their wrk to CPU "
        f"{http['cpus']['wrk']}; (d) and its wrk unpinned"
        if http["cpus"]["server"] is not None
        else "nothing pinned (one CPU)"
    )
    lines = [
        f"Measured {results['date']} with `{results['command']}` in {results['wall_seconds']} s: "
        f"{plan['rounds']} interleaved rounds of {plan['seconds']:g} s per variant and "
        f"concurrency, medians; {pinning}.",
        "",
        f"Machine: {_machine(results['machine'])}",
        "",
        "Load average (1, 5, 15 min) at the start: {}; before the HTTP rounds: {}; "
        "at the end: {}.".format(
            *(", ".join(f"{x:.2f}" for x in load[k]) for k in ("before", "before_http", "after"))
        ),
        "",
        "### HTTP: POST /predict with one tweet, on loopback",
        "",
        *_http_table(http),
        "",
        "### Memory after a soak of texts of varied length",
        "",
        *_soak_table(http),
        "",
        "### Targets",
        "",
        "| target | measured | met |",
        "| --- | ---: | --- |",
    ]
    for t in results["targets"]:
        lines.append(
            f"| {t['target']} | {t['measured']:.2f}{t['unit']} | {'yes' if t['met'] else 'no'} |"
        )
    lines += [
        "",
        "### Where a request's CPU goes: the apps in process, no HTTP server",
        "",
        *_breakdown_table(results["breakdown"]),
        "",
        "### The model alone: tokenizer and onnxruntime, no HTTP",
        "",
        *_model_tables(results["model"]),
        "",
        "### Start-up",
        "",
        f"`sentimon serve` spawned to the first 200 from `/readyz`: median "
        f"{startup['median_s']:.2f} s of {len(startup['samples_s'])} "
        f"({', '.join(f'{s:.2f}' for s in startup['samples_s'])} s).",
    ]
    return "\n".join(lines) + "\n"


def update_doc(path: Path, table: str) -> None:
    """Replace what lies between the markers in `path` with `table`."""
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} lacks the markers {BEGIN!r} ... {END!r}")
    path.write_text(pattern.sub(lambda _: f"{BEGIN}\n{table}{END}", text))
