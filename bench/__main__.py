"""Every benchmark, then bench/RESULTS.md, bench/results.png and the goals:

    python -m bench [--quick]

One run, from a fresh bench/results.json, so RESULTS.md shows every figure of the same run. On a
quiet 2-core machine it takes about 15 to 20 minutes. ``--quick`` runs small counts into
/tmp/otp-bench-quick/ (a smoke test of the scripts, never figures to publish; bench/ is left
alone).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

QUICK_DIR = Path("/tmp/otp-bench-quick")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    quick = parser.parse_args().quick
    if quick:
        # Before bench.common is imported: it reads where results go once.
        QUICK_DIR.mkdir(exist_ok=True)
        os.environ["OTP_BENCH_RESULTS"] = str(QUICK_DIR / "results.json")
    from bench import engine, http, memory_store, micro, redis_costs, redis_path, report, signin
    from bench.common import RESULTS_JSON, save_section
    from bench.load import H11, UVLOOP

    if not (UVLOOP.available()):
        sys.exit("uvloop and httptools are missing: pip install -e '.[bench]'")
    RESULTS_JSON.unlink(missing_ok=True)  # every figure of RESULTS.md from this one run
    command = "python -m bench" + (" --quick" if quick else "")
    started = time.monotonic()

    def step(name: str, measure: Callable[[], dict[str, object]], show: object) -> None:
        """Measure, print and keep one section; a section that fails is kept as its error, and
        the run goes on (RESULTS.md shows what failed)."""
        assert callable(show)
        try:
            figures = measure()
        except Exception as exc:  # every failure is reported, none hidden
            traceback.print_exc()
            figures = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"[{name} FAILED: {figures['error']}]", flush=True)
        else:
            show(figures)
        save_section(name, {**figures, "command": command})
        print(f"[{name} done, {(time.monotonic() - started) / 60:.1f} min so far]\n", flush=True)

    reps = 1 if quick else 5
    both = ((1, 200), (64, 1_000)) if quick else ((1, 2_000), (64, 10_000))
    at64 = ((64, 1_000),) if quick else ((64, 10_000),)
    warm = 200 if quick else 2_000
    http_runs = (
        ("http", UVLOOP, both, reps, "standalone"),
        ("http-h11", H11, both, reps, "standalone"),
        ("http-uvloop-2w", replace(UVLOOP, workers=2), at64, reps, "standalone"),
        ("http-h11-2w", replace(H11, workers=2), at64, 1 if quick else 3, "standalone"),
        ("http-cluster", UVLOOP, at64, 1 if quick else 3, "cluster"),
    )
    for name, mode, loads, repetitions, redis_kind in http_runs:
        step(
            name,
            partial(
                http.run,
                mode=mode,
                loads=loads,
                repetitions=repetitions,
                redis_kind=redis_kind,
                warm_up=warm,
            ),
            http.report,
        )
    for mode in (UVLOOP, H11):
        flows = 60 if quick else 1_000
        run = partial(signin.run, mode=mode, flows=flows, repetitions=1 if quick else 3)
        step(f"signin-{mode.name}", run, signin.report)
    pending = 5_000 if quick else 100_000
    run = partial(redis_costs.run, requests=100 if quick else 1_000, pending=pending)
    step("redis", run, redis_costs.report)
    step("memory_store", partial(memory_store.run, pending=pending), memory_store.report)
    sends = 1_000 if quick else 10_000
    run = partial(engine.run, sends=sends, tasks=64, repetitions=1 if quick else 3)
    step("engine", run, engine.report)
    step("micro", partial(micro.run, quick=quick), micro.report)
    step("redis_path", partial(redis_path.run, calls=640 if quick else 10_000), redis_path.report)
    print(f"all sections done in {(time.monotonic() - started) / 60:.1f} min")

    report.main()


if __name__ == "__main__":
    main()
