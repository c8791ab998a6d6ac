"""Keeping the server's memory and pauses small: hand freed heap back to the system, freeze long-lived objects."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import linecache
import sys
import types
from collections.abc import Iterator
from typing import Any

GENERATED = "<attrs generated"  # the file name attrs compiles each class's methods under
PROTOCOL_PACKAGES = ("lsprotocol", "pygls")  # where the server's attrs classes are (1,700 generated methods)
_compacted: list[int] = []  # what ``compact_generated_methods`` did, once it ran


def release_memory() -> None:
    """Return the heap's free pages to the system (glibc keeps them after a big check otherwise)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def single_malloc_arena() -> None:
    """One glibc malloc arena for every thread (as ``MALLOC_ARENA_MAX=1``), set before the server starts any:
    the checks run in a worker thread, whose own arena keeps what a cold check freed mapped where
    ``malloc_trim`` rarely gives it back (~3 MB after a cold check of a 4,000-module project). The threads
    hold the GIL while they allocate anyway. A no-op off glibc."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 1)


def freeze_heap() -> None:
    """Move every object alive now (modules, protocol classes, the start-up index) out of the cyclic garbage
    collector's sight: its full passes would otherwise walk hundreds of thousands of long-lived objects, a
    pause that lands on some keystroke. Objects freed later by reference counting
    still go; only cyclic garbage among them would stay (the reports make none). Also drops the sources
    attrs keeps in ``linecache`` for the methods it generated (lsprotocol's classes) and hands free
    heap pages back. Before that, the methods attrs generated get globals of their own size
    (``compact_generated_methods``)."""
    linecache.clearcache()
    if not _compacted:  # the protocol's classes are all defined at start-up
        _compacted.append(compact_generated_methods())
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


def _global_names(code: types.CodeType) -> set[str]:
    """The names ``code`` and the functions nested in it may look up in their globals."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def compact_generated_methods(packages: tuple[str, ...] = PROTOCOL_PACKAGES) -> int:
    """Give each method attrs generated (``__init__``, ``__eq__``, ``__repr__`` of lsprotocol's ~560 classes)
    globals holding only the names its code reads, instead of the copy of its whole module's namespace attrs
    gives each class (~375 entries, ~5 MB for lsprotocol alone). The new function has the same code, defaults,
    closure and attributes, so it behaves the same; equal globals are shared. How many methods were
    replaced (none the second time). ``packages``: the modules (and their submodules) whose classes are
    compacted."""
    shared: dict[tuple[tuple[str, int], ...], dict[str, Any]] = {}
    replaced = 0
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if module_name.split(".")[0] not in packages or not isinstance(namespace, dict):
            continue
        for cls in list(namespace.values()):
            if not isinstance(cls, type) or "__attrs_attrs__" not in cls.__dict__:
                continue
            for name, method in list(cls.__dict__.items()):
                if not isinstance(method, types.FunctionType) or \
                        not method.__code__.co_filename.startswith(GENERATED):
                    continue
                old = method.__globals__
                needed = {key: old[key] for key in sorted(_global_names(method.__code__)) if key in old}
                needed["__builtins__"] = old.get("__builtins__", __builtins__)
                key = tuple((item, id(value)) for item, value in needed.items())
                globals_ = shared.setdefault(key, needed)
                if len(globals_) >= len(old):
                    continue
                function = types.FunctionType(method.__code__, globals_, method.__name__, method.__defaults__,
                                              method.__closure__)
                function.__kwdefaults__ = method.__kwdefaults__
                function.__qualname__ = method.__qualname__
                function.__module__ = method.__module__
                function.__doc__ = method.__doc__
                function.__annotations__ = method.__annotations__
                function.__dict__.update(method.__dict__)
                setattr(cls, name, function)
                replaced += 1
    return replaced
