"""Benchmark: ``venvsense check`` on real public repositories (cold and warm) against deptry and FawltyDeps in the
same run, and the start-up time of the command against ``python -c pass``.

    .venv/bin/python benchmarks/bench_real.py [--trees DIR] [--repeat 3] [--only NAME ...] [--startup 20]

``DIR`` (``--trees``, else ``$VENVSENSE_REAL_TREES``, else ``benchmarks/.work/real``) holds one checkout per
repository of ``TREES``, named ``<owner>+<name>`` and at the commit recorded there; the venvs named there are
installed inside the checkout (``.venv``) as its own tooling does. A tree that is absent is skipped, with how to
get it. Checkouts live outside this repository (their ``.gitignore`` files and projects must not mix with ours).

For each tree, alternating, ``--repeat`` times (median):

* ``venvsense check`` cold: a fresh process with an empty cache folder of its own (``$VENVSENSE_CACHE_DIR``);
* ``venvsense check`` warm: the same cache folder again (the second run): nothing changed, so the memo of the
  cold run answers (``cli.memo``);
* ``venvsense check`` warm, memo off: the same cache folder again with ``VENVSENSE_MEMO=0``, the stage caches
  alone (the scans, the site-packages listings): what a warm run costs when something changed. (The trees are
  read-only here, so no file is edited: this is the honest figure of the path a one-file edit takes, minus
  the re-scan of that one file.)
* ``deptry .`` again over the same files as venvsense ("deptry, all files": its default exclusions, which
  skip a top-level ``tests`` folder, replaced by venvsense's own: ``.venv``, ``.git``, ``node_modules``);
* ``deptry .`` (0.25.x) and ``fawltydeps`` (their default options, run in the tree; FawltyDeps timed in the
  first round only: it takes tens of seconds on a large tree); both installed from PyPI
  into the benchmark's own venv ``benchmarks/.work/peers-real``, where a ``.pth`` file puts the tree's venv
  (when it has one) after their own packages, so they map imports to the tree's installed distributions.

Each peer counts as long as it exits with a code meaning "done" (findings or not) and, for deptry, prints its
verdict ("Found N dependency issues" or "Success!"); one that errors is reported as such, never timed as if it
had worked. (deptry exits 1 both when it finds issues and when it stops with a traceback: on a tree whose root
manifest it cannot read, a ``setup.py`` or a uv workspace root without ``[project]``, it stops after ~0.2 s
without scanning anything. Such a tree names, in ``TREES``, the manifest deptry is given instead —
``--requirements-files``/``--config`` — so that it scans the same files.)

Then the start-up: ``python -c pass``, ``venvsense --version`` and
``venvsense check <empty folder>`` on the same interpreter, ``--startup`` times each (median).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"
PEERS = WORK / "peers-real"
PEER_PACKAGES = ("deptry>=0.25,<0.26", "fawltydeps>=0.20,<0.21")


@dataclass(frozen=True)
class Tree:
    repository: str  # owner/name on GitHub
    commit: str
    what: str
    venv: str | None = None  # how its venv is installed (inside the checkout), when it has one here
    # what deptry is given where it cannot read the root's manifest (it reads no setup.py, and a workspace root
    # without [project] is no manifest to it): without it, it stops before scanning anything
    deptry: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return self.repository.replace("/", "+")


TREES = (
    Tree("saleor/saleor", "723cd4eba87dfc72822ade45dc08a3caa548428d", "large Django application",
         "uv sync --frozen --python 3.12"),
    Tree("sympy/sympy", "e950d313a932bc6cccbc95376b3821cd2f8b5af4", "large library, many small modules",
         deptry=("--requirements-files", "requirements-dev.txt")),
    Tree("microsoft/autogen", "027ecf0a379bcc1d09956d46d12d44a3ad9cee14",
         "monorepo: 12 nested projects, 23 nested .gitignore files",
         deptry=("--config", "python/packages/autogen-core/pyproject.toml")),
    Tree("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69", "nested .gitignore files, example projects"),
    Tree("pydantic/pydantic-ai", "4fda38988f2939fa6ea9cdefcf120693e10ef491",
         "uv workspace (6 projects), many findings",
         "UV_DYNAMIC_VERSIONING_BYPASS=1.90.0 uv sync --frozen --no-dev --python 3.11"),
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _site_packages(venv: Path) -> Path | None:
    found = sorted(venv.glob("lib/python3*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    return found[0] if found else None


def peers() -> Path:
    """The peers' venv, made on first use (deptry and FawltyDeps from PyPI)."""
    if not (PEERS / "bin" / "fawltydeps").exists() or not (PEERS / "bin" / "deptry").exists():
        _log(f"installing {', '.join(PEER_PACKAGES)} into {PEERS}…")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "python"), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    return PEERS


def _see_venv(peer_venv: Path, tree_venv: Path | None) -> None:
    site = _site_packages(peer_venv)
    assert site is not None
    pth = site / "zz_benchmark_tree.pth"
    target = _site_packages(tree_venv) if tree_venv is not None else None
    if target is not None:
        pth.write_text(f"{target}\n")
    else:
        pth.unlink(missing_ok=True)


