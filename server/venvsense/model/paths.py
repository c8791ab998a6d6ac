"""How paths are shown to people: relative to a project or the working folder when they are inside it."""

from __future__ import annotations

import os
from pathlib import Path


def relative_path(path: Path, base: Path, *, climb: bool = False) -> str:
    """``path`` relative to ``base`` when it is inside it; otherwise with ``..`` steps when ``climb`` (and
    possible: another drive is not), else as it is."""
    # (the usual case by string arithmetic: a path under ``base`` is ``base``'s text, a separator and the rest —
    # what ``relative_to`` answers, at a tenth of its cost, once per finding; anything else is asked of it)
    text, folder = str(path), str(base)
    if len(text) > len(folder) + 1 and text.startswith(folder) and text[len(folder)] == os.sep \
            and not folder.endswith(os.sep):
        return text[len(folder) + 1 :]
    try:
        return str(path.relative_to(base))
    except ValueError:
        if climb:
            try:
                return os.path.relpath(path, base)
            except ValueError:
                pass
        return str(path)
