"""Benchmark: task completion vs a hand-written SQL reference vs a bare endpoint, in one run.

    .venv/bin/python bench/complete.py [--seconds 10] [--connections 16] [--workers 4]

Starts gunicorn (bench.settings: the product plus bench-only URLs) on 127.0.0.1 against a
fresh PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/creatorcompass_bench), creates paying creators, and drives
three endpoints with wrk (Debian package `wrk`) from a second process on loopback, each for a
bounded time: GET /bench/bare, POST /bench/reference/tasks/<id>/complete (hand-written SQL,
same writes) and POST /api/v1/tasks/<id>/complete (the product), every POST a first-time
completion. Prints requests/s, p50/p99 and the ratios, plus exact queries per request.
"""

import argparse
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench"


def make_creators(count, label):
    """`count` pro creators following YouTube; returns (token, task_id) pairs, round-robin over
    creators so that consecutive requests belong to different creators."""
    from rest_framework.authtoken.models import Token

    from accounts.services import user_signup
    from billing.models import Entitlement
    from tasks.models import RoadmapTask

    tokens = []
    for i in range(count):
        user = user_signup(email=f"{label}{i}@bench.local", password="bench-password-123", platform="youtube").user
        Entitlement.objects.create(user=user, plan_id="pro")
        tokens.append(Token.objects.create(user=user).key)
    task_ids = list(RoadmapTask.objects.filter(platform="youtube").order_by("day", "order").values_list("id", flat=True))
    return [(token, task_id) for task_id in task_ids for token in tokens]


def queries_per_request(path, token):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().post(path, '{"quality": 4}', content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 201, response.content
    return len(captured)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the medians are reported")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--creators", type=int, default=200, help="per POST endpoint; each has 96 fresh tasks")
    args = parser.parse_args()
    prepare(DEFAULT_URL)
    print(f"creating {2 * args.creators + 2} creators ...", flush=True)
    reference_pairs = make_creators(args.creators, "ref")
    product_pairs = make_creators(args.creators, "api")
    # Two probe creators per endpoint: the first request warms what a long-running worker has
    # warm (connection, the catalogue copy), the second is counted.
    queries = {}
    for name, path in (("reference", "/bench/reference/tasks/"), ("completion", "/api/v1/tasks/")):
        probes = make_creators(2, f"q{name}")[:2]
        queries[name] = [queries_per_request(f"{path}{task}/complete", token) for token, task in probes][-1]

    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    files = {}  # (endpoint, round) -> a file of pairs no other run uses
    for name, pairs in (("reference", reference_pairs), ("completion", product_pairs)):
        chunk = len(pairs) // args.rounds
        for r in range(args.rounds):
            files[name, r] = workdir / f"{name}-{r}.pairs"
            files[name, r].write_text("".join(f"{token} {task}\n" for token, task in pairs[r * chunk:(r + 1) * chunk]))
    per_round_pairs = len(reference_pairs) // args.rounds

    with gunicorn(args.workers, workdir / "gunicorn.log") as base:
        wrk(f"{base}/bench/bare", 2, args.connections, ROOT / "bench/get_bare.lua")  # warm-up
        rounds = []
        for r in range(args.rounds):
            rounds.append({
                "bare": wrk(f"{base}/bench/bare", args.seconds, args.connections, ROOT / "bench/get_bare.lua"),
                "reference": wrk(f"{base}/", args.seconds, args.connections, ROOT / "bench/post_pairs.lua",
                                 files["reference", r], 2, "/bench/reference/tasks/"),
                "completion": wrk(f"{base}/", args.seconds, args.connections, ROOT / "bench/post_pairs.lua",
                                  files["completion", r], 2, "/api/v1/tasks/"),
            })

    from tasks.models import TaskCompletion

    for run in (r for one in rounds for r in one.values()):
        run["rps"] = run["requests"] / run["seconds"]
    ratios = {
        "completion / reference": [one["completion"]["rps"] / one["reference"]["rps"] for one in rounds],
        "completion / bare": [one["completion"]["rps"] / one["bare"]["rps"] for one in rounds],
        "reference / bare": [one["reference"]["rps"] / one["bare"]["rps"] for one in rounds],
    }
    print(f"\n{args.connections} connections, {args.workers} gunicorn sync workers, PostgreSQL, "
          f"{args.rounds} interleaved rounds of {args.seconds}s per endpoint; medians")
    print(f"{'endpoint':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'queries':>9}")
    for name in ("bare", "reference", "completion"):
        runs = [one[name] for one in rounds]
        print(f"{name:<12}{median(r['rps'] for r in runs):>9.1f}{median(r['p50_ms'] for r in runs):>9.2f}"
              f"{median(r['p99_ms'] for r in runs):>9.2f}{sum(r['non2xx'] for r in runs):>9}{queries.get(name, 0):>9}")
    print()
    for label, values in ratios.items():
        print(f"{label:<24}= {median(values):.2f}x  (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    fresh = all(one[name]["requests"] <= per_round_pairs for one in rounds for name in ("reference", "completion"))
    met = median(ratios["completion / reference"]) >= 0.6
    print(f"target: completion >= 0.6x reference: {met}. Every POST a first completion: {fresh}; "
          f"completions stored: {TaskCompletion.objects.count()}")
    return 0 if met and fresh else 1


if __name__ == "__main__":
    sys.exit(main())
