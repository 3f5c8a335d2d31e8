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

#: Beside results.json (bench/ unless OTP_BENCH_RESULTS moves it).
RESULTS_MD = RESULTS_JSON.parent / "RESULTS.md"
CHART = RESULTS_JSON.parent / "results.png"
PROFILE_NOTES = BENCH_DIR / "PROFILE.md"
TARGETS = ("bare", "send", "verify")
COLOURS = {"bare": "#9e9e9e", "send": "#1f77b4", "verify": "#ff7f0e"}

#: The goals of issue 14, for this 2-core machine, on production's uvloop + httptools.
MIN_RATIO = 0.35
MAX_P50_DELTA_MS = 0.3
MAX_SIGNIN_FLOOR_RATIO = 2.0
MAX_ROUND_TRIPS = 1
MAX_BYTES_PER_CODE = 250
MIN_TWO_WORKER_GAIN = 1.8

#: The sections ``python -m bench`` writes, in the order RESULTS.md shows them, with a title.
HTTP_SECTIONS = {
    "http": "HTTP, production settings: one worker, uvloop + httptools",
    "http-h11": "HTTP, pure-Python settings: one worker, asyncio + h11",
    "http-uvloop-2w": "HTTP, two workers, uvloop + httptools",
    "http-h11-2w": "HTTP, two workers, asyncio + h11",
    "http-cluster": "HTTP on a Redis Cluster (3 masters), one worker, uvloop + httptools",
}
SIGNIN_SECTIONS = {
    "signin-uvloop-1w": "uvloop + httptools, one worker",
    "signin-h11-1w": "asyncio + h11, one worker",
}


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
        f"Server: `{http['server']}`; Redis: {http.get('redis', 'standalone')}; driver: "
        f"{http['driver']}; {http.get('pinning', 'not pinned')}; the same bounded load "
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


Goal = tuple[str, str, bool | None]  # what, measured, met (None: only shown)


def goals(all_results: dict[str, Any]) -> list[Goal]:
    """Every goal with what the results say (a section that failed shows its error)."""
    results = {k: v for k, v in all_results.items() if "error" not in v}
    rows: list[Goal] = [
        (f"section {name} ran", section["error"], False)
        for name, section in all_results.items()
        if "error" in section
    ]
    http = results.get("http")
    if http and "64" in http["connections"]:
        at64 = http["connections"]["64"]
        for target in ("send", "verify"):
            ratio = at64[f"{target}_ratio"]
            rows.append(
                (
                    f"{target} throughput ≥ {MIN_RATIO} × bare at 64 connections "
                    f"({http['server']})",
                    f"{ratio:.3f}",
                    ratio >= MIN_RATIO,
                )
            )
    if http and "1" in http["connections"]:
        at1 = http["connections"]["1"]
        for target in ("send", "verify"):
            delta = at1[f"{target}_p50_delta_ms"]
            rows.append(
                (
                    f"{target} p50 at 1 connection ≤ bare + {MAX_P50_DELTA_MS} ms",
                    f"{delta:+.3f} ms",
                    delta <= MAX_P50_DELTA_MS,
                )
            )
    signin = results.get("signin-uvloop-1w")
    if signin:
        pages = signin["flows"]["pages"]
        rows.append(
            (
                f"page sign-in ≤ {MAX_SIGNIN_FLOOR_RATIO:g} × the bare floor's server CPU",
                f"{pages['ratio']:.2f} × ({pages['cpu_ms']:.2f} vs {pages['floor_cpu_ms']:.2f} ms)",
                pages["ratio"] <= MAX_SIGNIN_FLOOR_RATIO,
            )
        )
    redis = results.get("redis")
    if redis:
        for label, key in (("", "commands"), (", default limits", "commands_with_limits")):
            for kind, data in (redis.get(key) or {}).items():
                trips = data["round_trips"]
                rows.append(
                    (
                        f"Redis commands per {kind}{label} = {MAX_ROUND_TRIPS}",
                        f"{trips:g}",
                        trips == MAX_ROUND_TRIPS,
                    )
                )
        for mem in redis["memory"]:
            per = mem["bytes_per_pending_code"]
            server = mem["redis_server"].split(" sha=")[0].removeprefix("Redis server ")
            rows.append(
                (
                    f"bytes per pending code ≤ {MAX_BYTES_PER_CODE} (Redis {server}, "
                    f"{mem['allocator']})",
                    f"{per:.1f}",
                    per <= MAX_BYTES_PER_CODE,
                )
            )
    memory = results.get("memory_store")
    if memory:
        rows.append(
            (
                "memory store back to its starting size after its codes expire",
                f"{memory['entries_after_expiry']} entries, "
                f"{memory['residue_bytes']:+,} bytes vs start",
                bool(memory["returned_to_start"]),
            )
        )
    one, two = results.get("http"), results.get("http-uvloop-2w")
    if one and two and "64" in one["connections"] and "64" in two["connections"]:
        for target in ("send", "verify"):
            gain = two["connections"]["64"][target]["rps"] / one["connections"]["64"][target]["rps"]
            rows.append(
                (
                    f"{target}: 2 workers ≥ {MIN_TWO_WORKER_GAIN} × one worker at 64 connections",
                    f"{gain:.2f} ×",
                    gain >= MIN_TWO_WORKER_GAIN,
                )
            )
    cluster = results.get("http-cluster")
    if cluster and "64" in cluster["connections"]:
        at64 = cluster["connections"]["64"]
        rows.append(
            (
                "a Redis Cluster run with figures",
                f"send {at64['send']['rps']:,.0f}/s, verify {at64['verify']['rps']:,.0f}/s "
                f"({at64['send_ratio']:.3f}, {at64['verify_ratio']:.3f} of bare)",
                None,
            )
        )
    return rows


