"""Fixtures of the language-server tests: a wheelhouse, real projects with real venvs, the workspace folder.

The session helpers live in ``lsp_session.py`` (importable under any ``--import-mode``: this folder is put on
``sys.path`` here, as ``tests/conftest.py`` does for ``support``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lsp_session import ProjectMaker

from support.wheels import build_wheel


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheelhouse: alpha 1.0 and 2.0, beta 1.0, gamma 1.0 (needs beta), delta 1.0 (module ``delta_mod``)."""
    house = tmp_path_factory.mktemp("lsp-wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "alpha", "2.0")
    build_wheel(house, "beta", "1.0")
    build_wheel(house, "gamma", "1.0", requires=["beta>=1"])
    build_wheel(house, "delta", "1.0", modules=["delta_mod"])
    return house


@pytest.fixture
def make_project(tmp_path: Path, wheels: Path) -> ProjectMaker:
    """``make_project(name, requirements=..., venv=True, installed=(...), files={...}) -> root`` under one
    workspace folder, ``tmp_path / "ws"``."""
    return ProjectMaker(tmp_path / "ws", wheels)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"
