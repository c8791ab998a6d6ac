"""Real wheels, real venvs and real installs for tests and benchmarks; nothing here needs the network.

Wheels are written with ``zipfile`` (valid ``RECORD`` hashes, installable by pip and uv); venvs are made
with ``python -m venv --without-pip``; installs run the dev environment's pip against the venv with
``pip --python <venv python> install --no-index --find-links <wheelhouse>``. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from support.pep517_backend import CONFIG_FILE, escaped_name, write_wheel

PEP517_BACKEND = Path(__file__).with_name("pep517_backend.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


def normalize(name: str) -> str:
    """PEP 503 normalized name (``Foo_Bar`` → ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def build_wheel(dest_dir: Path, name: str, version: str, *, requires: Sequence[str] = (),
                extras: Mapping[str, Sequence[str]] | None = None, modules: Sequence[str] | None = None,
                top_level: bool = True, files: Mapping[str, str | bytes] | None = None,
                wheel_tags: Sequence[str] | None = None, metadata: str | None = None) -> Path:
    """Write a valid pure-Python wheel ``name-version-py3-none-any.whl`` into ``dest_dir`` and return it.

    ``modules``: top-level import names; ``pkg`` becomes a package (``pkg/__init__.py``), ``mod.py`` a
    single module. Default: the name with ``-``/``.`` → ``_``, as one package. ``top_level`` writes
    ``top_level.txt``. ``files`` adds archive members (path → text). ``extras`` maps an extra to its
    requirements (written with ``extra == "x"`` markers). ``wheel_tags`` overrides the ``Tag`` lines of
    ``WHEEL`` (e.g. to make a wheel pip check calls unsupported). ``metadata`` replaces ``METADATA``.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    if modules is None:
        modules = [escaped_name(name)]
    contents: dict[str, str | bytes] = {}
    names = []
    for module in modules:
        if module.endswith(".py"):
            contents[module] = f"NAME = {module[:-3]!r}\n"
            names.append(module[:-3])
        else:
            contents[f"{module}/__init__.py"] = f"NAME = {module!r}\n"
            names.append(module)
    contents.update(files or {})
    filename = write_wheel(dest_dir, name, version, contents, requires=list(requires),
                           extras={k: list(v) for k, v in (extras or {}).items()},
                           top_level=names if top_level else None,
                           wheel_tags=tuple(wheel_tags) if wheel_tags else ("py3-none-any",),
                           metadata=metadata)
    return dest_dir / filename


def venv_python(venv: Path) -> Path:
    """The venv's interpreter (``bin/python``, or ``Scripts/python.exe`` on Windows)."""
    windows = venv / "Scripts" / "python.exe"
    return windows if windows.exists() else venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    """The venv's one site-packages folder (found on disk, not by running Python)."""
    found = sorted(venv.glob("lib/python3*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    if not found:
        raise FileNotFoundError(f"{venv} has no site-packages")
    return found[0]


def make_venv(path: Path, python: str | os.PathLike[str] | None = None, with_pip: bool = False) -> Path:
    """Create a venv at ``path`` with ``<python> -m venv`` (``--without-pip`` unless asked: it is fast)."""
    command = [str(python or sys.executable), "-m", "venv"]
    if not with_pip:
        command.append("--without-pip")
    _run([*command, str(path)])
    return path


def _isolated_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
                "PIP_NO_CACHE_DIR": "1", "UV_OFFLINE": "1", "UV_NO_CONFIG": "1",
                "UV_PYTHON_DOWNLOADS": "never", "PYTHONWARNINGS": "ignore"})
    return env


def _run(command: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(command), capture_output=True, text=True, env=_isolated_env(), cwd=cwd,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(command)}\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def _links(find_links: Path | Iterable[Path]) -> list[str]:
    paths = [find_links] if isinstance(find_links, (str, os.PathLike)) else list(find_links)
    args = []
    for path in paths:
        args += ["--find-links", str(path)]
    return args


def pip_install(venv: Path, *reqs: str, find_links: Path | Iterable[Path],
                args: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """``pip --python <venv> install --no-index --find-links <dir> --quiet <reqs>`` with the dev pip.

    ``reqs`` are anything pip accepts (``name==1.0``, a wheel path, ``-e <project dir>``). Raises
    ``RuntimeError`` with pip's output when the install fails.
    """
    return _run([sys.executable, "-m", "pip", "--python", str(venv_python(venv)), "install", "--no-index",
                 *_links(find_links), "--quiet", *args, *reqs])


def pip_check(venv: Path) -> set[str]:
    """The lines ``pip --python <venv> check`` prints (empty when it finds nothing broken)."""
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv_python(venv)), "check"],
                            capture_output=True, text=True, env=_isolated_env(), check=False)
    lines = {line.strip() for line in result.stdout.splitlines() if line.strip()}
    return lines - {"No broken requirements found."}


