"""Every benchmark, then bench/RESULTS.md and bench/results.png:

    python -m bench [--quick]

``--quick`` runs small counts (a smoke test of the scripts, not figures to publish).
"""

from __future__ import annotations

import argparse

from bench import engine, http, redis_costs, report
from bench.common import save_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    quick = parser.parse_args().quick
    command = "python -m bench" + (" --quick" if quick else "")

    figures = http.run(
        requests_1=200 if quick else 2_000,
        requests_64=1_000 if quick else 10_000,
        repetitions=1 if quick else 5,
    )
    http.report(figures)
    save_section("http", {**figures, "command": command})

    figures = redis_costs.run(requests=100 if quick else 1_000, pending=5_000 if quick else 100_000)
    redis_costs.report(figures)
    save_section("redis", {**figures, "command": command})

    figures = engine.run(sends=1_000 if quick else 10_000, tasks=64, repetitions=1 if quick else 3)
    engine.report(figures)
    save_section("engine", {**figures, "command": command})

    report.main()


if __name__ == "__main__":
    main()
