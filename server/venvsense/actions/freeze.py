"""Writing what ``venvsense freeze`` computed (``rules.freeze``) to a requirements file: a new file is created
exclusively (``O_EXCL``: an existing file, or a link, at that path is never written through); an existing
file is replaced only when the person named it (``overwrite``), atomically (a temporary file beside it, renamed
over it), and the caller says so."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class FileExists(Exception):
    """The target exists and the person did not name it: a sentence for them."""


def write_requirements(path: Path, text: str, *, overwrite: bool = False) -> bool:
    """Write ``text`` to ``path``; whether a file was replaced. Raises ``FileExists`` when ``path`` exists and
    ``overwrite`` is false, ``OSError`` when it cannot be written."""
    data = text.encode("utf-8")
    if not overwrite:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise FileExists(f"{path} exists: venvsense freeze does not overwrite it (name it with --output to "
                             "replace it, or --output - to print)") from None
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return False
    existed = os.path.lexists(path)
    mode = 0o644
    if existed and not os.path.islink(path):
        mode = os.stat(path).st_mode & 0o777
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".venvsense-new", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return existed
