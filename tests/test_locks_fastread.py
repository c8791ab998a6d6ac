"""The lean read of a lock: the archives' entries (uv's ``sdist``/``wheels``, Poetry's and PDM's ``files``), most of a
lock's bytes and read by nobody, are cut out of the text before ``tomllib`` parses it — only where the cut is
certain (``tomlfile.lean_text``). Proved here: on real locks (the vendored ones, one ``uv lock`` writes offline
here, and, by hand, those of real repositories) the lean read gives exactly the model the whole parse gives; on odd
and hand-edited text it gives the whole parse's document, or its very error.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest

from support.projects import write
from support.wheels import build_wheel, uv, uv_executable
from venvsense.declarations.locks import Target, format_of, lock_kind, outdated, select
from venvsense.declarations.locks.uv import SKIPPED as UV_SKIPPED
from venvsense.environment.pipcheck import marker_environment
from venvsense.tomlfile import lean_text, read_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "locks"
SKIPPED: dict[str, tuple[str, ...]] = {"uv": UV_SKIPPED, "poetry": ("files",), "pdm": ("files",)}
# appended to a lock's text, a comment holding a multi-line string's quotes makes the lean read step aside: the
# reader then parses the whole text, as before (the same lines, the same entries)
WHOLE = "\n# ''' (the lean read steps aside)\n"


def _same_but_cut(lean: Any, whole: Any, keys: Collection[str], where: str = "") -> int:
    """Assert ``lean`` is ``whole`` but for values of ``keys`` read as ``0`` (a table or array in ``whole``); how
    many such values there were."""
    if isinstance(whole, Mapping):
        assert isinstance(lean, Mapping) and list(lean) == list(whole), where
        cut = 0
        for key, value in whole.items():
            if key in keys and lean[key] == 0 and isinstance(value, (dict, list)) and value != 0:
                cut += 1
                continue
            cut += _same_but_cut(lean[key], value, keys, f"{where}.{key}")
        return cut
    if isinstance(whole, list):
        assert isinstance(lean, list) and len(lean) == len(whole), where
        return sum(_same_but_cut(a, b, keys, f"{where}[{i}]") for i, (a, b) in enumerate(zip(lean, whole, strict=True)))
    assert type(lean) is type(whole) and lean == whole, where
    return 0


def _same_read(text: str, keys: Collection[str] = ("sdist", "wheels", "files")) -> int:
    """The lean read of ``text`` against ``tomllib`` on the whole text: the same document but for the cut values,
    or the same error; how many values were cut."""
    lean = read_toml(Path("uv.lock"), text, keys)
    try:
        whole = tomllib.loads(text)
    except ValueError as error:
        assert lean.data is None and str(lean.error) == str(error)
        return 0
    assert lean.error is None and lean.data is not None
    return _same_but_cut(lean.data, whole, keys)


UV_LOCK = """version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "beta", marker = "sys_platform == 'win32'" },
]
sdist = { url = "https://files.example/alpha-1.0.tar.gz", hash = "sha256:00ff", size = 12, upload-time = "2025" }
wheels = [
    { url = "https://files.example/alpha-1.0-py3-none-any.whl", hash = "sha256:11ee", size = 34, upload-time = "2025" },
    { url = "https://files.example/alpha-1.0-cp311-win_amd64.whl", hash = "sha256:22dd", size = 56 },
]

