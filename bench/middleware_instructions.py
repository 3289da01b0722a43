"""Benchmark: what the middleware stack costs a request, in CPU instructions (noise-free).

    .venv/bin/python bench/middleware_instructions.py [--requests 100] [--each]

bench/middleware.py measures requests/s over loopback, which on a shared, busy machine moves by
a third from one round to the next. This counts instructions instead, which do not depend on
what else the machine runs: each stack is served in its own process under valgrind's callgrind
(Debian package `valgrind`), by gunicorn's own request parser and response writer around the
product's WSGI application (so the headers each middleware adds are paid where gunicorn pays
them), for `--requests` and then twice as many GET /bench/bare requests; the difference over
the extra requests is the cost of one request, set-up and warm-up excluded. The kernel, the
socket and the load generator are not in it: each request costs the same there whatever the
stack, so the ratio below is lower than bench/middleware.py's. Stacks: the product's full
stack and none (and with --each, the full stack without each middleware in turn).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, configure  # noqa: E402

REQUEST = b"GET /bench/bare HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


def configure_without_database():
    configure(f"sqlite:///{tempfile.mkdtemp()}/unused.sqlite3")  # the bare view touches no database


def serve(requests):
    """Inside valgrind: serve `requests`, then twice as many, each batch between a counter reset
    and a dump named after its size."""
    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    configure_without_database()
    from django.core.handlers.wsgi import WSGIHandler

    application, config = WSGIHandler(), Config()

    class Socket:
        def sendall(self, data):
            pass

    def serve_batch(count):
        for _ in range(count):
            request = next(RequestParser(config, iter([REQUEST]), ("127.0.0.1", 40000)))
            response, environ = wsgi.create(request, Socket(), ("127.0.0.1", 40000), ("127.0.0.1", 8000), config)
            body = application(environ, response.start_response)
            for chunk in body:
                response.write(chunk)
            response.close()
            body.close()

    serve_batch(50)  # warm-up: imports, caches, the first-request work
    # Counting starts here: set-up under valgrind without counting runs several times faster.
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    for count in (requests, 2 * requests):
        subprocess.run(["callgrind_control", "--zero", str(os.getpid())], check=True, capture_output=True)
        serve_batch(count)
        subprocess.run(["callgrind_control", f"--dump=batch{count}", str(os.getpid())], check=True, capture_output=True)


def instructions_per_request(middleware, requests, workdir):
    """Instructions one request costs with `middleware` (class paths; empty: none)."""
    out = workdir / f"callgrind.{abs(hash(tuple(middleware)))}"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable, __file__,
         "--serve", str(requests)],
        env={**os.environ, "BENCH_MIDDLEWARE": ",".join(middleware)}, cwd=ROOT, check=True, capture_output=True,
    )
    totals = {}
    for dump in workdir.glob(f"{out.name}.*"):
        text = dump.read_text()
        batch = next(line for line in text.splitlines() if line.startswith("desc: Trigger:")).rsplit("batch", 1)[1]
        totals[int(batch)] = int(next(line for line in text.splitlines() if line.startswith("summary:")).split()[1])
    return (totals[2 * requests] - totals[requests]) / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--each", action="store_true", help="also the full stack without each middleware")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    configure_without_database()
    from bench.middleware import REQUIRES
    from creatorcompass import settings as product

    full = list(product.MIDDLEWARE)
    stacks = {"full": full, "none": []}
    for name in full if args.each else []:
        dropped = {name, *REQUIRES.get(name, ())}
        stacks["-" + "+".join(sorted(m.rsplit(".", 1)[1].removesuffix("Middleware") for m in dropped))] = [
            m for m in full if m not in dropped]
    with tempfile.TemporaryDirectory() as directory:
        cost = {label: instructions_per_request(middleware, args.requests, Path(directory))
                for label, middleware in stacks.items()}
    print(f"\nGET /bench/bare through gunicorn's parser and writer, in process under callgrind; "
          f"instructions per request over {args.requests} requests")
    print(f"{'stack':<34}{'k instr':>10}{'vs full':>10}")
    for label, value in cost.items():
        print(f"{label:<34}{value / 1000:>10.1f}{(value - cost['full']) / 1000:>+10.1f}")
    print(f"\nnone / full = {cost['none'] / cost['full']:.3f} (instructions; the kernel and the client not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