def _goals(results: dict[str, Any]) -> list[str]:
    lines = ["| goal | measured | |", "|---|---:|---|"]
    for goal, measured, met in goals(results):
        verdict = "measured" if met is None else _verdict(met)
        lines.append(f"| {goal} | {measured} | {verdict} |")
    return lines


def print_goals(results: dict[str, Any]) -> None:
    print("\ngoals (issue 14; printed, not asserted):")
    for goal, measured, met in goals(results):
        verdict = "measured" if met is None else ("met" if met else "NOT MET")
        print(f"  {verdict:>9}  {goal}: {measured}")


def _scaling(results: dict[str, Any]) -> list[str]:
    lines = [
        "Requests per second at 64 connections, medians; the gain is two workers' median over "
        "one worker's (separate runs of the same load).",
        "",
        "| loop | target | 1 worker | 2 workers | gain |",
        "|---|---|---:|---:|---:|",
    ]
    for one_key, two_key, loop in (
        ("http", "http-uvloop-2w", "uvloop + httptools"),
        ("http-h11", "http-h11-2w", "asyncio + h11"),
    ):
        one, two = results.get(one_key), results.get(two_key)
        if not (one and two and "64" in one["connections"] and "64" in two["connections"]):
            continue
        for target in TARGETS:
            a = one["connections"]["64"][target]["rps"]
            b = two["connections"]["64"][target]["rps"]
            lines.append(f"| {loop} | {target} | {a:,.0f} | {b:,.0f} | {b / a:.2f} × |")
    return lines


