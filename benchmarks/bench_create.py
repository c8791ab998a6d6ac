"""Benchmark: "create + install N packages" — venvsense create (uv, and pip) against what vscode-python's
"Create Environment" does (``python -m venv .venv`` then ``.venv/bin/python -m pip install -r
requirements.txt``), on the same generated wheelhouse, offline (``--no-index --find-links``).

    .venv/bin/python benchmarks/bench_create.py [--packages 15] [--repeat 3]

Goal: venvsense create with uv ≤ 0.15× the vscode-python way. Everything is written under
``benchmarks/.work/`` (gitignored). Prints a table; each figure is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "tests"))

from support.wheels import build_wheel  # noqa: E402
from venvsense.actions import Options, execute, plan_create  # noqa: E402
from venvsense.check import check_project  # noqa: E402
from venvsense.model import project_at  # noqa: E402

WORK = REPO / "benchmarks" / ".work"


def wheelhouse(n: int) -> Path:
    """N wheels, each a few modules, a third of them depending on another one of the set."""
    folder = WORK / f"wheelhouse-{n}"
    if folder.exists():
        shutil.rmtree(folder)
    for index in range(n):
        requires = [f"bench-pkg-{index + 1}>=1"] if index % 3 == 0 and index + 1 < n else []
        files = {f"bench_pkg_{index}/mod{m}.py": f"VALUE = {m}\n" * 50 for m in range(5)}
        build_wheel(folder, f"bench-pkg-{index}", "1.0", requires=requires, files=files)
    return folder


def project(n: int, name: str) -> Path:
    root = WORK / "projects" / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text("".join(f"bench-pkg-{i}==1.0\n" for i in range(n)))
    return root


def quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    return env


def vscode_python_way(root: Path, wheels: Path, python: str) -> None:
    """What vscode-python's Create Environment (venv) runs: venv with pip, then pip install -r."""
    env = quiet_env()
    subprocess.run([python, "-m", "venv", ".venv"], cwd=root, check=True, env=env, capture_output=True)
    subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "pip", "install", "-r", "requirements.txt",
                    "--no-index", "--find-links", str(wheels)], cwd=root, check=True, env=env, capture_output=True)


def venvsense_create(installer: str, python: str | None) -> Callable[[Path, Path], None]:
    def run(root: Path, wheels: Path) -> None:
        plan = plan_create(check_project(project_at(root)),
                           Options(installer=installer, python=python,  # type: ignore[arg-type]
                                   find_links=(str(wheels),), no_index=True))
        outcome = execute(plan)
        if not outcome.ok:
            raise RuntimeError(outcome.message + "\n" + "\n".join(outcome.output))
    return run


def measure(label: str, run: Callable[[Path, Path], None], n: int, wheels: Path, repeat: int) -> float:
    times = []
    for attempt in range(repeat):
        root = project(n, f"{label.replace(' ', '-')}-{attempt}")
        started = time.perf_counter()
        run(root, wheels)
        times.append(time.perf_counter() - started)
        count = len(list((root / ".venv").glob("lib/python*/site-packages/bench_pkg_*.dist-info")))
        if count != n:
            raise RuntimeError(f"{label}: {count} of {n} packages installed")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python", default=getattr(sys, "_base_executable", sys.executable),
                        help="the base interpreter every venv is built from")
    args = parser.parse_args()
    # without --python venvsense picks the Python running it (no .python-version here): the same base
    args.python_flag = None if args.python == getattr(sys, "_base_executable", sys.executable) else args.python
    WORK.mkdir(parents=True, exist_ok=True)
    # uv keeps a cache of its own; point it (and pip's) inside .work so the repo and home stay clean
    os.environ["UV_CACHE_DIR"] = str(WORK / "uv-cache")
    os.environ["PIP_CACHE_DIR"] = str(WORK / "pip-cache")
    wheels = wheelhouse(args.packages)
    python = str(args.python)
    rows = [
        ("vscode-python Create Environment (venv + pip install -r)",
         lambda root, w: vscode_python_way(root, w, python)),
        ("venvsense create --installer pip", venvsense_create("pip", args.python_flag)),
        ("venvsense create --installer uv", venvsense_create("uv", args.python_flag)),
    ]
    # one warm-up of each, so that neither side pays for a cold disk cache alone
    for label, run in rows:
        measure(label + " warmup", run, args.packages, wheels, 1)
    results = [(label, measure(label, run, args.packages, wheels, args.repeat)) for label, run in rows]
    peer = results[0][1]
    print(f"create + install {args.packages} local wheels, median of {args.repeat}; "
          f"{platform.node()} {platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'how':60} {'seconds':>8} {'× peer':>8}")
    for label, seconds in results:
        print(f"{label:60} {seconds:8.3f} {seconds / peer:8.3f}")
    uv_ratio = results[2][1] / peer
    print(f"goal ≤ 0.15× for uv: {'met' if uv_ratio <= 0.15 else 'NOT met'} ({uv_ratio:.3f}×)")
    shutil.rmtree(WORK / "projects", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
