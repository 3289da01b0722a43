"""Benchmark: what the Transactions page's rollup (core/rollup.py) costs a transaction.

    .venv/bin/python bench/rollup_cost.py [--records 200000] [--flushes 50] [--services 20]

In one process on PostgreSQL: the time of `rollup.record` (the only work on the hot path: one
dictionary update under a lock) and of one `rollup.flush` (one upsert of this process' rows,
after a commit, every ROLLUP_FLUSH_SECONDS) with `--services` services dirty, and the statements
a flush sends. Prints medians. The end-to-end ratio on the completion endpoint is
`bench/metrics_overhead.py --toggle ROLLUP_ENABLED`, which a busy machine drowns in noise.
"""

import argparse
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import prepare  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_rollup"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--flushes", type=int, default=50)
    parser.add_argument("--services", type=int, default=20)
    args = parser.parse_args()
    prepare(DEFAULT_URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import rollup

    services = [f"bench.service_{n}" for n in range(args.services)]
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for n in range(args.records):
            rollup.record(services[n % len(services)], seconds=0.004, cause=None, request_id="bench-request")
        rounds.append((time.perf_counter() - started) / args.records * 1e6)
    print(f"record: {median(rounds):.2f} µs per transaction (median of 5 rounds of {args.records})")
    flushes, statements = [], []
    for _ in range(args.flushes):
        for service in services:
            rollup.record(service, seconds=0.004, cause=None, request_id="bench-request")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            rollup.flush()
            flushes.append((time.perf_counter() - started) * 1000)
        statements.append(len(queries))
    flush_ms = median(flushes)
    print(f"flush of {args.services} services: {flush_ms:.2f} ms, {median(statements):.0f} statement(s) "
          f"(median of {args.flushes})")
    for rate in (50, 400):
        per = (median(rounds) + flush_ms * 1000 / (rate * 10)) / 1000
        print(f"at {rate} transactions/s per process and ROLLUP_FLUSH_SECONDS=10: {per * 1000:.1f} µs per transaction")


if __name__ == "__main__":
    main()
