"""bench/RESULTS.md and bench/results.png from the latest figures in bench/results.json.

    python -m bench.report

The profile notes (bench/PROFILE.md, written by hand after profiling) are copied in verbatim.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/report.py`: the repository root, not bench/
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import BENCH_DIR, RESULTS_JSON

RESULTS_MD = BENCH_DIR / "RESULTS.md"
CHART = BENCH_DIR / "results.png"
PROFILE_NOTES = BENCH_DIR / "PROFILE.md"
TARGETS = ("bare", "send", "verify")
COLOURS = {"bare": "#9e9e9e", "send": "#1f77b4", "verify": "#ff7f0e"}

#: The issue's goals for a 2-core machine.
MIN_RATIO = 0.35
MAX_P50_DELTA_MS = 0.4
MAX_ROUND_TRIPS = 1
MAX_BYTES_PER_CODE = 250


def chart(http: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    connections = list(http["connections"])
    fig, (throughput, p99) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.26
    for offset, target in enumerate(TARGETS):
        xs = [i + (offset - 1) * width for i in range(len(connections))]
        rps = [http["connections"][c][target]["rps"] for c in connections]
        lat = [http["connections"][c][target]["p99_ms"] for c in connections]
        bars = throughput.bar(xs, rps, width, label=target, color=COLOURS[target])
        throughput.bar_label(bars, fmt="{:,.0f}", fontsize=8)
        bars = p99.bar(xs, lat, width, label=target, color=COLOURS[target])
        p99.bar_label(bars, fmt="{:.1f}", fontsize=8)
    for axis, title, unit in (
        (throughput, "Throughput (median)", "requests per second"),
        (p99, "p99 latency (median)", "milliseconds (log scale)"),
    ):
        axis.set_xticks(range(len(connections)), [f"{c} connection(s)" for c in connections])
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.legend()
    p99.set_yscale("log")
    fig.suptitle(
        "otp_flow /otp/send and /otp/verify vs a bare Starlette endpoint "
        "(one uvicorn worker, Redis, wrk)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _machine(figures: dict[str, Any]) -> list[str]:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures["machine"].items()]
    return lines


def _http(http: dict[str, Any]) -> list[str]:
    lines = [
        f"Server: `{http['server']}`; driver: {http['driver']}; the same bounded load "
        f"({', '.join(f'{n} requests at {c} connection(s)' for c, n in http['requests'].items())}) "
        f"for all three; median of {http['repetitions']} repetitions. Ratios are computed within "
        "each repetition (otp and bare measured back to back), then the median is taken.",
        "",
        "| connections | target | requests/s | p50 ms | p99 ms | server CPU ms/request "
        "| throughput / bare (per repetition) |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for conns, summary in http["connections"].items():
        for target in TARGETS:
            row = summary[target]
            ratio = ""
            if target != "bare":
                runs = ", ".join(f"{r:.3f}" for r in summary[f"{target}_ratio_runs"])
                ratio = f"**{summary[f'{target}_ratio']:.3f}** ({runs})"
            lines.append(
                f"| {conns} | {target} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | "
                f"{row['p99_ms']:.2f} | {row.get('server_cpu_ms', 0):.3f} | {ratio} |"
            )
    return lines


def _goals(results: dict[str, Any]) -> list[str]:
    lines = ["| goal | measured | |", "|---|---:|---|"]
    http = results.get("http")
    if http:
        at64, at1 = http["connections"]["64"], http["connections"]["1"]
        for target in ("send", "verify"):
            ratio = at64[f"{target}_ratio"]
            lines.append(
                f"| {target} throughput ≥ {MIN_RATIO} × bare at 64 connections | {ratio:.3f} | "
                f"{_verdict(ratio >= MIN_RATIO)} |"
            )
        for target in ("send", "verify"):
            delta = at1[f"{target}_p50_delta_ms"]
            lines.append(
                f"| {target} p50 at 1 connection ≤ bare + {MAX_P50_DELTA_MS} ms | "
                f"+{delta:.3f} ms | {_verdict(delta <= MAX_P50_DELTA_MS)} |"
            )
    redis = results.get("redis")
    if redis:
        for kind in ("send", "verify"):
            trips = redis["commands"][kind]["round_trips"]
            lines.append(
                f"| Redis commands per {kind} = {MAX_ROUND_TRIPS} | {trips:g} | "
                f"{_verdict(trips == MAX_ROUND_TRIPS)} |"
            )
        for mem in redis["memory"]:
            per = mem["bytes_per_pending_code"]
            server = mem["redis_server"].split(" sha=")[0].removeprefix("Redis server ")
            allocator = mem["allocator"]
            lines.append(
                f"| bytes per pending code ≤ {MAX_BYTES_PER_CODE} (Redis {server}, {allocator}) "
                f"| {per:.1f} | {_verdict(per <= MAX_BYTES_PER_CODE)} |"
            )
    return lines


def _redis(redis: dict[str, Any]) -> list[str]:
    lines = [
        f"Over {redis['requests']} sends and {redis['requests']} verifies through HTTP (INFO "
        "commandstats before and after; commands a Lua script runs are counted by Redis too and "
        "listed separately).",
        "",
        "| request | round trips | sent by the app | run inside the script |",
        "|---|---:|---|---|",
    ]
    for kind in ("send", "verify"):
        data = redis["commands"][kind]
        sent = ", ".join(f"{k.upper()} {v:g}" for k, v in data["sent_by_app"].items())
        ran = ", ".join(f"{k.upper()} {v:g}" for k, v in data["run_by_scripts"].items())
        lines.append(f"| {kind} | {data['round_trips']:g} | {sent} | {ran} |")
    lines += [
        "",
        "| Redis | pending codes | keys | used_memory before → after | bytes per pending code "
        "| MEMORY USAGE of one recipient key |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for mem in redis["memory"]:
        server = mem["redis_server"].split(" sha=")[0].removeprefix("Redis server ")
        lines.append(
            f"| {server}, {mem['allocator']} | {mem['pending_codes']:,} | {mem['keys']:,} | "
            f"{mem['used_memory_before']:,} → {mem['used_memory_after']:,} | "
            f"**{mem['bytes_per_pending_code']:.1f}** | "
            f"{mem['memory_usage_of_one_recipient_key']} |"
        )
    return lines


def _engine(engine: dict[str, Any]) -> list[str]:
    operations = ("send", "send, no sender", "verify")
    lines = [
        f"{engine['operations']:,} operations per run on {engine['tasks']} concurrent tasks, "
        f"median of {engine['repetitions']} repetitions, operations per second. *send* renders "
        "the message for a sender that discards it; *send, no sender* hands the code back.",
        "",
        "| store | " + " | ".join(operations) + " |",
        "|---|" + "---:|" * len(operations),
    ]
    for store, data in engine["stores"].items():
        medians = data["medians"]
        lines.append(
            f"| {store} | " + " | ".join(f"{medians[op]:,.0f}" for op in operations) + " |"
        )
    return lines


def write(results: dict[str, Any]) -> str:
    commands = list(
        dict.fromkeys(
            f"`{results[k]['command']}`" for k in ("http", "redis", "engine") if k in results
        )
    )
    first = next(iter(results.values()))
    lines = [
        "# Benchmark results",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `python -m bench.report` "
        f"from the figures of {', '.join(commands)}.",
        "",
        "## Machine",
        "",
        *_machine(first),
        "",
        "## Goals",
        "",
        *_goals(results),
        "",
    ]
    if "http" in results:
        chart(results["http"], CHART)
        lines += ["## HTTP: bare Starlette vs otp_flow", "", *_http(results["http"]), ""]
        lines += [f"![throughput and p99]({CHART.name})", ""]
    for key in sorted(k for k in results if k.startswith("http-")):
        extra = results[key]
        lines += [f"## Extra HTTP run: {key}", "", f"Command: `{extra['command']}`", ""]
        lines += [*_http(extra), ""]
    if "redis" in results:
        lines += ["## Redis: round trips and memory", "", *_redis(results["redis"]), ""]
    if "engine" in results:
        lines += ["## The engine alone (no HTTP)", "", *_engine(results["engine"]), ""]
    if PROFILE_NOTES.exists():
        lines += [PROFILE_NOTES.read_text(encoding="utf-8").rstrip(), ""]
    text = "\n".join(lines)
    RESULTS_MD.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    if not RESULTS_JSON.exists():
        raise SystemExit("no bench/results.json yet: run python -m bench first")
    write(json.loads(RESULTS_JSON.read_text()))
    print(f"wrote {RESULTS_MD.relative_to(BENCH_DIR.parent)} and {CHART.name}")


if __name__ == "__main__":
    main()
