"""Benchmark: what each middleware costs every request, measured in one run.

    .venv/bin/python bench/middleware.py [--seconds 5] [--rounds 3] [--connections 16] [--workers 2] [--ratio-only]

Starts one gunicorn server (bench.settings) per middleware stack, all at once on the same fresh
database: the product's full stack, no middleware at all, and the full stack without each one in
turn. Then drives GET /bench/bare (a view that returns a tiny JSON body and touches no database)
on each, interleaved round by round, with wrk from this process on loopback. Prints requests/s,
p50/p99, each stack against the middleware-free one, and per middleware the time it adds to a
request (1/rps with it minus 1/rps without it, times the workers; sessions are dropped together
with authentication and messages, which need them). Target: full >= 0.8x none.
"""

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench"
REQUIRES = {
    "core.middleware.LazySessionMiddleware": (
        "core.middleware.AuthenticationMiddleware",
        "core.middleware.LazyMessageMiddleware",
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ratio-only", action="store_true",
                        help="only the full and the middleware-free stacks: more rounds in the same time")
    args = parser.parse_args()
    prepare(DEFAULT_URL)
    # The product's stack, without the bench-only hooks bench.settings adds.
    from creatorcompass import settings as product

    full = list(product.MIDDLEWARE)
    stacks = {"full": full, "none": []}
    for name in [] if args.ratio_only else full:
        # Authentication (and the messages kept in the session) cannot run without sessions.
        dropped = {name, *REQUIRES.get(name, ())}
        label = "-" + "+".join(sorted(m.rsplit(".", 1)[1].removesuffix("Middleware") for m in dropped))
        stacks[label] = [m for m in full if m not in dropped]
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-mw-"))
    with ExitStack() as stack:
        bases = {label: stack.enter_context(gunicorn(args.workers, workdir / f"{n}.log",
                                                     extra_env={"BENCH_MIDDLEWARE": ",".join(middleware)}))
                 for n, (label, middleware) in enumerate(stacks.items())}
        for base in bases.values():
            wrk(f"{base}/bench/bare", 1, args.connections, ROOT / "bench/get_bare.lua")  # warm-up
        rounds = []
        for _ in range(args.rounds):
            one = {}
            for label, base in bases.items():
                one[label] = wrk(f"{base}/bench/bare", args.seconds, args.connections, ROOT / "bench/get_bare.lua")
                one[label]["rps"] = one[label]["requests"] / one[label]["seconds"]
            rounds.append(one)

    rps = {label: median(one[label]["rps"] for one in rounds) for label in stacks}
    print(f"\nGET /bench/bare, {args.connections} connections, {args.workers} gunicorn sync workers per stack, "
          f"{args.rounds} interleaved rounds of {args.seconds}s; medians")
    print(f"{'stack':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs none':>9}{'adds us':>9}")
    for label in stacks:
        runs = [one[label] for one in rounds]
        vs_none = median(one[label]["rps"] / one["none"]["rps"] for one in rounds)
        adds = ""
        if label.startswith("-"):
            adds = f"{(1 / rps['full'] - 1 / rps[label]) * args.workers * 1e6:>9.0f}"
        print(f"{label:<34}{rps[label]:>9.1f}{median(r['p50_ms'] for r in runs):>9.2f}"
              f"{median(r['p99_ms'] for r in runs):>9.2f}{vs_none:>8.2f}x{adds}")
    ratios = [one["full"]["rps"] / one["none"]["rps"] for one in rounds]
    latency = {label: tuple(median(one[label][key] for one in rounds) for key in ("p50_ms", "p99_ms"))
               for label in ("full", "none")}
    print(f"\nfull / none = {median(ratios):.2f}x  (rounds: {', '.join(f'{v:.2f}' for v in ratios)}); "
          f"p50/p99 full {latency['full'][0]:.2f}/{latency['full'][1]:.2f} ms, "
          f"none {latency['none'][0]:.2f}/{latency['none'][1]:.2f} ms; target >= 0.8x")
    return 0 if median(ratios) >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
