"""Virtual environments, read statically: discovery, ``pyvenv.cfg``, site-packages and installed distributions.

Nothing here runs the environment's interpreter: everything is read from files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Source = Literal["configured", "in-project", "VIRTUAL_ENV"]
IN_PROJECT_NAMES = (".venv", "venv", "env", ".env")


@dataclass(frozen=True)
class PyvenvConfig:
    """The keys of ``pyvenv.cfg`` venvsense uses; ``raw`` holds every key as read (lower-cased keys)."""

    home: str | None
    version: str | None  # "3.11.7" from version / version_info
    include_system_site_packages: bool
    uv: str | None
    prompt: str | None
    raw: dict[str, str]


@dataclass(frozen=True)
class Distribution:
    """One installed distribution, from its ``*.dist-info`` / ``*.egg-info`` metadata.

    ``modules`` are the top-level import names it provides (``top_level.txt``, else derived from
    ``RECORD``; for editable installs also from the ``.pth`` / finder mapping). ``requires`` are the raw
    ``Requires-Dist`` strings; ``extras`` the ``Provides-Extra`` names (normalized).
    ``metadata_path`` is the ``.dist-info`` / ``.egg-info`` / ``.egg-link`` path it was read from.
    ``problem`` is set when the metadata was unreadable or incomplete (the distribution is still listed
    when at least a name could be determined).
    """

    name: str
    normalized: str
    version: str
    requires: tuple[str, ...]
    extras: tuple[str, ...]
    modules: tuple[str, ...]
    editable: bool
    metadata_path: Path
    installer: str | None = None
    requested: bool | None = None  # PEP 376 REQUESTED file present (installed by hand vs as a dependency)
    problem: str | None = None


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


@dataclass(frozen=True)
class Installed:
    """The distributions installed in an environment, by normalized name.

    ``duplicates`` lists normalized names found more than once (two metadata folders for one name):
    ``distributions`` keeps the one with the highest version, as the import system would usually see.
    ``skipped`` lists (path, reason) for metadata that could not be read at all.
    """

    distributions: dict[str, Distribution]
    duplicates: dict[str, tuple[Distribution, ...]] = field(default_factory=dict)
    skipped: tuple[tuple[Path, str], ...] = ()