[[package]]
name = "beta"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
sdist = { path = "beta-2.0.tar.gz" }
wheels = [
    { filename = "beta-2.0-py3-none-any.whl", hash = "sha256:33cc" },
]
"""


@pytest.mark.parametrize(("text", "cut"), [
    (UV_LOCK, 4),
    (UV_LOCK.replace("\n", "\r\n"), 4),
    # comments after a value, a commented-out value, an empty array, a table on one line
    (UV_LOCK.replace("size = 12, upload-time = \"2025\" }", "size = 12 }  # hand-edited")
     .replace('sdist = { path = "beta-2.0.tar.gz" }', '# sdist = { path = "beta-2.0.tar.gz" }\nwheels2 = []')
     .replace("wheels = [\n    { filename", "wheels = [\n]\nfiles = [\n    { filename"), 4),
    # the keys inside strings, never at a line's start outside one
    ('a = "wheels = [\\n"\nb = \'sdist = { url = "x" }\'\nsdist = { url = "y" }\n', 1),
    # a multi-line string holding what looks like a value: no cut anywhere
    ('a = """\nsdist = { url = "x" }\n"""\nsdist = { url = "y" }\n', 0),
    ("a = '''\nwheels = [\n    { url = \"x\" },\n]\n'''\n", 0),
    # what lock tools do not write is left to the parser: escapes, unknown keys or order, nested tables, comments
    # or blank lines inside the array, a date, floats
    ('sdist = { url = "a\\u0062" }\nwheels = [\n    { hash = "h", url = "u" },\n]\n', 0),
    ('wheels = [\n    { url = "u", hashes = { sha256 = "h" } },\n]\n', 0),
    ('wheels = [\n    # a comment\n    { url = "u" },\n\n]\nsdist = { size = 1.5 }\n', 0),
    ("sdist = { url = 'literal', upload-time = 2025-01-01T00:00:00Z }\n", 0),
])
def test_the_lean_read_is_the_whole_read_but_for_the_archives(text: str, cut: int) -> None:
    assert _same_read(text) == cut


@pytest.mark.parametrize("text", [
    'sdist = { url = "a", url = "b" }\n',  # a key twice
    'sdist = { url = "a" hash = "b" }\n',  # no comma
    'sdist = { url = "a", }\n',  # a trailing comma in an inline table
    'wheels = [\n    { url = "a" }\n    { url = "b" },\n]\n',  # no comma between two
    "sdist = { size = 012 }\n",  # a leading zero
    f"sdist = {{ size = {'9' * 5000} }}\n",  # a number int() refuses
    'sdist = { url = "a\x01" }\n',  # a control character
    'sdist = { url = "a" }\nsdist = { url = "b" }\n',  # the key twice in a table
    'sdist = { url = "a" }\n[sdist]\nx = 1\n',  # the value extended by a table
    'sdist = { url = "a" }\nsdist.x = 1\n',  # ... or a dotted key
    'dependencies = [\n    { name = "a" },\nsdist = { url = "b" }\n]\n',  # inside an array
    'x = [\nwheels = [\n    { url = "a" },\n]\n]\n',
    'x = { a = 1,\nsdist = { url = "a" } }\n',  # inside an inline table (TOML 1.0: one line)
    'sdist = { url = "a" } x\n',  # trailing text
    'sdist = { url = "a" } # comment with \x01\n',
    "[[package]]\nname = 'a'\nsdist = { url = \"a\" }\n[[package]\n",  # bad TOML elsewhere
])
def test_text_that_is_not_toml_gives_the_whole_reads_error(text: str) -> None:
    with pytest.raises(ValueError):
        tomllib.loads(text)
    for candidate in (text, text.replace("\n", "\r\n")):
        _same_read(candidate)
        parsed = read_toml(Path("uv.lock"), candidate, ("sdist", "wheels"))
        assert parsed.data is None and parsed.error is not None


# --- the lock model, lean and whole -----------------------------------------------------------------------------


def _disk(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except OSError:
        return None


TARGETS = [Target(marker_environment("3.12.4")), Target({**marker_environment("3.10.2"), "sys_platform": "win32",
                                                                 "os_name": "nt", "platform_system": "Windows"}),
           Target(marker_environment("3.11.7"), extras=frozenset({"*"}), groups=frozenset({"*"}))]


def assert_same_model(path: Path, text: str | None = None) -> int:
    """The lock at ``path`` read lean and whole: the same packages, error, requires-python, selection for several
    venvs, staleness and kept document; how many values the lean read cut (its document the same but for them)."""
    text = path.read_text("utf-8") if text is None else text
    kind = lock_kind(path)
    assert kind is not None
    module = format_of(kind)
    assert module is not None
    lean, whole = module.read(path, text), module.read(path, text + WHOLE)
    assert lean.error == whole.error and lean.requires_python == whole.requires_python
    assert lean.packages == whole.packages and lean.kind == whole.kind
    for target in TARGETS:
        assert select(lean, target, _disk) == select(whole, target, _disk)
    assert outdated(lean, _disk) == outdated(whole, _disk)
    assert lean.data == whole.data
    return _same_read(text, SKIPPED.get(kind, ()))


@pytest.mark.parametrize(("folder", "name"), [
    ("poetry-core", "poetry.lock"), ("fastapi-realworld", "poetry.lock"), ("pdm", "pdm.lock"),
    ("pdm-2021", "pdm.lock"),
])
def test_vendored_locks_read_lean_give_the_same_model(tmp_path: Path, folder: str, name: str) -> None:
    """The vendored Poetry and PDM locks, their ``files`` stripped (see test_locks_formats.py), once as they are and
    once with each package's ``files`` written back the way Poetry and PDM write them."""
    shutil.copytree(DATA / folder, tmp_path / folder)
    path = tmp_path / folder / name
    text = path.read_text("utf-8")
    assert assert_same_model(path) == 0
    files = ('files = [\n    {file = "x-1.0-py3-none-any.whl", hash = "sha256:0123abcd"},\n'
             '    {file = "x-1.0.tar.gz", hash = "sha256:4567ef"},\n]\n')
    packages = text.count("[[package]]\n")
    assert assert_same_model(path, text.replace("[[package]]\n", "[[package]]\n" + files)) == packages > 10


