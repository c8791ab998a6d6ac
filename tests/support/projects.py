"""Small real projects for behaviour tests: files written into a folder, a real venv filled from a local wheel
folder, and the real CLI's JSON findings for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.wheels import pip_install

ProjectMaker = Callable[..., Path]


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def findings(root: Path, *args: str, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    """The findings of ``venvsense check ROOT --format json`` run as a process (no VIRTUAL_ENV, no disk cache)."""
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    environ.update(env or {})
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(root), "--format", "json", *args],
                            capture_output=True, text=True, env=environ, check=False)
    assert result.returncode in (0, 1), result.stderr
    return [f for p in json.loads(result.stdout)["projects"] for f in p["findings"]]


def project_maker(folder: Path, venv_factory: Callable[..., Path], wheels: Path) -> ProjectMaker:
    """``make(files, installs=(), venv=True)``: the project in ``folder`` with a ``.venv`` holding ``installs``
    (from ``wheels``, without their dependencies)."""

    def make(files: dict[str, str], installs: tuple[str, ...] = (), venv: bool = True) -> Path:
        root = write(folder, files)
        if venv:
            made = venv_factory(".venv", parent=root)
            if installs:
                pip_install(made, *installs, find_links=wheels, args=("--no-deps",))
        return root

    return make


def module_of(finding: dict[str, object]) -> str:
    """The module an import finding is about (its message names it first, quoted)."""
    return str(finding["message"]).split("'")[1]
