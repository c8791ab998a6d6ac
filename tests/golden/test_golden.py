"""Golden outputs: `venvsense check` and `show env|deps|imports`, text and JSON, byte for byte.

The structure redesign (and any refactoring after it) must not change what users and tools read. Each case
runs the real CLI in a subprocess on the bundled examples and on the fixture projects of ``projects.py``
(real venvs, real wheels) and compares stdout and the exit code with ``expected/<case>.txt``. Paths under the
test's folder become ``<BASE>``, the running Python's version ``<PY>``.

Re-record (only for a deliberate output change, reviewed in the diff): ``VENVSENSE_GOLDEN_RECORD=1 pytest
tests/golden``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golden.projects import PROJECTS, build, build_wheels

HERE = Path(__file__).parent
EXPECTED = HERE / "expected"
REPO = HERE.parents[1]
RECORD = bool(os.environ.get("VENVSENSE_GOLDEN_RECORD"))

SHOWS = ("env", "deps", "imports")


def _cases() -> list[tuple[str, tuple[str, ...], dict[str, str]]]:
    cases: list[tuple[str, tuple[str, ...], dict[str, str]]] = []
    for name in [*PROJECTS, "examples/project-a", "examples/project-b"]:
        slug = name.replace("/", "-")
        for fmt in ("text", "json"):
            cases.append((f"check-{slug}-{fmt}", ("check", name, "--format", fmt), {}))
            for what in SHOWS:
                cases.append((f"show-{what}-{slug}-{fmt}", ("show", what, name, "--format", fmt), {}))
    cases += [
        ("check-all-text", ("check", "."), {}),
        ("check-all-json", ("check", ".", "--format", "json"), {}),
        ("check-all-concise", ("check", ".", "--format", "concise"), {}),
        ("check-reqs-colour", ("check", "reqs", "--color", "always"), {}),
        ("check-reqs-select", ("check", "reqs", "--select", "VS2", "--ignore", "VS205"), {}),
        ("check-manifest-file", ("check", "reqs/requirements-dev.txt"), {}),
        ("show-deps-uvlock-lock-text", ("show", "deps", "uvlock", "--lock"), {}),
        ("show-deps-uvlock-lock-json", ("show", "deps", "uvlock", "--lock", "--format", "json"), {}),
        ("check-b-with-a-venv", ("check", "examples/project-b", "--venv", "examples/project-a/.venv"), {}),
        ("check-b-virtual-env-a", ("check", "examples/project-b"), {"VIRTUAL_ENV": "<BASE>/examples/project-a/.venv"}),
        ("check-nested-virtual-env", ("check", "nested", "--format", "json"),
         {"VIRTUAL_ENV": "<BASE>/reqs/.venv"}),
    ]
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("golden")
    house = build_wheels(tmp_path_factory.mktemp("golden-wheels"))
    build(base, house)
    examples = base / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns(".venv", "wheelhouse", "__pycache__"))
    subprocess.run([sys.executable, str(REPO / "examples" / "setup_examples.py"), "--examples", str(examples)],
                   check=True, capture_output=True)
    return base


def _run(base: Path, args: tuple[str, ...], env: dict[str, str], cache: Path) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")}
    environ["VENVSENSE_CACHE_DIR"] = str(cache)
    environ.update({k: v.replace("<BASE>", str(base)) for k, v in env.items()})
    result = subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=base, capture_output=True,
                            text=True, env=environ, check=False)
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def _normalize(text: str, base: Path) -> str:
    text = text.replace(str(base.resolve()), "<BASE>").replace(str(base), "<BASE>")
    return text.replace(platform.python_version(), "<PY>")


@pytest.mark.parametrize(("case", "args", "env"), CASES, ids=[c[0] for c in CASES])
def test_output_is_unchanged(base: Path, tmp_path: Path, case: str, args: tuple[str, ...],
                             env: dict[str, str]) -> None:
    cold = _normalize(_run(base, args, env, tmp_path / "cache"), base)
    warm = _normalize(_run(base, args, env, tmp_path / "cache"), base)
    assert warm == cold, "a warm run (on-disk cache) printed something else than the cold run"
    expected = EXPECTED / f"{case}.txt"
    if RECORD:
        EXPECTED.mkdir(exist_ok=True)
        expected.write_text(cold, encoding="utf-8")
    assert expected.exists(), f"no recorded output for {case}: run with VENVSENSE_GOLDEN_RECORD=1"
    assert cold == expected.read_text(encoding="utf-8")


def test_every_recorded_case_is_run() -> None:
    recorded = {p.stem for p in EXPECTED.glob("*.txt")}
    assert recorded == {c[0] for c in CASES}
