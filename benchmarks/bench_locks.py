"""Two checkouts of venvsense side by side on real trees with lock files: CPU time of ``venvsense check --format json``
cold (an empty cache folder of its own per run) and warm (the second run, same folder), medians of alternating
rounds in one run, and whether the JSON output of both is identical.

    python benchmarks/bench_locks.py --base /work/main/server --new server --rounds 3 \\
        /work/realspeed/microsoft+autogen /work/realspeed/pydantic+pydantic-ai

Both run on this interpreter (``sys.executable``), each with its ``server`` folder as ``PYTHONPATH``; both are
byte-compiled first (``PYTHONDONTWRITEBYTECODE`` would otherwise make the one without ``__pycache__`` compile
every module on every run). A tree that is absent is skipped with a note.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def _run(server: Path, tree: Path, cache: Path) -> tuple[float, str]:
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(PYTHONPATH=str(server), VENVSENSE_CACHE_DIR=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "venvsense", "check", "--format", "json", str(tree)],
                          env=environ, capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the server folder measured against")
    parser.add_argument("--new", type=Path, required=True, help="the server folder measured")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("trees", nargs="+", type=Path)
    args = parser.parse_args()
    servers = {"base": args.base.resolve(), "new": args.new.resolve()}
    for server in servers.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(server)], check=True)
    print("| tree | run | base | new | new / base | JSON identical |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-locks-") as scratch:
        for tree in args.trees:
            if not tree.is_dir():
                print(f"(skipped {tree}: not checked out)", file=sys.stderr)
                continue
            times: dict[tuple[str, str], list[float]] = {}
            outputs: dict[str, set[str]] = {name: set() for name in servers}
            for number in range(args.rounds):
                order = list(servers) if number % 2 == 0 else list(servers)[::-1]
                for name in order:
                    cache = Path(tempfile.mkdtemp(dir=scratch))
                    for run in ("cold", "warm"):
                        seconds, output = _run(servers[name], tree, cache)
                        times.setdefault((name, run), []).append(seconds)
                        outputs[name].add(output)
            same = outputs["base"] == outputs["new"] and len(outputs["base"]) == 1
            for run in ("cold", "warm"):
                base = statistics.median(times[("base", run)])
                new = statistics.median(times[("new", run)])
                print(f"| {tree.name} | {run} | {base:.2f} s | {new:.2f} s | {new / base:.2f} | {same} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
