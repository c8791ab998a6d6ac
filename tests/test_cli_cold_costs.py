"""The cold check's costs outside the scanner and the rules (issue 13, "Fast on real trees"): what the command
line writes and how, the cache files it writes, and the modules that takes. Each test runs the real code on real
files (no timing: what is held is the behaviour that makes it cheap, and that the output is the same)."""

from __future__ import annotations

import enum
import io
import json
import os
import random
import shutil
import stat
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest

from support.projects import write
from venvsense.cli.output import dumps, write_json
from venvsense.text import write_atomically

DATA = Path(__file__).parent / "data" / "locks"


class _Writes(io.StringIO):
    """A text stream that counts the writes it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


DOCUMENTS = [
    [],
    [{"root": "/a", "environment": None, "findings": []}],
    [{"root": "/tmp/é ü \u2603 \U0001f600", "environment": {"path": "/v", "python": "3.12.1", "packages": {},
                                                          "nested": [[], {}, [1, 2.5, -0.0, 1e300, True, None]]},
      "findings": [{"code": "VS201", "message": 'quote " back\\slash \t tab \x00 nul \u2028',
                    "range": {"start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 9}},
                    "set": None, "problem": "VS201:x", "cell": 3}]}],
]


@pytest.mark.parametrize("projects", DOCUMENTS)
def test_the_json_document_is_json_dump_with_indent_2_written_at_once(projects: list[dict[str, object]]) -> None:
    out = _Writes()
    write_json(projects, out)
    expected = io.StringIO()
    json.dump({"schema": 1, "projects": projects}, expected, indent=2)
    expected.write("\n")
    assert out.getvalue() == expected.getvalue()
    assert out.writes == 1  # (json.dump wrote each of its pieces to the stream: ~97,000 on 1,400 findings)


class _Name(str):
    pass


class _Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize("document", [
    {}, [], "", 0, None, True, False, -1.5, 10**30, 1e16, 0.1, float("nan"), float("inf"), -float("inf"), -0.0,
    {"a": []}, {"a": {}}, [[], [{}], [[[]]]], ("tuple", 1, (2,)), {"": ""}, "\ud800 lone surrogate", "\x7f\x1f\u2028",
    {"k": _Name("a str subclass")}, {_Name("key subclass"): 1}, {1: "an int key"}, {None: 1, True: 2, 1.5: 3},
    {"level": _Level.HIGH}, [_Level.HIGH], OrderedDict(a=1), {"x": OrderedDict(b=[1])}, {"set": [1, 2]},
])
def test_the_json_text_is_json_dumps_indent_2(document: object) -> None:
    assert dumps(document) == json.dumps(document, indent=2)


def test_documents_of_every_shape_are_json_dumps_indent_2() -> None:
    chance = random.Random(13)
    scalars = ["", "plain", "é\u2603\U0001f600", 'q"b\\s\t\n', 0, -7, 2**70, 1.25, -0.0, 1e-7, True, False, None]

    def value(depth: int) -> object:
        roll = chance.random()
        if depth > 4 or roll < 0.4:
            return chance.choice(scalars)
        if roll < 0.7:
            return {chance.choice(["a", "b", "é", "", "key with space", "c"]) + str(i): value(depth + 1)
                    for i in range(chance.randrange(4))}
        return [value(depth + 1) for _ in range(chance.randrange(4))]

    for _ in range(2000):
        document = value(0)
        assert dumps(document) == json.dumps(document, indent=2)


def test_a_cyclic_document_is_left_to_json() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(cycle)


def test_a_file_written_atomically_is_whole_private_and_alone(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "scans.marshal"
    target.parent.mkdir()
    write_atomically(target, b"first")
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # as tempfile.mkstemp made it: the owner's only
    write_atomically(target, b"second, longer")  # replaces the file whole
    assert target.read_bytes() == b"second, longer"
    assert sorted(p.name for p in target.parent.iterdir()) == ["scans.marshal"]  # no temporary file left


def test_a_file_that_cannot_be_written_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomically(tmp_path / "absent" / "scans.marshal", b"data")
    folder = tmp_path / "cache"
    (folder / "scans.marshal").mkdir(parents=True)  # a folder in the way: os.replace fails after the write
    with pytest.raises(OSError):
        write_atomically(folder / "scans.marshal", b"data")
    assert sorted(p.name for p in folder.iterdir()) == ["scans.marshal"]


_CHECK = """
import json, runpy, sys
sys.argv = ["venvsense", "check", {path!r}]
try:
    runpy.run_module("venvsense", run_name="__main__")
except SystemExit as done:
    assert done.code in (0, 1), done.code
print()
print(json.dumps(sorted(sys.modules)))
"""


def test_a_cold_check_writes_its_caches_without_tempfile_and_a_warm_one_reads_them(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    shutil.copyfile(DATA / "built-by-uv.uv.lock", root / "uv.lock")  # more than 4 KiB: its model is stored
    shutil.copyfile(DATA / "built-by-uv.pyproject.toml", root / "pyproject.toml")
    write(root, {f"app/m{i}.py": f"import os\nimport json as j{i}\n" for i in range(40)})  # ≥ 32: scans stored
    old = 1_000_000_000
    for path in root.rglob("*"):
        os.utime(path, (old, old))  # long unchanged: nothing is too recent to store
    cache = tmp_path / "cache"
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(VENVSENSE_CACHE_DIR=str(cache), VENVSENSE_MEMO="0")
    outputs = []
    for run in ("cold", "warm"):
        result = subprocess.run([sys.executable, "-c", _CHECK.format(path=str(root))], capture_output=True,
                                text=True, env=environ, check=False)
        assert result.returncode == 0, result.stderr
        *text, modules = result.stdout.splitlines()
        loaded = set(json.loads(modules))
        assert "venvsense.rules.imports" in loaded, run  # the engine checked the project
        assert sorted(m for m in ("tempfile", "shutil", "random", "bz2", "lzma") if m in loaded) == [], run
        outputs.append(text)
        written = sorted(p for p in cache.rglob("*") if p.is_file())
        assert written, run
        assert not [p for p in written if p.name.endswith(".tmp")], run
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written), run
        if run == "cold":
            stamps = {p: p.stat().st_mtime_ns for p in written}
            assert any("lock" in str(p) for p in written) and len(written) >= 2, written
    assert outputs[0] == outputs[1]
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # the warm run read them and had nothing to write


PYPROJECT = """[project]
name = "app"
version = "1"
dependencies = ["requests>=2", "rich; python_version >= '3.8'"]

