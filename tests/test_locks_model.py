"""The format-neutral lock model: which lock a project uses, and reading one never raises."""

from __future__ import annotations

from pathlib import Path

from venvsense.declarations.locks import find_lock, lock_kind, read_lock


def test_find_lock_takes_the_first_of_the_documented_order(tmp_path: Path) -> None:
    assert find_lock(tmp_path) is None
    (tmp_path / "pdm.lock").write_text("", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "pdm.lock"
    (tmp_path / "Pipfile.lock").write_text("{}", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "Pipfile.lock"
    (tmp_path / "pylock.web.toml").write_text("", "utf-8")
    (tmp_path / "pylock.api.toml").write_text("", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "pylock.api.toml"
    (tmp_path / "pylock.toml").write_text("", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "pylock.toml"
    (tmp_path / "poetry.lock").write_text("", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "poetry.lock"
    (tmp_path / "uv.lock").mkdir()  # a folder is no lock
    assert find_lock(tmp_path) == tmp_path / "poetry.lock"
    (tmp_path / "uv.lock").rmdir()
    (tmp_path / "uv.lock").write_text("", "utf-8")
    assert find_lock(tmp_path) == tmp_path / "uv.lock"


def test_lock_kinds_by_name() -> None:
    assert lock_kind(Path("uv.lock")) == "uv"
    assert lock_kind(Path("pylock.dev.toml")) == "pylock"
    assert lock_kind(Path("pylock..toml")) is None
    assert lock_kind(Path("pylock.a.b.toml")) is None
    assert lock_kind(Path("Pipfile")) is None
    assert lock_kind(Path("requirements.txt")) is None


def test_an_unreadable_lock_is_an_error_not_an_exception(tmp_path: Path) -> None:
    lock = read_lock(tmp_path / "uv.lock")
    assert lock.error is not None and lock.packages == ()
    assert "uv.lock" in lock.error.message
