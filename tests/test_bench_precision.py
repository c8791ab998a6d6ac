"""The precision benchmark's reading of findings and its label matcher, on a small real project checked by the real
CLI (so a change of the JSON that the benchmark reads fails here, not silently in the benchmark)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.projects import write

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_precision as bench

LABELS = """
[[label]]
category = "undeclared"
name = "undeclaredmod"
verdict = true
reason = "package code imports it and nothing declares it"

[[label]]
category = "undeclared"
name = "undeclaredmod"
file = "tests/*"
verdict = false
reason = "a more specific label: the tests' copy is written by the test itself"

[[label]]
category = "unused"
name = "unused-thing"
verdict = true
reason = "declared, never used"

[[label]]
category = "undeclared"
name = "othermod"
verdict = true
reason = "only a peer reports it"

[[label]]
category = "VS201"
name = "*"
verdict = true
reason = "declared and not installed"
"""


def test_findings_are_read_keyed_and_judged(tmp_path: Path, venv_factory: Callable[..., Path]) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "proj"\nversion = "1"\ndependencies = ["Unused_Thing"]\n',
            "proj/__init__.py": "import undeclaredmod\n",
            "tests/test_a.py": "import undeclaredmod\n",
        },
    )
    venv_factory(".venv", parent=root)
    out = subprocess.run(
        [sys.executable, "-m", "venvsense", "check", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    project = bench.Project("someone/proj", "0" * 40, "test")
    ours = bench.venvsense_findings(project, root, json.loads(out.stdout))
    keys = {(f.category, f.name, f.file) for f in ours}
    assert ("undeclared", "undeclaredmod", "proj/__init__.py") in keys
    assert ("undeclared", "undeclaredmod", "tests/test_a.py") in keys
    assert ("unused", "unused-thing", "pyproject.toml") in keys  # the distribution name, normalised

    peer_raw = [
        {
            "error": {"code": "DEP001", "message": "x"},
            "module": "undeclaredmod",
            "location": {"file": "proj/__init__.py", "line": 1},
        },
        {
            "error": {"code": "DEP001", "message": "x"},
            "module": "othermod.sub",
            "location": {"file": "proj/b.py", "line": 3},
        },
    ]
    peers = bench.deptry_findings(project, peer_raw)
    labels_file = tmp_path / "labels.toml"
    labels_file.write_text(LABELS)
    labels = bench.load_labels(labels_file)

    by_file = {f.file: bench.judge(f, labels) for f in ours if f.name == "undeclaredmod"}
    assert by_file["proj/__init__.py"] is not None and by_file["proj/__init__.py"].verdict
    assert by_file["tests/test_a.py"] is not None and not by_file["tests/test_a.py"].verdict

    report = bench.Report()
    bench.evaluate(project, ours + peers, labels, report)
    assert report.unlabelled == []
    assert [(f.name, f.file) for f, _ in report.missed] == [("othermod", "proj/b.py")]
    ours_tally = report.per_tool["venvsense"]
    assert ours_tally.false == 1 and ours_tally.true == len(ours) - 1
    assert ours_tally.false_error == sum(1 for f in ours if f.file == "tests/test_a.py" and f.severity == "error")
