"""Benchmark: a whole ``venvsense check`` against deptry on the same application tree, and against ``pip check``
on the same venv.

    .venv/bin/python benchmarks/bench_check.py [--files 4300] [--repeat 5] [TREE]

Builds (once, under ``benchmarks/.work/check``, gitignored) the generated corpus of ``bench_imports.py`` as a real
project: a ``requirements.txt`` declaring the third-party distributions the corpus imports (one left undeclared,
one declared and unused), and a ``.venv`` (``python -m venv --without-pip``) holding small local wheels for them.
Creates the benchmark's own venv ``benchmarks/.work/peers`` with deptry 0.25.x from PyPI; a ``.pth`` file there
puts the project venv's ``site-packages`` *after* deptry's own, so deptry maps imports to the project's installed
distributions (its metadata lookup) as venvsense does.

Then, in one run, alternating, ``--repeat`` times (median):

* ``venvsense check <tree>`` cold: a fresh process, the on-disk scan cache emptied first;
* ``deptry <tree>`` (reading ``requirements.txt``; it exits 1 on findings, as venvsense does);
* ``venvsense check <tree>`` warm: a fresh process with the on-disk scan cache of the previous run;
* in-process re-check: ``check_project`` twice in one process (what the language server does on every change),
  the second call timed.

``TREE`` (optional): a real checkout to measure the same way (venvsense and deptry only, with whatever venv and
manifests it has).

Last, the engine benchmark: ``check`` (declarations and environment only, ``--select VS1,VS2``) on a generated
project with 300 requirements and 300 installed distributions, against ``pip --python <venv> check`` on that venv.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_imports import generate_corpus  # noqa: E402
from support.wheels import build_wheel, make_venv, pip_install, site_packages, venv_python  # noqa: E402

WORK = REPO / "benchmarks" / ".work"
CHECK = WORK / "check"
PEERS = WORK / "peers"
DEPTRY = "deptry>=0.25,<0.26"

# distribution → (import names, declared in requirements.txt); what the generated corpus imports
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "requests": (("requests",), True),
    "numpy": (("numpy",), True),
    "pandas": (("pandas",), True),
    "Django": (("django",), True),
    "Flask": (("flask",), True),
    "SQLAlchemy": (("sqlalchemy",), True),
    "pydantic": (("pydantic",), True),
    "attrs": (("attr", "attrs"), True),
    "click": (("click",), True),
    "PyYAML": (("yaml",), True),
    "boto3": (("boto3",), True),
    "celery": (("celery",), True),
    "redis": (("redis",), True),
    "Jinja2": (("jinja2",), True),
    "httpx": (("httpx",), True),
    "rich": (("rich",), False),  # imported, installed, not declared: VS302 / DEP003
    "ujson": (("ujson",), True),
    "orjson": (("orjson",), True),
    "simplejson": (("simplejson",), True),
    "tabulate": (("tabulate",), True),  # declared, never imported: VS303 / DEP002
}
# imported inside try/except ImportError and neither declared nor installed: lxml, uvloop, cchardet


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_project(root: Path, files: int, seed: int) -> Path:
    """The corpus as a project with its requirements and venv; reused when already built."""
    done = root / ".built"
    if done.is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    _log(f"building {root} ({files} files, a venv with {len(DISTRIBUTIONS)} distributions)…")
    generate_corpus(root, files, seed)
    (root / "requirements.txt").write_text(
        "".join(f"{name}>=1.0\n" for name, (_, declared) in DISTRIBUTIONS.items() if declared))
    wheels = root.parent / "wheels"
    for name, (modules, _) in DISTRIBUTIONS.items():
        build_wheel(wheels, name, "1.0", modules=modules)
    make_venv(root / ".venv")
    pip_install(root / ".venv", *DISTRIBUTIONS, find_links=wheels)
    done.write_text("")
    return root


def deptry_command(project_venv: Path | None) -> list[str]:
    """deptry in the benchmark's own venv (installed from PyPI on first use), seeing ``project_venv``'s
    distributions after its own."""
    deptry = PEERS / "bin" / "deptry"
    if not deptry.exists():
        _log(f"installing {DEPTRY} into {PEERS}…")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "python"), "-m", "pip", "install", "--quiet", DEPTRY], check=True)
    pth = site_packages(PEERS) / "zz_benchmark_project.pth"
    if project_venv is not None and (project_venv / "pyvenv.cfg").is_file():
        pth.write_text(f"{site_packages(project_venv)}\n")
    else:
        pth.unlink(missing_ok=True)
    return [str(deptry)]


def venvsense_command() -> list[str]:
    script = Path(sys.executable).with_name("venvsense")
    return [str(script)] if script.exists() else [sys.executable, "-m", "venvsense"]


def timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr.decode()[-2000:]}")
    return elapsed


def _output(command: Sequence[str], cwd: Path, env: dict[str, str]) -> bytes:
    return subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, check=False).stdout


def in_process(root: Path) -> tuple[float, float]:
    """A fresh process running ``check_project`` twice: the first (cold) and second (warm) call's times."""
    code = (
        "import sys, time, pathlib\n"
        "from venvsense.check import check_project\n"
        "from venvsense.model import find_projects\n"
        "project = find_projects(pathlib.Path(sys.argv[1]))[0]\n"
        "t = time.perf_counter(); check_project(project); first = time.perf_counter() - t\n"
        "t = time.perf_counter(); check_project(project); second = time.perf_counter() - t\n"
        "print(first, second)\n"
    )
    env = _environment(None)
    out = subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True,
                         check=True, cwd=root)
    first, second = out.stdout.split()
    return float(first), float(second)


