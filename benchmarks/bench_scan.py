"""The import scanner, old against new: throughput and identical results, file by file.

    python benchmarks/bench_scan.py [--old /work/main/server] [--new server] [--rounds 5] [--check]
                                    [--check-root DIR ...] [--in-process] [TREE ...]

Two copies of the server (``--old``, ``--new``: the folders holding the ``venvsense`` package) each scan the
``*.py`` files of every ``TREE`` (default: sympy and saleor under ``/work/realspeed``; ``.git``, ``.venv``,
``venv`` and ``node_modules`` folders skipped) in a process of their own, alternating, ``--rounds`` times each;
each process reports the CPU time (``time.process_time``) of ``scan_bytes`` over the files it has already read.
Printed: MB/s and CPU seconds (medians) of each, and the ratio old / new.

With ``--in-process`` both copies are loaded in one process instead (each copied to a temporary folder under a
package name of its own, ``venvsense_old`` and ``venvsense_new``, its imports renamed) and scan the files in turn,
alternating which goes first, ``--rounds`` times: on a loaded machine the two see the same load, where a process
per round does not. Printed as well: the ratio of the fastest rounds.

With ``--check`` both scan every ``*.py`` and ``*.pyi`` file under the ``--check-root`` folders (default
``/work/realspeed`` and ``/work/real``, venvs included: site-packages is good material), and every file's
``ScanResult`` (modules, names, levels, positions, flags, gates, error) is compared; the count of differing
files is printed with the first few, and the exit status is 1 when any differs. A missing tree or root is
skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TREES = ("/work/realspeed/sympy+sympy", "/work/realspeed/saleor+saleor")
DEFAULT_CHECK_ROOTS = ("/work/realspeed", "/work/real")
SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__"}


def python_files(root: str, skip_environments: bool, suffixes: tuple[str, ...]) -> list[str]:
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(
            name for name in folders
            if name != ".git" and not (skip_environments and name in SKIPPED_FOLDERS)
        )
        found.extend(os.path.join(folder, name) for name in sorted(files) if name.endswith(suffixes))
    return found


def child(server: str, list_file: str, out_file: str, rounds: int, keep_results: bool) -> None:
    """Runs in its own process: scans the listed files with the ``venvsense`` under ``server``."""
    sys.path.insert(0, server)
    from venvsense.imports import scanner

    with open(list_file, encoding="utf-8") as listed:
        paths = listed.read().split("\0")
    datas = []
    for path in paths:
        try:
            with open(path, "rb") as opened:
                datas.append(opened.read())
        except OSError:
            datas.append(b"")
    scan = scanner.scan_bytes
    scan(b"import os\nif x:\n    import y\n")  # compile the patterns before timing
    times = []
    results = None
    for _ in range(rounds):
        start = time.process_time()
        results = [scan(data) for data in datas]
        times.append(time.process_time() - start)
    keys = None
    if keep_results and results is not None:
        keys = [
            (result.modules, result.names, tuple(result._numbers), result.error, result.gates)
            for result in results
        ]
    with open(out_file, "wb") as out:
        pickle.dump({"times": times, "bytes": sum(map(len, datas)), "keys": keys}, out)


def run_child(server: str, list_file: str, rounds: int, keep_results: bool) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as out:
        out_file = out.name
    try:
        command = [sys.executable, __file__, "--child", server, list_file, out_file, str(rounds)]
        if keep_results:
            command.append("--keep")
        subprocess.run(command, check=True)
        with open(out_file, "rb") as opened:
            loaded: dict[str, object] = pickle.load(opened)
        return loaded
    finally:
        os.unlink(out_file)


def write_list(paths: list[str]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as listed:
        listed.write("\0".join(paths))
        return listed.name


def benchmark(old: str, new: str, trees: list[str], rounds: int) -> None:
    for tree in trees:
        if not os.path.isdir(tree):
            print(f"{tree}: absent, skipped (checked out by /work/realspeed/tools or `git clone` of the project)")
            continue
        paths = python_files(tree, skip_environments=True, suffixes=(".py",))
        list_file = write_list(paths)
        try:
            times: dict[str, list[float]] = {"old": [], "new": []}
            size = 0
            for _ in range(rounds):
                for label, server in (("old", old), ("new", new)):
                    report = run_child(server, list_file, 1, keep_results=False)
                    times[label].extend(report["times"])  # type: ignore[arg-type]
                    size = report["bytes"]  # type: ignore[assignment]
        finally:
            os.unlink(list_file)
        old_time = statistics.median(times["old"])
        new_time = statistics.median(times["new"])
        megabytes = size / 1e6
        print(
            f"{Path(tree).name}: {len(paths)} files, {megabytes:.1f} MB; CPU s (median of {rounds}): "
            f"old {old_time:.3f} ({megabytes / old_time:.0f} MB/s), new {new_time:.3f} "
            f"({megabytes / new_time:.0f} MB/s); old / new {old_time / new_time:.2f}x"
        )


def renamed_copy(server: str, name: str, into: str) -> None:
    """The ``venvsense`` package under ``server`` copied into ``into`` as package ``name``, its imports renamed."""
    source = Path(server) / "venvsense"
    for path in source.rglob("*.py"):
        target = Path(into) / name / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\bvenvsense(?=[. ])", name, text)
        target.write_text(text, encoding="utf-8")


def benchmark_in_process(old: str, new: str, trees: list[str], rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        renamed_copy(old, "venvsense_old", folder)
        renamed_copy(new, "venvsense_new", folder)
        sys.path.insert(0, folder)
        try:
            scans = {
                label: importlib.import_module(f"venvsense_{label}.imports.scanner").scan_bytes
                for label in ("old", "new")
            }
        finally:
            sys.path.remove(folder)
        for tree in trees:
            if not os.path.isdir(tree):
                print(f"{tree}: absent, skipped")
                continue
            datas = []
            for path in python_files(tree, skip_environments=True, suffixes=(".py",)):
                with open(path, "rb") as opened:
                    datas.append(opened.read())
            times: dict[str, list[float]] = {"old": [], "new": []}
            for scan in scans.values():
                scan(b"import os\nif x:\n    import y\n")
            for turn in range(rounds):
                for label in ("old", "new") if turn % 2 == 0 else ("new", "old"):
                    scan = scans[label]
                    start = time.process_time()
                    for data in datas:
                        scan(data)
                    times[label].append(time.process_time() - start)
            old_time = statistics.median(times["old"])
            new_time = statistics.median(times["new"])
            print(
                f"{Path(tree).name} (in one process): {len(datas)} files; CPU s (median of {rounds}): old "
                f"{old_time:.3f}, new {new_time:.3f}; old / new {old_time / new_time:.2f}x "
                f"(fastest rounds {min(times['old']) / min(times['new']):.2f}x)"
            )


def check(old: str, new: str, roots: list[str]) -> int:
    paths: list[str] = []
    for root in roots:
        if not os.path.isdir(root):
            print(f"{root}: absent, skipped")
            continue
        paths.extend(python_files(root, skip_environments=False, suffixes=(".py", ".pyi")))
    list_file = write_list(paths)
    try:
        old_keys = run_child(old, list_file, 1, keep_results=True)["keys"]
        new_keys = run_child(new, list_file, 1, keep_results=True)["keys"]
    finally:
        os.unlink(list_file)
    assert isinstance(old_keys, list) and isinstance(new_keys, list)
    differing = [index for index, (a, b) in enumerate(zip(old_keys, new_keys, strict=True)) if a != b]
    print(f"checked {len(paths)} files: {len(differing)} differ")
    for index in differing[:10]:
        print(f"  {paths[index]}\n    old: {old_keys[index]!r:.300}\n    new: {new_keys[index]!r:.300}")
    return 1 if differing else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        server, list_file, out_file, rounds = sys.argv[2:6]
        child(server, list_file, out_file, int(rounds), "--keep" in sys.argv[6:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default="/work/main/server")
    parser.add_argument("--new", default=str(HERE.parent / "server"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--check-root", action="append", dest="check_roots")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("trees", nargs="*")
    arguments = parser.parse_args()
    old = str(Path(arguments.old).resolve())
    new = str(Path(arguments.new).resolve())
    status = 0
    if arguments.check:
        status = check(old, new, arguments.check_roots or list(DEFAULT_CHECK_ROOTS))
    if arguments.rounds > 0 and arguments.in_process:
        benchmark_in_process(old, new, arguments.trees or list(DEFAULT_TREES), arguments.rounds)
    elif arguments.rounds > 0:
        benchmark(old, new, arguments.trees or list(DEFAULT_TREES), arguments.rounds)
    return status


if __name__ == "__main__":
    sys.exit(main())