def _environment(cache: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = str(REPO / "server")
    env["VENVSENSE_CACHE_DIR"] = str(cache)
    env["NO_COLOR"] = "1"
    return env


def _peer_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}


def venvsense_command() -> list[str]:
    script = Path(sys.executable).with_name("venvsense")
    return [str(script)] if script.exists() else [sys.executable, "-m", "venvsense"]


CPU: list[float] = []  # CPU time (user + system) of the last command timed: less swayed by a loaded machine


def timed(command: Sequence[str], cwd: Path, env: dict[str, str], ok: Sequence[int],
          verdict: bytes | None = None) -> float | None:
    """Wall time of the command (its CPU time appended to ``CPU``); ``None`` when it exits with a code not in
    ``ok``, or its output holds no line matching ``verdict`` (a regular expression), i.e. it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, env=env, stderr=subprocess.PIPE, check=False,
                            stdout=subprocess.PIPE if verdict is not None else subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    done = verdict is None or re.search(verdict, result.stdout + result.stderr, re.MULTILINE) is not None
    if result.returncode not in ok or not done:
        _log(f"  {' '.join(command[:2])} exited {result.returncode}"
             f"{'' if done else ' without its verdict'}: {result.stderr.decode(errors='replace')[-400:]}")
        return None
    return elapsed


def _median(values: list[float | None]) -> float | None:
    if not values or any(value is None for value in values):
        return None
    return statistics.median(value for value in values if value is not None)


def _modules(root: Path) -> int:
    count = 0
    for _, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in (".git", ".venv", "node_modules") and not f.startswith(".")]
        count += sum(name.endswith(".py") for name in files)
    return count


def _findings(root: Path, venvsense: list[str]) -> tuple[int, int]:
    """(projects, findings) that ``venvsense check`` reports for the tree."""
    out = subprocess.run([*venvsense, "check", "--format", "json", "."], cwd=root, env=_environment(""),
                         capture_output=True, check=False).stdout
    projects = json.loads(out)["projects"]
    return len(projects), sum(len(project["findings"]) for project in projects)


def _distributions(venv: Path | None) -> int:
    site = _site_packages(venv) if venv is not None else None
    return len(list(site.glob("*.dist-info"))) if site is not None else 0


DEPTRY_OK = (0, 1)  # 1: issues found (or a traceback: hence the verdict)
DEPTRY_VERDICT = rb"Found \d+ dependency issues|Success! No dependency issues found"
DEPTRY_ALL_FILES = ("--exclude", r"(.*/)?\.venv/", "--exclude", r"(.*/)?\.git/", "--exclude", r"(.*/)?node_modules/")
FAWLTYDEPS_OK = (0, 3, 4)  # 3: undeclared dependencies, 4: unused ones


def measure(tree: Tree, root: Path, repeat: int, fawltydeps_too: bool = True) -> dict[str, object]:
    venv = root / ".venv" if (root / ".venv" / "pyvenv.cfg").is_file() else None
    peer_venv = peers()
    _see_venv(peer_venv, venv)
    venvsense = venvsense_command()
    deptry = [str(peer_venv / "bin" / "deptry"), ".", *tree.deptry]
    fawltydeps = [str(peer_venv / "bin" / "fawltydeps")]
    peer_env = _peer_environment()
    projects, findings = _findings(root, venvsense)
    # one untimed run of each: the tree and the interpreters in the page cache, as in every later run
    with tempfile.TemporaryDirectory(prefix="venvsense-real-") as temporary:
        timed([*venvsense, "check", "."], root, _environment(Path(temporary) / "first"), (0, 1))
        timed(deptry, root, peer_env, DEPTRY_OK, DEPTRY_VERDICT)
        runs: dict[str, list[float | None]] = {name: [] for name in ("cold", "deptry", "deptry, all files", "warm",
                                                                      "memo off", "fawltydeps")}
        cpu: dict[str, list[float | None]] = {name: [] for name in runs}

        def run(name: str, command: list[str], env: dict[str, str], ok: Sequence[int],
                verdict: bytes | None = None) -> None:
            runs[name].append(timed(command, root, env, ok, verdict))
            cpu[name].append(CPU[-1])

        for number in range(repeat):
            _log(f"{tree.repository}: round {number + 1}/{repeat}")
            env = _environment(Path(temporary) / f"cache-{number}")  # empty: a folder of its own per cold run
            run("cold", [*venvsense, "check", "."], env, (0, 1))
            run("deptry", deptry, peer_env, DEPTRY_OK, DEPTRY_VERDICT)
            # the same files as venvsense: deptry's default exclusions (any `tests` folder at the top) replaced
            # by the folders venvsense skips too
            run("deptry, all files", [*deptry, *DEPTRY_ALL_FILES], peer_env, DEPTRY_OK, DEPTRY_VERDICT)
            run("warm", [*venvsense, "check", "."], env, (0, 1))
            run("memo off", [*venvsense, "check", "."], {**env, "VENVSENSE_MEMO": "0"}, (0, 1))
            if number == 0 and fawltydeps_too:  # once: it takes tens of seconds on a large tree
                run("fawltydeps", fawltydeps, peer_env, FAWLTYDEPS_OK)
    row: dict[str, object] = {"tree": tree, "modules": _modules(root), "distributions": _distributions(venv),
                              "projects": projects, "findings": findings}
    for name in runs:
        row[name] = _median(runs[name]) if runs[name] else "not run"
        row[f"{name} cpu"] = _median(cpu[name]) if cpu[name] else "not run"
    return row


def startup(times: int) -> list[tuple[str, float]]:
    venvsense = venvsense_command()
    python = str(Path(sys.executable))
    with tempfile.TemporaryDirectory(prefix="venvsense-empty-") as empty:
        env = _environment("")
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "venvsense --version": [*venvsense, "--version"],
            "venvsense check <empty folder>": [*venvsense, "check", empty],
        }
        found: dict[str, list[float | None]] = {label: [] for label in commands}
        for _ in range(times):
            for label, command in commands.items():
                found[label].append(timed(command, Path(empty), env, (0,)))
    return [(label, _median(values) or float("nan")) for label, values in found.items()]


def _seconds(value: object) -> str:
    if value == "not run":
        return "–"
    return f"{value:.2f} s" if isinstance(value, float) else "failed"


def _ratio(value: object, peer: object) -> str:
    if isinstance(value, float) and isinstance(peer, float) and peer > 0:
        return f"{value / peer:.2f}"
    return "–"


def report(rows: list[dict[str, object]], start: list[tuple[str, float]]) -> None:
    print("Wall time, median (CPU time, user + system, in brackets); ratios of wall times [of CPU times].")
    print()
    print("| tree (commit) | modules | venv | findings | deptry | FawltyDeps | cold | cold / deptry "
          "| deptry, all files | cold / deptry, all files "
          "| warm | warm / cold | warm, memo off | memo off / cold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        tree = row["tree"]
        assert isinstance(tree, Tree)
        venv = f"{row['distributions']} dists" if row["distributions"] else "–"

        def both(name: str, row: dict[str, object] = row) -> str:
            return f"{_seconds(row[name])} ({_seconds(row[name + ' cpu'])})"

        def ratio(name: str, peer: str, row: dict[str, object] = row) -> str:
            return f"**{_ratio(row[name], row[peer])}** [{_ratio(row[name + ' cpu'], row[peer + ' cpu'])}]"

        given = f" (deptry given `{' '.join(tree.deptry)}`)" if tree.deptry else ""
        print(f"| {tree.repository} ({tree.commit[:8]}): {tree.what}{given} | {row['modules']:,} | {venv} "
              f"| {row['findings']:,} in {row['projects']} projects | {both('deptry')} | {both('fawltydeps')} "
              f"| {both('cold')} | {ratio('cold', 'deptry')} | {both('deptry, all files')} "
              f"| {ratio('cold', 'deptry, all files')} | {both('warm')} | {ratio('warm', 'cold')} "
              f"| {both('memo off')} | {ratio('memo off', 'cold')} |")
    if start:
        base = start[0][1]
        print()
        print("| start-up | median | × `python -c pass` |")
        print("|---|---|---|")
        for label, seconds in start:
            print(f"| `{label}` | {seconds * 1000:.0f} ms | {seconds / base:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=Path,
                        default=Path(os.environ.get("VENVSENSE_REAL_TREES") or WORK / "real"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="owner/name of the trees to measure")
    parser.add_argument("--startup", type=int, default=20, help="runs of each start-up command (0: none)")
    parser.add_argument("--no-fawltydeps", action="store_true", help="leave FawltyDeps out (a quicker run)")
    arguments = parser.parse_args()
    # as installed: the bytecode of our modules written (a session with PYTHONDONTWRITEBYTECODE would otherwise
    # compile every module on every run, a third of a warm check)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "server" / "venvsense")], check=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {load:.1f}; median of {arguments.repeat}")
    rows: list[dict[str, object]] = []
    for tree in TREES:
        if arguments.only and tree.repository not in arguments.only:
            continue
        root = arguments.trees / tree.folder
        if not root.is_dir():
            how = (f"git clone https://github.com/{tree.repository} {root} && git -C {root} checkout {tree.commit}")
            venv = f"; then in it: {tree.venv}" if tree.venv else ""
            _log(f"skipped {tree.repository}: no checkout at {root} (get it with: {how}{venv})")
            continue
        if tree.venv and not (root / ".venv" / "pyvenv.cfg").is_file():
            _log(f"note: {tree.repository} is measured without its venv (install it with: {tree.venv})")
        rows.append(measure(tree, root, arguments.repeat, not arguments.no_fawltydeps))
        _log(f"  {rows[-1]}")  # as it is measured: a long run interrupted still tells something
    start = startup(arguments.startup) if arguments.startup else []
    report(rows, start)


if __name__ == "__main__":
    main()
