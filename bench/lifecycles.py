"""The model-based billing check with a longer budget than CI's 200 examples.

    .venv/bin/python bench/lifecycles.py --examples 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_lifecycles .venv/bin/python bench/lifecycles.py --examples 2000

Runs billing/tests/test_lifecycle_model.py's property (and, on PostgreSQL, its concurrent variant
with a quarter of the budget) with N random lifecycles, each with its own random delivery order,
duplicates and late arrivals; prints the lifecycles, distinct delivery orders, events and
deliveries tried and exits non-zero on a counterexample (hypothesis prints it, shrunk)."""

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    env = {**os.environ, "LIFECYCLE_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:logging",
               "billing/tests/test_lifecycle_model.py", "-k", "not planted"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith(("lifecycles:", "Falsifying", "E ")) or " passed" in line or " failed" in line:
            print(line)
    if result.returncode:
        print(result.stdout[-5000:])
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
