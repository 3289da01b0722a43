"""Benchmark: the repair property (ops/tests/test_repair_property.py) with a longer budget
of new random examples than CI's fixed, derandomized 40.

    .venv/bin/python bench/repair_fuzz.py [--examples 2000]

Random completions through the hot path, random drift of everything derived from them, then
the audit must name exactly what drifted and --fix must restore exactly what the hot path
wrote. Runs on SQLite, or on PostgreSQL with DATABASE_URL=postgres://... (as bin/test does).
Prints the time and what the examples covered; exit 1 on a counterexample, which hypothesis
prints shrunk.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "ops/tests/test_repair_property.py::test_fix_restores_exactly_the_replay_after_any_drift"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    env = {**os.environ, "REPAIR_FUZZ_EXAMPLES": str(args.examples)}
    started = time.perf_counter()
    run = subprocess.run([str(ROOT / "bin/test"), "-p", "no:cacheprovider", "-q", "-s", TEST],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    covered = re.search(r"repair property covered: (.*)", run.stdout)
    if run.returncode != 0 or covered is None:
        sys.stdout.write(run.stdout[-6000:] + run.stderr[-2000:])
        sys.exit(f"the property failed after {elapsed:.0f}s")
    print(f"{args.examples} examples asked, {elapsed:.0f}s; covered: {covered.group(1)}")


if __name__ == "__main__":
    main()
