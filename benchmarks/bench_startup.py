"""Start-up of the engine: this tree's ``server/`` against another (``--base``, e.g. a checkout of main), in
alternating rounds on one interpreter, as CPU time (user + sys of the child, which a loaded machine distorts far
less than wall time).

Per round and tree: ``import venvsense.check`` (CPU, and ``-X importtime``'s cumulative figure), a warm
``venvsense check TREE --format json`` (its own cache folder, filled once before the rounds) and
``python -c pass`` (the floor). Printed: medians and minimums per tree, the ratios this/base, how many modules, regular
expressions and dataclasses importing the engine makes, and whether the two trees' JSON outputs are equal.

    .venv/bin/python benchmarks/bench_startup.py --base /work/main/server --tree /work/realspeed/pallets+flask
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "server"

_COUNT = """
import dataclasses, json, re, sys
made = {"re": 0, "dataclasses": 0}
compile_, process = re._compile, dataclasses._process_class
def counted_compile(*args, **kwargs):
    if not isinstance(args[0], re.Pattern) and (args[0], args[1]) not in seen:
        seen.add((args[0], args[1])); made["re"] += 1
    return compile_(*args, **kwargs)
def counted_process(*args, **kwargs):
    made["dataclasses"] += 1
    return process(*args, **kwargs)
seen = set()
re._compile, dataclasses._process_class = counted_compile, counted_process
before = set(sys.modules)
import venvsense.check
made["modules"] = len(set(sys.modules) - before)
print(json.dumps(made))
"""


def _cpu(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, help="the other tree's server/ folder (the peer); none: this one alone")
    parser.add_argument("--tree", type=Path, required=True, help="the project to check warm")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    servers = {"this": HERE, **({"base": args.base.resolve()} if args.base else {})}
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    envs: dict[str, dict[str, str]] = {}
    for name, server in servers.items():
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")}
        envs[name] = {**env, "PYTHONPATH": str(server), "VENVSENSE_CACHE_DIR": str(scratch / name)}
        subprocess.run([args.python, "-m", "venvsense", "check", str(args.tree), "--format", "json"],
                       env=envs[name], capture_output=True, check=False)  # fills the cache and the .pyc files
    figures: dict[str, dict[str, list[float]]] = {n: {"import": [], "importtime": [], "warm": [], "pass": []}
                                                  for n in servers}
    outputs: dict[str, str] = {}
    for round_ in range(args.rounds):
        for name in (list(servers) if round_ % 2 == 0 else list(servers)[::-1]):
            env = envs[name]
            cpu, _ = _cpu([args.python, "-c", "import venvsense.check"], env)
            figures[name]["import"].append(cpu)
            _, done = _cpu([args.python, "-X", "importtime", "-c", "import venvsense.check"], env)
            line = next(x for x in done.stderr.splitlines() if x.rstrip().endswith("| venvsense.check"))
            figures[name]["importtime"].append(int(line.split("|")[1]) / 1e6)
            cpu, done = _cpu([args.python, "-m", "venvsense", "check", str(args.tree), "--format", "json"], env)
            figures[name]["warm"].append(cpu)
            outputs[name] = done.stdout
            cpu, _ = _cpu([args.python, "-c", "pass"], env)
            figures[name]["pass"].append(cpu)
    for name in servers:
        made = json.loads(subprocess.run([args.python, "-c", _COUNT], env=envs[name], capture_output=True,
                                         text=True, check=True).stdout)
        medians = {k: round(statistics.median(v), 4) for k, v in figures[name].items()}
        lows = {k: round(min(v), 4) for k, v in figures[name].items()}
        print(f"{name:5} {servers[name]}: medians (s) {medians}, minimums {lows}; importing the engine makes "
              f"{made}")
    if "base" in servers:
        for figure in ("import", "importtime", "warm"):
            for label, pick in (("median", statistics.median), ("minimum", min)):
                this, base = (pick(figures[n][figure]) for n in ("this", "base"))
                floor = pick(figures["this"]["pass"] + figures["base"]["pass"]) if figure != "importtime" else 0.0
                print(f"{figure:10} {label:7} this/base {this / base:.2f}  (above `python -c pass`: "
                      f"{(this - floor) / (base - floor):.2f})")
        print("JSON output equal:", outputs["this"] == outputs["base"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