def test_the_vendored_uv_lock_read_lean_gives_the_same_model(tmp_path: Path) -> None:
    shutil.copyfile(DATA / "built-by-uv.uv.lock", tmp_path / "uv.lock")
    shutil.copyfile(DATA / "built-by-uv.pyproject.toml", tmp_path / "pyproject.toml")
    text = (tmp_path / "uv.lock").read_text("utf-8")
    assert lean_text(text, UV_SKIPPED) is not None
    assert assert_same_model(tmp_path / "uv.lock") > 0
    assert assert_same_model(tmp_path / "uv.lock", text.replace("\n", "\r\n")) > 0


@pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")
def test_a_lock_uv_writes_offline_reads_lean_to_the_same_model(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    for name, version in [("alpha", "1.0"), ("alpha", "2.0"), ("gamma", "1.0"), ("win-only", "1.0")]:
        build_wheel(wheels, name, version)
    build_wheel(wheels, "beta", "1.0", requires=["gamma>=1", "win-only; sys_platform == 'win32'"])
    build_wheel(wheels, "delta", "1.0", extras={"fast": ["alpha"]})
    root = tmp_path / "project"
    write(root, {
        "pyproject.toml": '[project]\nname = "app"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
                          'dependencies = ["alpha>=2", "beta", "delta[fast]; python_version >= \'3.11\'"]\n'
                          '[dependency-groups]\ndev = ["gamma"]\n'
                          '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        "src/app/__init__.py": "",
    })
    uv("lock", "--offline", "--find-links", str(wheels), "--no-config", "--python", sys.executable,
       "--cache-dir", str(tmp_path / "uv-cache"), cwd=root)
    text = (root / "uv.lock").read_text("utf-8")
    assert "wheels = [" in text and lean_text(text, UV_SKIPPED) is not None
    lean = format_of("uv").read(root / "uv.lock", text)  # type: ignore[union-attr]
    assert {p.name for p in lean.packages} == {"app", "alpha", "beta", "gamma", "delta", "win-only"}
    assert assert_same_model(root / "uv.lock") == 5  # the wheels of each registry package, every one cut
    assert outdated(lean, _disk) == ()


def _real_locks() -> list[Path]:
    folders = [Path(folder) for folder in os.environ.get("VENVSENSE_REAL_LOCKS", "").split(os.pathsep) if folder]
    found: list[Path] = []
    for folder in folders:
        for name in ("uv.lock", "poetry.lock", "pdm.lock"):
            found.extend(path for path in folder.rglob(name)
                         if not {".venv", "node_modules", ".git"} & set(path.relative_to(folder).parts))
    return sorted(found)


@pytest.mark.skipif(not os.environ.get("VENVSENSE_REAL_LOCKS"), reason="VENVSENSE_REAL_LOCKS names no folder")
def test_real_repositories_locks_read_lean_give_the_same_model() -> None:
    """By hand, on checked-out repositories (``VENVSENSE_REAL_LOCKS=/work/realspeed:/work/real``): every uv, Poetry
    and PDM lock under them read lean gives the model of the whole parse."""
    locks = _real_locks()
    assert locks
    for path in locks:
        assert assert_same_model(path) > 0, path