def uv_executable() -> Path | None:
    """The dev venv's ``uv`` (or one on ``PATH``), or ``None``."""
    here = Path(sys.executable).with_name("uv")
    if here.exists():
        return here
    found = shutil.which("uv")
    return Path(found) if found else None


def uv(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run uv offline (no config files, no Python downloads); raises ``RuntimeError`` on failure."""
    executable = uv_executable()
    if executable is None:
        raise RuntimeError("uv is not installed")
    return _run([str(executable), *args], cwd=cwd)


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def find_pyenv_python(version_prefix: str) -> Path | None:
    """The newest pyenv-installed CPython whose version starts with ``version_prefix`` (``3.12``)."""
    versions = pyenv_root() / "versions"
    candidates = []
    try:
        for entry in versions.iterdir():
            name = entry.name
            if (name == version_prefix or name.startswith(version_prefix + ".")) and \
                    re.fullmatch(r"\d+\.\d+\.\d+", name):
                interpreter = entry / "bin" / "python3"
                if interpreter.exists():
                    candidates.append((tuple(int(p) for p in name.split(".")), interpreter))
    except OSError:
        return None
    return max(candidates)[1] if candidates else None


def make_project(root: Path, name: str, version: str, *, requires: Sequence[str] = (),
                 modules: Sequence[str] | None = None, layout: str = "src", editable_mode: str = "pth",
                 editable_top_level: bool = False) -> Path:
    """A local project that ``pip install -e`` / ``uv pip install -e`` can install offline.

    Its build backend is ``support/pep517_backend.py`` copied in-tree (no setuptools needed). ``layout``
    is ``src`` (packages under ``src/``) or ``flat``; ``editable_mode`` is ``pth`` (a path line, like
    setuptools' static ``.pth``) or ``finder`` (an ``import __editable___x_finder`` line and a finder module
    with a ``MAPPING`` dict, like setuptools' strict/flat mode). ``editable_top_level`` writes
    ``top_level.txt`` into the editable wheel (setuptools does; hatchling does not).
    """
    root.mkdir(parents=True, exist_ok=True)
    modules = list(modules) if modules is not None else [escaped_name(name)]
    source_dir = root / "src" if layout == "src" else root
    for module in modules:
        (source_dir / module).mkdir(parents=True, exist_ok=True)
        (source_dir / module / "__init__.py").write_text(f"NAME = {module!r}\n", encoding="utf-8")
    shutil.copyfile(PEP517_BACKEND, root / "venvsense_test_backend.py")
    (root / CONFIG_FILE).write_text(json.dumps({
        "name": name, "version": version, "requires": list(requires), "modules": modules,
        "source_dir": "src" if layout == "src" else ".", "editable_mode": editable_mode,
        "editable_top_level": editable_top_level}), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        "[build-system]\nrequires = []\nbuild-backend = \"venvsense_test_backend\"\n"
        "backend-path = [\".\"]\n\n"
        f"[project]\nname = \"{name}\"\nversion = \"{version}\"\n", encoding="utf-8")
    return root
