"""The walk, discovery and ignore rules on real trees: CPU time of what ``venvsense check`` does before it scans
(``find_projects``, then each project's ``project_files``), each run in a fresh process (as a check is), this
checkout's server against another's (``--baseline``), alternating, medians.

    python benchmarks/bench_walk.py --baseline /path/to/other/checkout/server TREE [TREE ...] [--rounds 7]

Imports are made before the clock starts; each process runs ``--inner`` rounds, each from emptied in-memory
caches (what a fresh ``venvsense check`` starts from; the file system's cache is warm either way), and keeps its
best (the machine's load only ever adds); the medians of the processes' bests are compared. The trees are only
read. Prints one line per tree: baseline ms, this checkout's ms, the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "server"

_PROBE = """\
import sys, time
from pathlib import Path
import venvsense.cli.check  # noqa: F401  (the check's imports, out of the measurement)
from venvsense.classify.files import project_files
from venvsense.model import find_projects

import re
from venvsense import caches, ignore

cpu = time.process_time  # the process's CPU time, user + system (not rounded to the scheduler's tick)
best = None
for _ in range(int(sys.argv[2])):  # each round from empty in-memory caches, as a fresh process
    caches.clear_all()
    ignore._compiled.cache_clear()
    re.purge()
    start = cpu()
    files = sum(len(project_files(project.root)) for project in find_projects(Path(sys.argv[1])))
    spent = cpu() - start
    best = spent if best is None else min(best, spent)
print(best, files)
"""


def _run(server: Path, tree: str, cache: str, inner: int) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(server), "VENVSENSE_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", _PROBE, tree, str(inner)], capture_output=True, text=True, check=True,
                         env=env, timeout=600).stdout.split()
    return float(out[0]), int(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout's server folder")
    parser.add_argument("--rounds", type=int, default=7, help="processes per side, alternating")
    parser.add_argument("--inner", type=int, default=5,
                        help="rounds per process from emptied in-memory caches; the process's best is kept")
    parser.add_argument("--cache", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench-walk-cache"))
    parser.add_argument("trees", nargs="+")
    args = parser.parse_args()
    for tree in args.trees:
        if not os.path.isdir(tree):
            print(f"{tree}: absent, skipped")
            continue
        times: dict[str, list[float]] = {"baseline": [], "here": []}
        counts: set[int] = set()
        for _ in range(args.rounds):
            for name, server in (("baseline", args.baseline), ("here", HERE)):
                seconds, files = _run(server, tree, args.cache, args.inner)
                times[name].append(seconds)
                counts.add(files)
        base, here = statistics.median(times["baseline"]), statistics.median(times["here"])
        same = "same files" if len(counts) == 1 else f"FILE COUNTS DIFFER {sorted(counts)}"
        print(f"{tree}: baseline {base * 1000:.1f} ms, here {here * 1000:.1f} ms, {base / here:.2f}x ({same})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
