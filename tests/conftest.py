"""Fixtures shared by every test layer: wheel folders, venv factories, pyenv interpreters, uv.

The helpers themselves live in ``tests/support/wheels.py`` so plain scripts can use them too. Venvs are
made with ``--without-pip`` (tens of milliseconds) and filled with the dev environment's pip
(``pip --python``); for tests that only read a venv, build it once with ``session_venv_factory`` /
``session_wheelhouse`` in a module- or session-scoped fixture and share it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import support` also under --import-mode=importlib

from support.projects import project_maker
from support.wheels import find_pyenv_python, make_venv, uv_executable

VenvFactory = Callable[..., Path]


def _factory(base: Path) -> VenvFactory:
    counter = itertools.count()

    def create(name: str | None = None, python: str | Path | None = None, with_pip: bool = False,
               parent: Path | None = None) -> Path:
        """A new venv: ``parent/name`` (default: a fresh folder under the fixture's tmp dir)."""
        where = (parent or base) / (name or f"venv{next(counter)}")
        if where.exists():
            raise FileExistsError(where)
        return make_venv(where, python, with_pip=with_pip)

    return create


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """An empty folder for the wheels a test builds (pass it as ``find_links``)."""
    path = tmp_path / "wheelhouse"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def session_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel folder shared by the whole session (build distinct names/versions into it)."""
    return tmp_path_factory.mktemp("wheelhouse")


@pytest.fixture
def venv_factory(tmp_path: Path) -> VenvFactory:
    """``venv_factory(name=None, python=None, with_pip=False, parent=None) -> Path``, in ``tmp_path``."""
    return _factory(tmp_path / "venvs")


@pytest.fixture(scope="session")
def session_venv_factory(tmp_path_factory: pytest.TempPathFactory) -> VenvFactory:
    """As ``venv_factory`` but session-scoped: for module/session fixtures that share a read-only venv."""
    return _factory(tmp_path_factory.mktemp("venvs"))


@pytest.fixture(scope="session")
def pyenv_python() -> Callable[[str], Path]:
    """``pyenv_python("3.12") -> Path`` to that pyenv interpreter, or ``pytest.skip`` when absent."""

    def find(version_prefix: str) -> Path:
        found = find_pyenv_python(version_prefix)
        if found is None:
            pytest.skip(f"no pyenv Python {version_prefix} installed")
        return found

    return find


@pytest.fixture(scope="session")
def uv_path() -> Iterator[Path]:
    """The ``uv`` executable, or ``pytest.skip``."""
    found = uv_executable()
    if found is None:
        pytest.skip("uv is not installed")
    yield found


@pytest.fixture
def project(tmp_path: Path, venv_factory: VenvFactory, wheels: Path) -> Callable[..., Path]:
    """``project(files, installs=(), venv=True)``: a project in ``tmp_path / "proj"`` with a ``.venv`` holding
    ``installs`` from the module's own ``wheels`` fixture (``support.projects.project_maker``)."""
    return project_maker(tmp_path / "proj", venv_factory, wheels)