def _environment(cache: Path | None, *, cache_off: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PYTHONPATH"] = str(REPO / "server")
    if cache is not None:
        env["VENVSENSE_CACHE_DIR"] = str(cache)
    if cache_off:
        env["VENVSENSE_CACHE_DIR"] = ""  # no on-disk cache at all
    env["NO_COLOR"] = "1"
    return env


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def compare(root: Path, repeat: int, label: str) -> list[tuple[str, float, str]]:
    venv = root / ".venv"
    deptry = deptry_command(venv if venv.is_dir() else None)
    venvsense = venvsense_command()
    with tempfile.TemporaryDirectory(prefix="venvsense-bench-cache-") as temporary:
        cache = Path(temporary) / "cache"
        env = _environment(cache)
        deptry_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        # one untimed run of each: the files and interpreters in the page cache, as in every later run; and the
        # warm run (on-disk cache) must report exactly what a run without the cache reports
        timed([*venvsense, "check", str(root)], root, env)
        timed([*deptry, "."], root, deptry_env)
        as_json = [*venvsense, "check", "--format", "json", str(root)]
        if _output(as_json, root, env) != _output(as_json, root, _environment(None, cache_off=True)):
            raise RuntimeError("venvsense check reports differently with its on-disk cache than without it")
        cold: list[float] = []
        peer: list[float] = []
        warm: list[float] = []
        process_cold: list[float] = []
        process_warm: list[float] = []
        for number in range(repeat):
            _log(f"{label}: round {number + 1}/{repeat}")
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed([*venvsense, "check", str(root)], root, env))
            peer.append(timed([*deptry, "."], root, deptry_env))
            warm.append(timed([*venvsense, "check", str(root)], root, env))
            first, second = in_process(root)
            process_cold.append(first)
            process_warm.append(second)
    c, d, w = _median(cold), _median(peer), _median(warm)
    pc, pw = _median(process_cold), _median(process_warm)
    return [
        (f"{label}: venvsense check, cold", c, f"{c / d:.2f}x deptry"),
        (f"{label}: deptry", d, "1.00x deptry"),
        (f"{label}: venvsense check, warm (disk cache)", w, f"{w / c:.2f} of cold"),
        (f"{label}: check_project, first call in a process", pc, f"{pc / c:.2f} of cold CLI"),
        (f"{label}: check_project, second call (re-check)", pw, f"{pw / c:.2f} of cold CLI"),
    ]


def build_engine_project(root: Path) -> Path:
    """300 requirements, 300 installed distributions (each requiring the next, so pip check has work)."""
    done = root / ".built"
    if done.is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    _log(f"building {root} (300 requirements, 300 installed distributions)…")
    root.mkdir(parents=True)
    wheels = root / "wheels"
    names = [f"pkg{n:03d}" for n in range(300)]
    for n, name in enumerate(names):
        requires = [f"{names[n + 1]}>=1.0"] if n + 1 < len(names) else []
        build_wheel(wheels, name, "1.0", requires=requires)
    (root / "requirements.txt").write_text("".join(f"{name}>=1.0,<2\n" for name in names))
    make_venv(root / ".venv")
    pip_install(root / ".venv", *names, find_links=wheels)
    done.write_text("")
    return root


def engine(repeat: int) -> list[tuple[str, float, str]]:
    root = build_engine_project(CHECK / "engine-300")
    env = _environment(None)
    venvsense = [*venvsense_command(), "check", "--select", "VS1,VS2", str(root)]
    pip = [sys.executable, "-m", "pip", "--python", str(venv_python(root / ".venv")), "check"]
    timed(venvsense, root, env)
    timed(pip, root, env)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(timed(venvsense, root, env))
        theirs.append(timed(pip, root, env))
    o, p = _median(ours), _median(theirs)
    return [
        ("engine: venvsense check (300 requirements, 300 dists)", o, f"{o / p:.2f}x pip check"),
        ("engine: pip --python <venv> check", p, "1.00x pip check"),
    ]


def report(rows: list[tuple[str, float, str]]) -> None:
    width = max(len(label) for label, _, _ in rows)
    for label, seconds, ratio in rows:
        print(f"  {label:<{width}}  {seconds:7.3f} s   {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, help="a real checkout to measure too")
    parser.add_argument("--files", type=int, default=4300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    root = build_project(CHECK / f"corpus-{arguments.files}", arguments.files, arguments.seed)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {load:.1f}; median of {arguments.repeat}")
    rows = compare(root, arguments.repeat, f"corpus ({arguments.files} files)")
    if arguments.tree is not None:
        rows += compare(arguments.tree.resolve(), arguments.repeat, arguments.tree.name)
    rows += engine(arguments.repeat)
    report(rows)


if __name__ == "__main__":
    main()
