"""What finding PEP 723 scripts costs a full check: a generated project of N modules (one of them a script),
checked in-process with script detection and with it replaced by "no scripts" (the peer, same run, alternating),
with cold caches (every file read again for its block) and warm ones (a re-check: no unchanged file is read).

    .venv/bin/python benchmarks/bench_scripts.py [N] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import venvsense.check as check
from venvsense.caches import clear_all
from venvsense.model import project_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("modules", nargs="?", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp()) / "proj"
    body = "import os\nimport json\nimport requests\n" + "x = 1\n" * 200
    files = {f"pkg/sub{i % 40}/mod{i}.py": body for i in range(args.modules)}
    files.update({f"pkg/sub{i}/__init__.py": "" for i in range(40)})
    files.update({"requirements.txt": "requests\n", "pkg/__init__.py": "",
                  "tool.py": "# /// script\n# dependencies = ['requests']\n# ///\nimport requests\n"})
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    project = project_at(root)
    real = check.read_scripts

    def run(with_scripts: bool, cold: bool) -> float:
        check.read_scripts = real if with_scripts else (lambda *_a, **_k: [])  # type: ignore[assignment]
        if cold:
            clear_all()
        started = time.perf_counter()
        check.check_project(project, environ={})
        return time.perf_counter() - started

    for cold in (True, False):
        with_, without = [], []
        for _ in range(args.rounds):
            without.append(run(False, cold))
            with_.append(run(True, cold))
        a, b = statistics.median(with_), statistics.median(without)
        print(f"{args.modules} modules, {'cold caches' if cold else 'warm (a re-check)'}: with / without script "
              f"detection = {a / b:.3f} (medians {a * 1000:.0f} ms / {b * 1000:.0f} ms)")
    check.read_scripts = real


if __name__ == "__main__":
    sys.exit(main())
