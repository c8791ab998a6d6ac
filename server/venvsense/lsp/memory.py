"""Keeping the server's memory and pauses small: hand freed heap back to the system, freeze long-lived objects."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import linecache
import sys
from collections.abc import Iterator


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


@contextlib.contextmanager
def openssl_deferred() -> Iterator[None]:
    """While the server's modules are imported: ``hashlib`` on Python's built-in digests (md5, sha1, sha2, sha3,
    blake2) rather than OpenSSL's, and ``asyncio`` without TLS (the server speaks stdio or plain TCP). Loading and
    initialising libcrypto and libssl costs the server ~4.5 MB of RSS it never needs at start. Once the block
    is lifted ``import ssl`` works as ever: the index client's HTTPS loads OpenSSL on its first request. A name
    already imported (the process loaded OpenSSL before) is left as it is."""
    blocked = [name for name in ("_hashlib", "_ssl") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # ``import`` raises ImportError: the fallbacks run
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
