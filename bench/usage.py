"""Benchmark: usage metering for one hot creator vs many creators, in one run.

    .venv/bin/python bench/usage.py [--seconds 8] [--rounds 3] [--connections 16] [--workers 4]

Starts gunicorn (bench.settings) on 127.0.0.1 against a fresh PostgreSQL database
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/creatorcompass_bench_usage),
creates Pro creators (ideas are unlimited on Pro: every request is counted, none refused) and
drives, from a second process on loopback (wrk, Debian package `wrk`), each for a bounded time:

  bare        GET /bench/bare (the server's ceiling)
  hot         POST /api/v1/ideas, every request for ONE creator: consumes serialise on that
              creator's entitlement and counter rows
  many        POST /api/v1/ideas round-robin over --creators creators: no shared row

Then the metering alone, without HTTP: --procs processes calling usage_consume in a loop (one
transaction each) for one creator vs many. Prints consumes/s (medians of interleaved rounds),
the hot/many ratios, exact queries per consume on each path, and checks that every counted
request left exactly one idea (counter == ideas == 2xx responses).
"""

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_usage"

LUA = """-- wrk script (written by bench/usage.py): POST an idea with a creator's token, round-robin
-- over the tokens in args[1], each thread starting at its own offset.
dofile("%(summary)s")
local next_id = 1
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end
function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  index = thread_id * 7919
end
function request()
  index = index %% #tokens + 1
  return wrk.format("POST", "/api/v1/ideas",
    { ["Authorization"] = "Token " .. tokens[index], ["Content-Type"] = "application/json" }, '{"title": "Bench idea"}')
end
function done(summary, latency, requests)
  summary_line(summary, latency)
end
"""


def make_creators(count, label, plan="pro"):
    """`count` creators on `plan`, each with an API token. Returns [(user_id, token)]."""
    from rest_framework.authtoken.models import Token

    from accounts.services import user_signup
    from billing.models import Entitlement

    made = []
    for i in range(count):
        user = user_signup(email=f"{label}{i}@bench.local", password="bench-password-123", platform="youtube").user
        if plan != "free":
            Entitlement.objects.create(user=user, plan_id=plan)
        made.append((user.pk, Token.objects.create(user=user).key))
    return made