[dependency-groups]
dev = ["pytest"]

[tool.uv.workspace]
members = ["packages/*"]
"""


def test_a_pyproject_is_scanned_for_positions_once_and_an_edit_is_scanned_again() -> None:
    from venvsense.declarations.pyproject.positions import PositionMap, _TomlScanner

    first, second = PositionMap(PYPROJECT), PositionMap(PYPROJECT)
    assert first.spots is second.spots  # the document's map and the lock check's: one scan
    assert first.spots == _TomlScanner(PYPROJECT).scan()
    assert first.value_range(("project", "dependencies", 1)) == second.value_range(("project", "dependencies", 1))
    edited = PYPROJECT.replace('"requests>=2", ', "")  # an editor's buffer: another text, scanned for itself
    moved = PositionMap(edited)
    assert moved.spots == _TomlScanner(edited).scan() and moved.spots != first.spots
    large = PYPROJECT + "# padding\n" * 7000  # more than 64 KiB (a lock's text): scanned each time, not kept
    assert PositionMap(large).spots is not PositionMap(large).spots
    assert PositionMap(large).spots == first.spots


HEADERS = [
    "", "[[package]]", "[[package]]\n", "\n\n[[package]]", "x = 1\n[[package]]\nname = 'a'\n  [[package]]  # c\n",
    "[[package]]\r\n[[package]]\n", "\t[[ package ]]\n[[packages]]\n[[package]] x\n", 'a = "[[package]]"\n[[package]]',
    "conflicts = [[\n  { a = 1 },\n], [[package]]\n]\n[[package]]\n[[package]]#[[package]]\n[[package]] [[package]]\n",
    "[[tool]]\n[[package]]\n \n[[\npackage]]\n[[package]]\n\n[[package]]\n# [[package]]\n",
]


def _real_locks() -> list[Path]:
    """The uv locks of this checkout's data and, when they are here, of the real trees (``VENVSENSE_REAL_LOCKS``)."""
    found = sorted(DATA.rglob("*.lock"))
    for folder in os.environ.get("VENVSENSE_REAL_LOCKS", "").split(os.pathsep):
        if folder:
            found.extend(sorted(p for p in Path(folder).rglob("uv.lock") if ".venv" not in p.parts))
    return found


@pytest.mark.parametrize("text", HEADERS)
def test_the_package_headers_are_the_lines_the_pattern_finds(text: str) -> None:
    from venvsense.declarations.locks.uv import _PACKAGE_HEADER, header_offsets

    assert header_offsets(text) == [match.start() for match in _PACKAGE_HEADER.finditer(text)]


def test_the_package_headers_of_real_locks_are_the_lines_the_pattern_finds() -> None:
    from venvsense.declarations.locks.uv import _PACKAGE_HEADER, header_offsets

    headers = 0
    for path in _real_locks():
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):  # (a test's deliberately broken lock)
            continue
        offsets = header_offsets(text)
        assert offsets == [match.start() for match in _PACKAGE_HEADER.finditer(text)], path
        headers += len(offsets)
    assert headers > 0


def _as_open_reads(path: Path, limit: int) -> tuple[str, bytes | None]:
    """What ``open(path, "rb", opener=<non-blocking>)``, ``fstat`` and ``read_capped`` give: the error's kind and
    text, or the bytes (``None``: not a regular file)."""
    from venvsense.text import read_capped

    def opener(name: str, flags: int) -> int:
        return os.open(name, flags | os.O_NONBLOCK)

    try:
        with open(path, "rb", opener=opener) as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return "", None
            return "", read_capped(handle, status.st_size, limit)
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror}", None


def _as_read_regular(path: Path, limit: int) -> tuple[str, bytes | None]:
    from venvsense.text import read_regular

    try:
        return "", read_regular(str(path), limit)[1]
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror}", None


@pytest.mark.parametrize("limit", [0, 5, 16, 1 << 20])
def test_a_module_is_read_as_open_and_read_capped_read_it(tmp_path: Path, limit: int) -> None:
    files = {"empty.py": b"", "five.py": b"12345", "sixteen.py": b"x" * 16, "large.py": b"import os\n" * 50_000,
             "binary.py": bytes(range(256)) * 3}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.py").mkdir()
    os.mkfifo(tmp_path / "fifo.py")  # a FIFO with no writer: open (non-blocking) and not read
    (tmp_path / "link.py").symlink_to(tmp_path / "five.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "absent.py")
    unreadable = tmp_path / "secret.py"
    unreadable.write_bytes(b"import x\n")
    unreadable.chmod(0)
    for name in [*files, "folder.py", "fifo.py", "link.py", "dangling.py", "absent.py", "secret.py"]:
        path = tmp_path / name
        assert _as_read_regular(path, limit) == _as_open_reads(path, limit), name
    assert _as_read_regular(tmp_path / "folder.py", limit)[0] == "IsADirectoryError: Is a directory"
    assert _as_read_regular(tmp_path / "large.py", limit)[1] == files["large.py"][:limit + 1]
