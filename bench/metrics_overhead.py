"""Benchmark: the cost of metrics on the task-completion endpoint.

    .venv/bin/python bench/metrics_overhead.py [--seconds 8] [--rounds 3] [--toggle ROLLUP_ENABLED]

The same gunicorn + PostgreSQL setup as bench/complete.py, run with METRICS_ENABLED=true and
=false in interleaved rounds, each POST a first-time completion; prints requests/s, p50/p99 and
the median ratio (with / without). `--toggle ROLLUP_ENABLED` keeps the Prometheus metrics on and
turns only the Transactions page's rollup (core.rollup) on and off.
"""

import argparse
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402
from bench.complete import make_creators  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_metrics"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--creators", type=int, default=150)
    parser.add_argument("--toggle", default="METRICS_ENABLED", choices=["METRICS_ENABLED", "ROLLUP_ENABLED"])
    args = parser.parse_args()
    prepare(DEFAULT_URL)
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-metrics-"))
    pairs = {"with": make_creators(args.creators, "on"), "without": make_creators(args.creators, "off")}
    files = {}
    for name, all_pairs in pairs.items():
        chunk = len(all_pairs) // args.rounds
        for r in range(args.rounds):
            files[name, r] = workdir / f"{name}-{r}.pairs"
            files[name, r].write_text("".join(f"{t} {task}\n" for t, task in all_pairs[r * chunk:(r + 1) * chunk]))
    runs = {"with": [], "without": []}
    for r in range(args.rounds):
        for name, enabled in (("with", "true"), ("without", "false")):
            with gunicorn(args.workers, workdir / "gunicorn.log", {args.toggle: enabled}) as base:
                wrk(f"{base}/healthz", 1, args.connections, ROOT / "bench/get_bare.lua")  # warm-up
                run = wrk(f"{base}/", args.seconds, args.connections, ROOT / "bench/post_pairs.lua",
                          files[name, r], 2, "/api/v1/tasks/")
                run["rps"] = run["requests"] / run["seconds"]
                runs[name].append(run)
    print(f"\n{args.toggle} on/off: completion endpoint, {args.connections} connections, {args.workers} workers, {args.rounds} rounds; medians")
    for name in ("with", "without"):
        rs = runs[name]
        print(f"{name:<8} {median(r['rps'] for r in rs):8.1f} req/s  p50 {median(r['p50_ms'] for r in rs):6.2f} ms"
              f"  p99 {median(r['p99_ms'] for r in rs):6.2f} ms  non-2xx {sum(r['non2xx'] for r in rs)}")
    ratios = [w["rps"] / wo["rps"] for w, wo in zip(runs["with"], runs["without"])]
    print(f"with / without = {median(ratios):.3f}x (rounds: {', '.join(f'{x:.3f}' for x in ratios)})")


if __name__ == "__main__":
    main()
