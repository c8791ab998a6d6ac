"""How paths are shown to people: relative to a project or the working folder when they are inside it."""

from __future__ import annotations

import os
from pathlib import Path


def relative_path(path: Path, base: Path, *, climb: bool = False) -> str:
    """``path`` relative to ``base`` when it is inside it; otherwise with ``..`` steps when ``climb`` (and
    possible: another drive is not), else as it is."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        if climb:
            try:
                return os.path.relpath(path, base)
            except ValueError:
                pass
        return str(path)
