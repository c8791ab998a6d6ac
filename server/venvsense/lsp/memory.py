"""Keeping the server's memory and pauses small: hand freed heap back to the system, freeze long-lived objects."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import linecache
import sys


def release_memory() -> None:
    """Return the heap's free pages to the system (glibc keeps them after a big check otherwise)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def freeze_heap() -> None:
    """Move every object alive now (modules, protocol classes, the start-up index) out of the cyclic garbage
    collector's sight: its full passes would otherwise walk hundreds of thousands of long-lived objects, a
    pause that lands on some keystroke. Objects freed later by reference counting
    still go; only cyclic garbage among them would stay (the reports make none). Also drops the sources
    attrs keeps in ``linecache`` for the methods it generated (lsprotocol's classes) and hands free
    heap pages back."""
    linecache.clearcache()
    gc.collect()
    gc.freeze()
    release_memory()
