"""A venv folder read statically: ``pyvenv.cfg``, whether its base interpreter still exists, its site-packages."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

Source = Literal["configured", "in-project", "enclosing-project", "VIRTUAL_ENV", "uv-script", "script-venv"]


class PyvenvConfig(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """The keys of ``pyvenv.cfg`` venvsense uses; ``raw`` holds every key as read (lower-cased keys)."""

    home: str | None
    version: str | None  # "3.11.7" from version / version_info
    include_system_site_packages: bool
    uv: str | None
    prompt: str | None
    raw: dict[str, str]


@dataclass(frozen=True)
class Environment:
    """A virtual environment found for a project.

    ``problems`` lists, as sentences, why the venv is unusable (VS104): an unreadable ``pyvenv.cfg``, a
    missing base interpreter (``home``), no site-packages. ``python`` is the full version from
    ``pyvenv.cfg`` when known.
    """

    path: Path
    source: Source
    config: PyvenvConfig | None
    python: str | None
    site_packages: tuple[Path, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """How messages refer to the venv: its folder name (``.venv``)."""
        return self.path.name


VERSION_PATTERN = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?((?:a|b|rc)\d+)?")


def parse_pyvenv_cfg(text: str) -> PyvenvConfig:
    """Read ``pyvenv.cfg`` the way ``site.py`` does: ``key = value`` lines, anything else ignored."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if not separator:
            continue
        key = key.strip().lower()
        if key:
            raw[key] = value.strip()
    version = None
    for key in ("version", "version_info"):
        match = VERSION_PATTERN.match(raw.get(key, ""))
        if match:
            major, minor, micro, pre = match.groups()
            version = f"{major}.{minor}" + (f".{micro}" if micro is not None else "") + (pre or "")
            break
    return PyvenvConfig(
        home=raw.get("home") or None,
        version=version,
        include_system_site_packages=raw.get("include-system-site-packages", "").lower() == "true",
        uv=raw.get("uv") or None,
        prompt=raw.get("prompt") or None,
        raw=raw,
    )


def read_environment(path: Path, source: Source) -> Environment:
    """Read a venv folder: ``pyvenv.cfg``, whether its base interpreter still exists, its site-packages.

    Never raises: whatever makes the venv unusable is listed in ``problems`` (VS104).
    """
    problems: list[str] = []
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as error:
        exists = is_dir = False
        problems.append(f"{path} cannot be read ({error.strerror or error}).")
    if not exists:
        if not problems:
            problems.append(f"{path} does not exist.")
        return Environment(path, source, None, None, (), tuple(problems))
    if not is_dir:
        problem = f"{path} is a file, not a virtual environment folder."
        return Environment(path, source, None, None, (), (problem,))

    config = _read_config(path / "pyvenv.cfg", problems)
    if config is not None:
        problems.extend(_home_problems(config))
    python = config.version if config else None
    site_packages = find_site_packages(path, python)
    if not site_packages:
        where = _expected_site_packages(path, python)
        looked = (", ".join(str(p.relative_to(path)) for p in where) if where
                  else "lib/python3.*/site-packages")
        problems.append(f"{path.name} has no site-packages folder (looked for {looked}).")
    return Environment(path, source, config, python, tuple(site_packages), tuple(problems))


def _read_config(cfg: Path, problems: list[str]) -> PyvenvConfig | None:
    try:
        mode = os.stat(cfg).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a FIFO or a device would block or never end
            problems.append("pyvenv.cfg is not a regular file, so it was not read.")
            return None
        with open(cfg, "rb") as handle:
            data = handle.read(1 << 20)  # a real one is a few hundred bytes
    except FileNotFoundError:
        problems.append(f"{cfg.parent.name} has no pyvenv.cfg, so it is not a virtual environment "
                        "(or its creation was interrupted).")
        return None
    except OSError as error:
        problems.append(f"pyvenv.cfg cannot be read ({error.strerror or error}).")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"pyvenv.cfg is not valid UTF-8 (byte {error.start}); Python may fail to start.")
        text = data.decode("utf-8", errors="replace")
    config = parse_pyvenv_cfg(text.removeprefix("\ufeff").replace("\x00", ""))
    if not config.raw:
        problems.append("pyvenv.cfg has no `key = value` lines, so the base interpreter is unknown.")
    elif config.home is None:
        problems.append("pyvenv.cfg has no `home` line, so the base interpreter is unknown.")
    return config


def _home_problems(config: PyvenvConfig) -> list[str]:
    """The base interpreter named by ``home`` must still be there (a removed pyenv version breaks venvs)."""
    if config.home is None:
        return []
    home = Path(config.home)
    version = f" {config.version}" if config.version else ""
    try:
        if not home.is_dir():
            return [f"its base interpreter is gone: pyvenv.cfg `home` is {home}, which no longer exists "
                    f"(was Python{version} uninstalled?); recreate the environment."]
        names = {entry.name.lower() for entry in os.scandir(home)}
    except OSError as error:
        return [f"its base interpreter's folder {home} cannot be read ({error.strerror or error})."]
    if not any(name.startswith("python") or name.startswith("pypy") for name in names):
        return [f"its base interpreter is gone: pyvenv.cfg `home` is {home}, which holds no Python "
                "executable; recreate the environment."]
    return []


def _expected_site_packages(venv: Path, python: str | None) -> list[Path]:
    if python is None:
        return []
    major_minor = ".".join(python.split(".")[:2])
    return [venv / lib / f"python{major_minor}{suffix}" / "site-packages"
            for lib in ("lib", "lib64") for suffix in ("", "t")]


def find_site_packages(venv: Path, python: str | None) -> list[Path]:
    """The venv's site-packages folders that exist (POSIX ``lib[64]/pythonX.Y[t]``, Windows ``Lib``).

    With an unknown version (or none of the expected folders present), ``lib/python3.*`` is searched.
    ``lib64`` is usually a symlink to ``lib``: a folder is listed once.
    """
    candidates = _expected_site_packages(venv, python)
    candidates.append(venv / "Lib" / "site-packages")
    found = _existing_unique(candidates)
    if not any(p.parent.parent.name in ("lib", "lib64") for p in found):
        globbed: list[Path] = []
        for lib in ("lib", "lib64"):
            try:
                globbed.extend(sorted((venv / lib).glob("python3*/site-packages")))
                globbed.extend(sorted((venv / lib).glob("pypy3*/site-packages")))
            except OSError:
                continue
        found = _existing_unique([*found, *globbed])
    return found


def _existing_unique(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for path in paths:
        try:
            if not path.is_dir():
                continue
            stat = path.stat()
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key not in seen:
            seen.add(key)
            found.append(path)
    return found