def _signin(signin: dict[str, Any]) -> list[str]:
    lines = [
        f"Server: `{signin['server']}`; driver: {signin['driver']}; {signin['pinning']}; "
        f"{signin['flows_per_run']:,} sign-ins per run and kind, median of "
        f"{signin['repetitions']} repetitions; the floor (the same count of requests against "
        "bare endpoints) measured right after each run.",
        "",
        "| sign-in | requests | server CPU ms | floor CPU ms | × floor (per repetition) "
        "| Redis CPU ms | sign-ins/s |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    names = {"pages": "pages (login by code)", "api": "CIAM API (send + token grant)"}
    if not signin["token_grant"]:
        names["api"] = "CIAM API (send only: /oauth2/token answered 404)"
    for name, row in signin["flows"].items():
        runs = ", ".join(f"{r:.2f}" for r in row["ratio_runs"])
        lines.append(
            f"| {names.get(name, name)} | {row['requests_per_flow']} | {row['cpu_ms']:.3f} | "
            f"{row['floor_cpu_ms']:.3f} | **{row['ratio']:.2f}** ({runs}) | "
            f"{row['redis_cpu_ms']:.3f} | {row['flows_per_second']:,.0f} |"
        )
    return lines


def _memory_store(memory: dict[str, Any]) -> list[str]:
    return [
        f"{memory['pending_codes']:,} pending codes through the engine (memory store, default "
        f"limits), then the clock two days on and {memory['trickle_sends']:,} further sends "
        "(each sweeps a bounded batch). tracemalloc, after gc.collect().",
        "",
        "| | start | full | after expiry |",
        "|---|---:|---:|---:|",
        f"| recipient entries | {memory['entries_start']:,} | {memory['entries_full']:,} | "
        f"{memory['entries_after_expiry']:,} |",
        f"| bytes allocated | {memory['allocated_start']:,} | {memory['allocated_full']:,} | "
        f"{memory['allocated_after_expiry']:,} |",
        "",
        f"Bytes per pending code: **{memory['bytes_per_pending_code']:.0f}**.",
    ]


def _micro(micro: dict[str, Any]) -> list[str]:
    lines = [
        f"Median of {micro['repeats']} timed loops, µs of this process's CPU per call "
        "(bench/micro.py).",
        "",
        "| what | before | µs | after | µs | saved µs |",
        "|---|---|---:|---|---:|---:|",
    ]
    for item in micro["items"]:
        lines.append(
            f"| {item['item']} | {item['old']} | {item['old_us']:.2f} | {item['new']} | "
            f"{item['new_us']:.2f} | {item['saved_us']:.2f} |"
        )
    return lines


def _redis_path(path: dict[str, Any]) -> list[str]:
    lines = [
        f"Client CPU per script call (bench/redis_path.py; {path['loop']} loop, "
        f"{path['calls']:,} calls per run, median of {path['repeats']}); the client's CPU "
        "(this process) and redis-server's (from /proc), per call.",
        "",
        "| client | call | tasks | client µs CPU per call | calls/s | Redis µs CPU per call |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in path["rows"]:
        lines.append(
            f"| {row['variant']} | {row['call']} | {row['tasks']} | {row['cpu_us']:.1f} | "
            f"{row['calls_per_second']:,.0f} | {row.get('redis_cpu_us', 0):.1f} |"
        )
    return lines


def _redis(redis: dict[str, Any]) -> list[str]:
    lines = [
        f"Over {redis['requests']} sends and {redis['requests']} verifies through HTTP (INFO "
        "commandstats before and after; commands a Lua script runs are counted by Redis too and "
        "listed separately).",
        "",
        "| request | limits | round trips | sent by the app | run inside the script |",
        "|---|---|---:|---|---|",
    ]
    for label, key in (("off", "commands"), ("default", "commands_with_limits")):
        for kind, data in (redis.get(key) or {}).items():
            sent = ", ".join(f"{k.upper()} {v:g}" for k, v in data["sent_by_app"].items())
            ran = ", ".join(f"{k.upper()} {v:g}" for k, v in data["run_by_scripts"].items())
            lines.append(f"| {kind} | {label} | {data['round_trips']:g} | {sent} | {ran} |")
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


def write(all_results: dict[str, Any]) -> str:
    commands = list(dict.fromkeys(f"`{section['command']}`" for section in all_results.values()))
    results = {k: v for k, v in all_results.items() if "error" not in v}
    first: dict[str, Any] = next(iter(results.values()), {"machine": {}})
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
        *_goals(all_results),
        "",
    ]
    for key, title in HTTP_SECTIONS.items():
        if key not in results:
            continue
        lines += [f"## {title}", "", *_http(results[key]), ""]
        if key == "http":
            chart(results["http"], CHART)
            lines += [f"![throughput and p99]({CHART.name})", ""]
    others = sorted(k for k in results if k.startswith("http") and k not in HTTP_SECTIONS)
    for key in others:
        lines += [f"## Extra HTTP run: {key}", "", f"Command: `{results[key]['command']}`", ""]
        lines += [*_http(results[key]), ""]
    if "http-uvloop-2w" in results or "http-h11-2w" in results:
        lines += ["## One worker vs two", "", *_scaling(results), ""]
    for key, title in SIGNIN_SECTIONS.items():
        if key in results:
            lines += [f"## Whole sign-in: server CPU, {title}", "", *_signin(results[key]), ""]
    if "redis" in results:
        lines += ["## Redis: round trips and memory", "", *_redis(results["redis"]), ""]
    if "memory_store" in results:
        lines += ["## The memory store", "", *_memory_store(results["memory_store"]), ""]
    if "engine" in results:
        lines += ["## The engine alone (no HTTP)", "", *_engine(results["engine"]), ""]
    if "micro" in results:
        lines += ["## Micro-benchmarks of the hot-path cuts", "", *_micro(results["micro"]), ""]
    if "redis_path" in results:
        lines += ["## The Redis call path", "", *_redis_path(results["redis_path"]), ""]
    if PROFILE_NOTES.exists():
        lines += [PROFILE_NOTES.read_text(encoding="utf-8").rstrip(), ""]
    text = "\n".join(lines)
    RESULTS_MD.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    if not RESULTS_JSON.exists():
        raise SystemExit("no bench/results.json yet: run python -m bench first")
    results = json.loads(RESULTS_JSON.read_text())
    write(results)
    print_goals(results)
    print(f"\nwrote {RESULTS_MD} and {CHART.name}")


if __name__ == "__main__":
    main()