def queries_per_consume():
    """Exact statements per usage_consume on each path, and per POST /api/v1/ideas."""
    import datetime

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from core.errors import LimitReached
    from usage.models import Feature
    from usage.services import usage_consume

    [(free_id, _)] = make_creators(1, "qfree", plan="free")
    [(pro_id, pro_token)] = make_creators(1, "qpro")
    free = User.objects.select_related("profile").get(pk=free_id)
    pro = User.objects.select_related("profile").get(pk=pro_id)
    now = datetime.datetime.now(datetime.timezone.utc)

    def count(user):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            try:
                usage_consume(user=user, feature=Feature.IDEAS, now=now)
            except LimitReached:
                pass
        # Django logs BEGIN and COMMIT too: they are the action's transaction, not the consume's.
        return sum(q["sql"] not in ("BEGIN", "COMMIT") for q in captured)

    first = count(free)
    usual = [count(free) for _ in range(4)][-1]
    refused = count(free)
    unlimited = [count(pro) for _ in range(2)][-1]
    with CaptureQueriesContext(connection) as captured:
        response = Client().post("/api/v1/ideas", '{"title": "q"}', content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Token {pro_token}")
    assert response.status_code == 201, response.content
    return {"first of the period": first, "usual (limited plan)": usual, "refused": refused,
            "usual (unlimited plan)": unlimited,
            "POST /api/v1/ideas, whole request (token, BEGIN, consume, INSERT, COMMIT)": len(captured)}


def _consume_loop(user_ids, seconds, start_at, results):
    """A load process: usage_consume in its own transaction, round-robin over user_ids."""
    from django.db import connections, transaction

    from accounts.models import User
    from usage.models import Feature
    from usage.services import usage_consume

    connections.close_all()  # never share the parent's connection
    users = list(User.objects.select_related("profile").filter(pk__in=user_ids))
    done, i = 0, 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.time() + seconds
    while time.time() < deadline:
        with transaction.atomic():
            usage_consume(user=users[i % len(users)], feature=Feature.IDEAS)
        done += 1
        i += 1
    connections.close_all()
    results.put(done)


def direct(user_ids_per_proc, seconds):
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 1.0
    procs = [ctx.Process(target=_consume_loop, args=(ids, seconds, start_at, results)) for ids in user_ids_per_proc]
    for proc in procs:
        proc.start()
    total = sum(results.get(timeout=seconds + 60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    return {"requests": total, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8, help="per measurement and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--creators", type=int, default=200, help="creators of the 'many' runs")
    parser.add_argument("--procs", type=int, default=8, help="processes of the direct (no HTTP) runs")
    args = parser.parse_args()
    prepare(DEFAULT_URL)
    print(f"creating {2 * args.creators + 2 + 2} creators ...", flush=True)
    queries = queries_per_consume()
    [(hot_id, hot_token)] = make_creators(1, "hot")
    many = make_creators(args.creators, "many")
    [(direct_hot_id, _)] = make_creators(1, "dhot")
    direct_many = make_creators(args.creators, "dmany")

    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-usage-"))
    (workdir / "hot.tokens").write_text(hot_token + "\n")
    (workdir / "many.tokens").write_text("".join(f"{token}\n" for _, token in many))
    script = workdir / "post_idea.lua"
    script.write_text(LUA % {"summary": ROOT / "bench/summary.lua"})

    rounds = []
    with gunicorn(args.workers, workdir / "gunicorn.log") as base:
        wrk(f"{base}/bench/bare", 2, args.connections, ROOT / "bench/get_bare.lua")  # warm-up
        for _ in range(args.rounds):
            rounds.append({
                "bare": wrk(f"{base}/bench/bare", args.seconds, args.connections, ROOT / "bench/get_bare.lua"),
                "hot": wrk(f"{base}/", args.seconds, args.connections, script, workdir / "hot.tokens"),
                "many": wrk(f"{base}/", args.seconds, args.connections, script, workdir / "many.tokens"),
            })
    many_ids = [user_id for user_id, _ in direct_many]
    for one in rounds:
        one["direct hot"] = direct([[direct_hot_id]] * args.procs, args.seconds)
        one["direct many"] = direct([many_ids[i::args.procs] for i in range(args.procs)], args.seconds)

    from tasks.models import ContentIdea
    from usage.models import Feature, UsageCounter

    for run in (r for one in rounds for r in one.values()):
        run["rps"] = run["requests"] / run["seconds"]
    print(f"\nPOST /api/v1/ideas (one consume + one insert) on gunicorn ({args.workers} sync workers) + PostgreSQL, "
          f"{args.connections} connections; direct: {args.procs} processes calling usage_consume; "
          f"{args.rounds} interleaved rounds of {args.seconds}s; medians")
    print(f"{'run':<14}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name in ("bare", "hot", "many", "direct hot", "direct many"):
        runs = [one[name] for one in rounds]
        p50 = f"{median(r['p50_ms'] for r in runs):.2f}" if "p50_ms" in runs[0] else "-"
        p99 = f"{median(r['p99_ms'] for r in runs):.2f}" if "p99_ms" in runs[0] else "-"
        non2xx = sum(r.get("non2xx", 0) + r.get("errors", 0) for r in runs)
        print(f"{name:<14}{median(r['rps'] for r in runs):>9.1f}{p50:>9}{p99:>9}{non2xx:>9}")
    print()
    for label, a, b in (("hot / many (HTTP)", "hot", "many"), ("hot / many (direct)", "direct hot", "direct many"),
                        ("many / bare (HTTP)", "many", "bare")):
        values = [one[a]["rps"] / one[b]["rps"] for one in rounds]
        print(f"{label:<24}= {median(values):.2f}x  (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    print("\nqueries per consume (exact):")
    for path, n in queries.items():
        print(f"  {path}: {n}")
    hot_counter = UsageCounter.objects.get(user_id=hot_id, feature=Feature.IDEAS).used
    hot_ideas = ContentIdea.objects.filter(user_id=hot_id).count()
    hot_ok = sum(one["hot"]["requests"] - one["hot"]["non2xx"] for one in rounds)
    direct_counted = sum(UsageCounter.objects.filter(user_id=direct_hot_id).values_list("used", flat=True))
    direct_done = sum(one["direct hot"]["requests"] for one in rounds)
    print(f"\nhot creator: counter {hot_counter}, ideas {hot_ideas}, 2xx answered {hot_ok} "
          f"(equal counter and ideas: {hot_counter == hot_ideas}); direct hot: counted {direct_counted} "
          f"of {direct_done} consumes (exact: {direct_counted == direct_done})")


if __name__ == "__main__":
    main()
