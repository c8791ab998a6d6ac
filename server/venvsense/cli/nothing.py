"""``venvsense check`` of folders that hold nothing: the report the engine would give, without importing it.

An empty folder is a project with no manifest, no module and no venv; when nothing around it lends it a venv
(no ``--venv``, no ``$VIRTUAL_ENV``, no venv in a folder above it that ``environment.discovery`` would take), its
report is known before anything is read: no environment, no findings. Starting the engine costs ten times what
this answer does (``benchmarks/README.md``, start-up), so ``check`` gives it from here; anything else — a folder
holding a single entry, a colour or a ``--select`` to honour — goes to the engine. ``tests/test_cli_output.py``
holds this answer equal, byte for byte, to the engine's for the same folders.

Only ``os`` and ``json`` (when asked for) are imported here: the constants below are the engine's
(``environment.discovery.IN_PROJECT_NAMES``, ``cli.output.SCHEMA``), and the tests check they stay equal.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence
    from typing import TextIO

IN_PROJECT_NAMES = (".venv", "venv", "env", ".env")
SCHEMA = 1


def empty_roots(paths: Sequence[str], environ: Mapping[str, str]) -> list[str] | None:
    """The project roots of ``paths`` when each names an empty folder that no venv around it serves; else
    ``None`` (the engine decides)."""
    if environ.get("VIRTUAL_ENV", "").strip():
        return None
    roots: list[str] = []
    for raw in paths or ["."]:
        root = os.path.realpath(raw)
        try:
            with os.scandir(root) as entries:
                if next(entries, None) is not None:
                    return None
        except OSError:  # not a folder, not readable: the engine says what is wrong
            return None
        if _venv_above(root):
            return None
        roots.append(root)
    return roots


def _venv_above(root: str) -> bool:
    """Whether a folder above ``root`` that ``tree.folders_above`` gives holds one of the in-project venvs."""
    home = os.path.expanduser("~")
    folder = root
    if os.path.exists(os.path.join(folder, ".git")):
        return False
    while True:
        parent = os.path.dirname(folder)
        if parent in (folder, home) or _is_above(parent, home):
            return False
        folder = parent
        if any(os.path.isfile(os.path.join(folder, name, "pyvenv.cfg")) for name in IN_PROJECT_NAMES):
            return True
        if os.path.exists(os.path.join(folder, ".git")):
            return False


def _is_above(folder: str, home: str) -> bool:
    return home.startswith(folder.rstrip(os.sep) + os.sep)


def shown_root(root: str, cwd: str) -> str:
    """How ``cli.output.shown_path`` shows a project root: relative to ``cwd`` (``..`` steps when close by), else
    absolute with the home folder as ``~``."""
    if root == cwd:
        return "."
    try:
        shown = os.path.relpath(root, cwd)
    except ValueError:  # another drive
        shown = root
    if shown.count("..") <= 2 and not os.path.isabs(shown):
        return shown
    home = os.path.expanduser("~")
    return "~" + root[len(home):] if home not in ("", "/") and root.startswith(home + os.sep) else root


def write_empty(roots: list[str], args: argparse.Namespace, out: TextIO) -> bool:
    """Write ``check``'s report of the empty ``roots`` in the format asked for; ``False`` (nothing written) when
    the options ask for something only the engine does."""
    if args.select or args.ignore or args.venv:
        return False
    if args.format == "json":
        import json

        projects: list[dict[str, object]] = [{"root": root, "environment": None, "findings": []} for root in roots]
        json.dump({"schema": SCHEMA, "projects": projects}, out, indent=2)
        out.write("\n")
    elif args.format == "text":
        if args.color == "always" or (args.color == "auto" and (_terminal(out) or os.environ.get("FORCE_COLOR"))):
            return False
        cwd = os.getcwd()
        for index, root in enumerate(roots):
            out.write(("\n" if index else "") + f"{shown_root(root, cwd)} (no virtual environment)\n"
                      "  ok       no problems found\n")
        out.write(f"\nno problems in {len(roots):,} project{'s' if len(roots) != 1 else ''}\n")
    return True


def _terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
