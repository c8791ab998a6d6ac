"""A lock's model kept between runs (``declarations.locks.stored``) and between checks of one process (the stamp
memo of ``read_lock``): an unchanged lock file — same (mtime_ns, size) — is neither parsed nor, in one process,
read again; a changed one is read; a corrupt cache file is ignored and rewritten; a lock changed within the last
two seconds is never known by its stamp. Real lock files, the user's cache folder a temporary one.
"""

from __future__ import annotations

import marshal
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.projects import findings, write
from venvsense.caches import clear_all
from venvsense.declarations.locks import DISK_LOCKS, Lock, Target, outdated, read_lock, select, stored
from venvsense.environment.pipcheck import marker_environment

DATA = Path(__file__).parent / "data" / "locks"
OLD = time.time_ns() - 3_600_000_000_000  # an hour ago: not racy


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "user-cache"
    stored.use(folder)
    clear_all()
    yield folder
    stored.use(None)
    clear_all()


def _disk(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except OSError:
        return None


def _project(tmp_path: Path, folder: str, name: str) -> Path:
    """A copy of a vendored real lock (with its manifest), last changed an hour ago."""
    root = tmp_path / "project"
    if folder == "built-by-uv":
        root.mkdir()
        shutil.copyfile(DATA / "built-by-uv.uv.lock", root / name)
        shutil.copyfile(DATA / "built-by-uv.pyproject.toml", root / "pyproject.toml")
    else:
        shutil.copytree(DATA / folder, root)
    os.utime(root / name, ns=(OLD, OLD))
    return root / name


def _rewrite_same_stamp(path: Path, old: str, new: str) -> None:
    """Change the file's text, keeping its size and mtime: what no stamp can see."""
    text = path.read_text("utf-8")
    assert len(old) == len(new) and old in text
    stamp = os.stat(path)
    path.write_text(text.replace(old, new, 1), "utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert os.stat(path).st_size == stamp.st_size


def _same(restored: Lock, parsed: Lock) -> None:
    assert restored is not parsed
    assert (restored.path, restored.kind, restored.packages, restored.error, restored.requires_python) == (
        parsed.path, parsed.kind, parsed.packages, parsed.error, parsed.requires_python)
    assert restored.data == parsed.data and restored.text == parsed.text
    for target in (Target(marker_environment("3.12.4")), Target(marker_environment("3.11.7"),
                                                                extras=frozenset({"*"}), groups=frozenset({"*"}))):
        assert select(restored, target, _disk) == select(parsed, target, _disk)
    assert outdated(restored, _disk) == outdated(parsed, _disk)


@pytest.mark.parametrize(("folder", "name"), [
    ("built-by-uv", "uv.lock"), ("poetry-core", "poetry.lock"), ("fastapi-realworld", "poetry.lock"),
    ("pdm", "pdm.lock"), ("pipenv", "Pipfile.lock"), ("pipenv", "pylock.toml"),
])
def test_a_stored_lock_is_the_lock_read(tmp_path: Path, cache: Path, folder: str, name: str) -> None:
    path = _project(tmp_path, folder, name)
    parsed = read_lock(path)
    [written] = cache.glob("lock-*.marshal")
    assert stored.file_for(path) == written.resolve()
    clear_all()  # a new process
    restored = read_lock(path)
    _same(restored, parsed)
    assert read_lock(path) is restored  # and within one process, the same object


def test_a_warm_read_does_not_parse_an_unchanged_lock(tmp_path: Path, cache: Path) -> None:
    """Proved the only way it shows: a change that keeps the stamp is not seen — not by a new process (the stored
    model), nor by the same one (the memo); a change of size or mtime is."""
    path = _project(tmp_path, "built-by-uv", "uv.lock")
    first = read_lock(path)
    assert first.by_name("anyio")[0].version == "4.6.2.post1"
    _rewrite_same_stamp(path, 'version = "4.6.2.post1"', 'version = "4.6.3.post1"')
    assert read_lock(path) is first
    clear_all()
    assert read_lock(path).by_name("anyio")[0].version == "4.6.2.post1"
    os.utime(path, ns=(OLD + 1_000_000_000, OLD + 1_000_000_000))  # the same size, another mtime
    assert read_lock(path).by_name("anyio")[0].version == "4.6.3.post1"
    clear_all()
    assert read_lock(path).by_name("anyio")[0].version == "4.6.3.post1"  # rewritten for the new stamp
    path.write_text(path.read_text("utf-8").replace('version = "4.6.3.post1"', 'version = "5.0"'), "utf-8")
    os.utime(path, ns=(OLD, OLD))  # another size
    assert read_lock(path).by_name("anyio")[0].version == "5.0"


def test_a_corrupt_or_foreign_cache_file_is_ignored_and_rewritten(tmp_path: Path, cache: Path) -> None:
    path = _project(tmp_path, "built-by-uv", "uv.lock")
    parsed = read_lock(path)
    written = stored.file_for(path)
    assert written is not None and written.is_file()
    good = written.read_bytes()
    other = tmp_path / "other" / "uv.lock"
    other.parent.mkdir()
    shutil.copyfile(path, other)
    os.utime(other, ns=(OLD, OLD))
    header, payload = marshal.loads(good)
    for bad in (b"", b"garbage", good[: len(good) // 2],
                marshal.dumps(((*header[:-2], 0, header[-1]), payload)),  # another mtime
                marshal.dumps(((*header[:3], str(other), *header[4:]), payload)),  # another lock's
                marshal.dumps((header, ((*payload[0][:1], (1, 2)), *payload[1:])))):  # a package that is not one
        written.write_bytes(bad)
        clear_all()
        _same(read_lock(path), parsed)
        assert written.read_bytes() == good


def test_a_lock_changed_within_two_seconds_is_not_known_by_its_stamp(tmp_path: Path, cache: Path) -> None:
    path = _project(tmp_path, "built-by-uv", "uv.lock")
    os.utime(path)  # now
    first = read_lock(path)
    assert not cache.exists() and DISK_LOCKS.get((path, "uv")) is None
    _rewrite_same_stamp(path, 'version = "4.6.2.post1"', 'version = "4.6.3.post1"')
    assert read_lock(path).by_name("anyio")[0].version == "4.6.3.post1" != first.by_name("anyio")[0].version


def test_no_cache_file_when_the_store_is_off_or_small_or_inside_the_project(tmp_path: Path, cache: Path) -> None:
    path = _project(tmp_path, "built-by-uv", "uv.lock")
    stored.use(None)  # the default: the engine writes nowhere unless a shell asks
    assert read_lock(path).error is None and stored.file_for(path) is None
    stored.use(path.parent / ".cache")
    clear_all()
    assert read_lock(path).error is None and not (path.parent / ".cache").exists()
    stored.use(cache)
    small = tmp_path / "small" / "uv.lock"
    write(small.parent, {"uv.lock": 'version = 1\n\n[[package]]\nname = "a"\nversion = "1"\n'})
    os.utime(small, ns=(OLD, OLD))
    assert read_lock(small).packages and not cache.exists()


def test_warm_cli_runs_give_the_same_output(tmp_path: Path) -> None:
    """``venvsense check`` twice with one cache folder: the lock stored by the first, the output unchanged; none
    stored with ``VENVSENSE_CACHE_DIR=""``."""
    path = _project(tmp_path, "built-by-uv", "uv.lock")
    write(path.parent, {"src/built_by_uv/__init__.py": "import anyio\nimport requests\n"})
    cache = tmp_path / "cli-cache"
    cold = findings(path.parent, env={"VENVSENSE_CACHE_DIR": str(cache)})
    assert any(f["code"] == "VS401" for f in cold)
    [written] = cache.glob("lock-*.marshal")
    assert findings(path.parent, env={"VENVSENSE_CACHE_DIR": str(cache)}) == cold
    assert findings(path.parent, env={"VENVSENSE_CACHE_DIR": ""}) == cold
    assert list(cache.glob("lock-*.marshal")) == [written]
