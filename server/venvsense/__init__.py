"""venvsense: keeps every Python project honest about its virtual environment.

The engine (everything but ``cli``, ``actions`` and ``lsp``) reads files only: it never starts a process
and never imports code from a project or its environment.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__version__ = "0.1.0"
# a file changed this recently may change again within its mtime's granularity unseen: no cache keeps it by
# its (mtime, size) stamp (scans, folder listings, lock models, the memo of ``check``)
RACY_NS = 2_000_000_000


def user_cache_folder(environ: Mapping[str, str]) -> str | None:
    """Where venvsense keeps its caches (the CLI's scans, lock models, the memo of ``check``):
    ``$VENVSENSE_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/venvsense``, else ``~/.cache/venvsense``
    (``%LOCALAPPDATA%\\venvsense\\Cache`` on Windows); ``None`` when caching is off. Here, importing nothing: the
    memo's hit path reads it before the engine is (or is not) imported."""
    import os
    import sys

    configured = environ.get("VENVSENSE_CACHE_DIR")
    if configured is not None:
        return configured if configured.strip() else None
    if sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        return os.path.join(environ["LOCALAPPDATA"], "venvsense", "Cache")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "venvsense") if os.path.isabs(base) else None
