"""A cold ``venvsense check`` of real trees: this tree's ``server/`` against another (``--base``, e.g. a checkout
of main), in alternating rounds on one interpreter, as CPU time (user + sys of the child: a loaded machine
distorts it far less than wall time). Cold: each run gets a new, empty cache folder (``VENVSENSE_CACHE_DIR``).

Per tree and format: the median and minimum CPU time of each side, the ratio base / this (above 1: this is
faster) of the medians and the median of each round's ratio (the two sides of a round ran one after the other:
less of the machine's drift), and whether the two sides printed the same bytes (stdout and exit code) in every
round. A null run (``--base`` a copy of ``--this``) shows the machine's noise.

    .venv/bin/python benchmarks/bench_cold_ab.py --base /tmp/main/server --rounds 7 --formats text,json \\
        /work/realspeed/pydantic+pydantic-ai /work/realspeed/sympy+sympy /work/realspeed/saleor+saleor
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "server"


def _run(server: Path, tree: Path, form: str) -> tuple[float, bytes]:
    """CPU seconds of one cold check of ``tree`` with ``server`` on ``sys.path``, and what it printed."""
    cache = tempfile.mkdtemp(prefix="venvsense-ab-")
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(PYTHONPATH=str(server), VENVSENSE_CACHE_DIR=cache, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "venvsense", "check", "."] + (["--format", form] if form != "text" else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, cwd=tree, env=environ, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(cache, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, result.stdout + f"\nexit {result.returncode}".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--base", type=Path, required=True, help="the other server/ folder (e.g. main's)")
    parser.add_argument("--this", type=Path, default=HERE, help="this side's server/ folder (default: this tree's)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--formats", default="text,json")
    args = parser.parse_args()
    for server in (args.base, args.this):  # byte code for both, so neither compiles its sources in a round
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(server / "venvsense")], check=False,
                       stdout=subprocess.DEVNULL)
    print(f"base {args.base}  this {args.this}  {args.rounds} rounds, CPU seconds (median / min)")
    for tree in args.trees:
        if not tree.is_dir():
            print(f"{tree}: absent (skipped)")
            continue
        for form in args.formats.split(","):
            times: dict[str, list[float]] = {"base": [], "this": []}
            outputs: set[tuple[str, bytes]] = set()
            for index in range(args.rounds):
                order = ("base", "this") if index % 2 == 0 else ("this", "base")
                for side in order:
                    cpu, output = _run(args.base if side == "base" else args.this, tree, form)
                    times[side].append(cpu)
                    outputs.add((side, output))
            same = len({output for _, output in outputs}) == 1
            base, this = statistics.median(times["base"]), statistics.median(times["this"])
            paired = statistics.median(b / t for b, t in zip(times["base"], times["this"], strict=True))
            print(f"{tree.name:28s} {form:5s} base {base:.3f} / {min(times['base']):.3f}  "
                  f"this {this:.3f} / {min(times['this']):.3f}  base/this {base / this:.3f} "
                  f"(paired, median of the rounds' ratios: {paired:.3f})  "
                  f"{'same output' if same else 'OUTPUTS DIFFER'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
