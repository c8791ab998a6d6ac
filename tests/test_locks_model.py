"""The format-neutral lock model: which lock a project uses, and reading one never raises."""

from __future__ import annotations

from pathlib import Path

from venvsense.declarations.locks import find_lock, format_of, lock_kind, read_lock
from venvsense.model import project_at, read_model


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


def test_a_lock_that_is_a_link_leading_out_of_the_project_is_not_its_lock(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.lock"
    outside.write_text("version = 1\n", "utf-8")
    root = tmp_path / "project"
    root.mkdir()
    (root / "uv.lock").symlink_to(outside)
    (root / "poetry.lock").write_text("", "utf-8")
    assert find_lock(root) == root / "poetry.lock"
    (root / "real.lock").write_text("", "utf-8")
    (root / "Pipfile.lock").symlink_to(root / "real.lock")
    (root / "poetry.lock").unlink()
    assert find_lock(root) == root / "Pipfile.lock"  # a link inside the project is fine


def test_a_lock_of_a_format_without_a_reader_is_no_lock(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n', "utf-8")
    (tmp_path / "uv.lock").write_text("version = 1\n", "utf-8")
    model = read_model(project_at(tmp_path))
    assert model.lock is not None and model.lock.kind == "uv" and model.lock.error is None
    assert format_of("uv") is not None
    for name, kind in (("poetry.lock", "poetry"), ("Pipfile.lock", "pipfile"), ("pdm.lock", "pdm")):
        (tmp_path / "uv.lock").unlink(missing_ok=True)
        (tmp_path / name).write_text("", "utf-8")
        lock = read_model(project_at(tmp_path)).lock
        assert (lock is None) == (format_of(kind) is None)
        (tmp_path / name).unlink()
