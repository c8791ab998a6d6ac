"""``first_party_modules`` without the caller's parsed files reads a project's ``pyproject.toml`` and
``setup.cfg`` once per version of them (the projects around a nested one and a workspace's members are asked
about again and again): a changed file, even at the same size, is read again; a removed or added one too."""

from __future__ import annotations

import os
from pathlib import Path

from venvsense.firstparty import first_party_modules


def _hatch(packages: str) -> str:
    return f'[project]\nname = "x"\n[tool.hatch.build.targets.wheel]\npackages = ["{packages}"]\n'


def _write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_changed_layout_is_read_again_even_at_the_same_size(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    _write(pyproject, _hatch("src/alpha"), 1_000_000_000)
    assert "alpha" in first_party_modules(tmp_path)
    assert "alpha" in first_party_modules(tmp_path)  # the same answer from the kept layout

    _write(pyproject, _hatch("src/gamma"), 2_000_000_000)  # same size, another mtime
    names = first_party_modules(tmp_path)
    assert "gamma" in names and "alpha" not in names

    pyproject.unlink()
    assert "gamma" not in first_party_modules(tmp_path)

    (tmp_path / "setup.cfg").write_text("[options]\npackages = delta\n")
    assert "delta" in first_party_modules(tmp_path)
    (tmp_path / "setup.cfg").write_text("[options]\npackages = epsilon, zeta\n")
    names = first_party_modules(tmp_path)
    assert {"epsilon", "zeta"} <= names and "delta" not in names


def test_the_callers_parsed_files_win_over_the_disk(tmp_path: Path) -> None:
    from venvsense.tomlfile import read_toml

    pyproject = tmp_path / "pyproject.toml"
    _write(pyproject, _hatch("src/alpha"), 1_000_000_000)
    assert "alpha" in first_party_modules(tmp_path)
    buffer = read_toml(pyproject, _hatch("src/unsaved"))  # an editor's buffer, not on disk
    names = first_party_modules(tmp_path, pyproject_toml=buffer)
    assert "unsaved" in names and "alpha" not in names
    assert "unsaved" not in first_party_modules(tmp_path, setup_cfg_text="[options]\npackages = other\n")
