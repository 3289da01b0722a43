"""Benchmark: the app through PgBouncer (transaction pooling) vs straight to PostgreSQL, in one run.

    .venv/bin/python bench/pgbouncer.py [--seconds 8] [--rounds 3] [--clients 1000] [--pool-size 20]

Starts PgBouncer with the production pool file (deploy/pgbouncer/pgbouncer.ini) in front of a
fresh PostgreSQL database, then:

1. holds `--clients` client connections open through the pool at once, each having run a
   transaction, while sampling the database's PostgreSQL backends (pg_stat_activity): their
   maximum must not exceed the pool size;
2. drives task completions (every POST a first completion, bench/post_pairs.lua) with wrk, 16
   connections, against two gunicorn servers of 4 workers, one with DATABASE_URL straight to
   PostgreSQL and one through PgBouncer with DB_TRANSACTION_POOLING=true, in interleaved rounds;
   prints requests/s, p50/p99 and the ratio (target: pooled >= 0.9x direct).
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402
from bench.complete import make_creators  # noqa: E402
from core.testing.pgbouncer import PgBouncer  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench"


def backends(database_url, name):
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()[0]


def hold_clients(pool, database_url, name, clients):
    """`clients` connections through the pool, all open at once after one transaction each.
    Returns (connections opened, max backends seen, seconds)."""
    opened, stop, seen = [], threading.Event(), [0]

    def sample():
        while not stop.is_set():
            seen[0] = max(seen[0], backends(database_url, name))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    barrier = threading.Barrier(clients + 1, timeout=120)

    def client():
        with psycopg.connect(pool.url(name), connect_timeout=30) as conn:
            with conn.transaction():
                conn.execute("SELECT count(*) FROM accounts_user").fetchone()
            opened.append(1)
            barrier.wait()  # every client is connected and idle here
            barrier.wait()  # until the main thread has counted

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    held = backends(database_url, name)
    barrier.wait()
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    return len(opened), max(seen[0], held), time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--creators", type=int, default=150)
    parser.add_argument("--server-socket-dir", default="/var/run/postgresql",
                        help="PgBouncer reaches PostgreSQL through this Unix socket directory, as on the "
                             "database's host ('' for TCP to 127.0.0.1)")
    args = parser.parse_args()
    database_url = prepare(DEFAULT_URL)
    name = database_url.rsplit("/", 1)[1]
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-pool-"))
    pool = PgBouncer(tempfile.mkdtemp(prefix="cc-pgbouncer-"), database_url.rsplit("/", 1)[0],
                     pool_size=args.pool_size, max_clients=args.clients + 100,
                     server_socket_dir=args.server_socket_dir or None).start()
    from django.db import connections

    connections.close_all()  # this process's own connection would count as a backend
    try:
        opened, most, seconds = hold_clients(pool, database_url, name, args.clients)
        print(f"{opened} client connections held through PgBouncer (pool size {args.pool_size}): "
              f"at most {most} PostgreSQL backends on the database ({seconds:.1f} s)", flush=True)

        print(f"creating {2 * args.creators} creators ...", flush=True)
        pairs = {"direct": make_creators(args.creators, "direct"), "pooled": make_creators(args.creators, "pooled")}
        files = {}
        for label, label_pairs in pairs.items():
            chunk = len(label_pairs) // args.rounds
            for r in range(args.rounds):
                files[label, r] = workdir / f"{label}-{r}.pairs"
                files[label, r].write_text("".join(f"{t} {task}\n" for t, task in label_pairs[r * chunk:(r + 1) * chunk]))

        pooled_env = {"DATABASE_URL": pool.url(name), "DB_TRANSACTION_POOLING": "true"}
        with gunicorn(args.workers, workdir / "direct.log") as direct, \
                gunicorn(args.workers, workdir / "pooled.log", extra_env=pooled_env) as pooled:
            rounds = []
            for r in range(args.rounds):
                one = {}
                # Alternate which goes first, so neither always runs on the warmer (or busier) machine.
                order = (("direct", direct), ("pooled", pooled))
                for label, base in order if r % 2 == 0 else order[::-1]:
                    one[label] = wrk(f"{base}/", args.seconds, args.connections, ROOT / "bench/post_pairs.lua",
                                     files[label, r], 2, "/api/v1/tasks/")
                    one[label]["rps"] = one[label]["requests"] / one[label]["seconds"]
                rounds.append(one)
    finally:
        pool.stop()

    ratios = [one["pooled"]["rps"] / one["direct"]["rps"] for one in rounds]
    print(f"\ncompletions, {args.connections} connections, {args.workers} gunicorn sync workers each, "
          f"{args.rounds} interleaved rounds of {args.seconds}s; medians")
    print(f"{'database':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for label in ("direct", "pooled"):
        runs = [one[label] for one in rounds]
        print(f"{label:<10}{median(x['rps'] for x in runs):>9.1f}{median(x['p50_ms'] for x in runs):>9.2f}"
              f"{median(x['p99_ms'] for x in runs):>9.2f}{sum(x['non2xx'] for x in runs):>9}")
    print(f"\npooled / direct = {median(ratios):.2f}x  (rounds: {', '.join(f'{v:.2f}' for v in ratios)})")
    held_ok = most <= args.pool_size
    print(f"targets: backends <= pool size: {held_ok}; pooled >= 0.9x direct: {median(ratios) >= 0.9}")
    return 0 if held_ok and median(ratios) >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
