"""Where ``uv`` keeps the environment of a PEP 723 script, computed as uv computes it — nothing is run.

``uv run --script`` and ``uv sync --script`` make a script's environment in uv's cache, in the folder
``<cache>/environments-v2/<name>-<digest>`` (uv's ``ScriptInterpreter::root``): ``name`` is the script's file
stem made cache-safe (``cache_name``: lower case, each run of other characters one ``-``, at most 100 bytes,
no trailing ``-``; a stem of hex digits kept as it is), and ``digest`` is uv's ``cache_digest`` of the script's
absolute path: SeaHash of the bytes Rust's ``Path::hash`` feeds a hasher (each component's bytes, the
separators and ``.`` components left out, then a ``usize`` mixing the components' lengths), written as the
hex of the little-endian ``u64``.

The cache is ``$UV_CACHE_DIR``, else ``$XDG_CACHE_HOME/uv``, else ``~/.cache/uv`` (``%LOCALAPPDATA%\\uv\\cache``
on Windows). ``tests/test_scripts_env.py`` checks the name against the real uv.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

BUCKET = "environments-v2"
_MASK = (1 << 64) - 1
_SEEDS = (0x16F11FE89B0D677C, 0xB480A793D8E6C86C, 0x6FE2E5AAF078EBC9, 0x14F994A4C5259381)
_PRIME = 0x6EED0E9DA4D94A4F


def _diffuse(x: int) -> int:
    x = (x * _PRIME) & _MASK
    x ^= (x >> 32) >> (x >> 60)
    return (x * _PRIME) & _MASK


def seahash(data: bytes) -> int:
    """SeaHash (the ``seahash`` crate's ``hash``, which its streaming ``SeaHasher`` equals) of ``data``."""
    lanes = list(_SEEDS)
    lane = 0
    whole = len(data) - len(data) % 8
    for at in range(0, whole, 8):
        lanes[lane] = _diffuse(lanes[lane] ^ int.from_bytes(data[at:at + 8], "little"))
        lane = (lane + 1) & 3
    if whole < len(data):
        lanes[lane] = _diffuse(lanes[lane] ^ int.from_bytes(data[whole:], "little"))
    return _diffuse(lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3] ^ len(data))


def _rotate_right(value: int, bits: int) -> int:
    return ((value >> bits) | (value << (64 - bits))) & _MASK


def path_digest(path: str) -> str:
    """uv's ``cache_digest`` of an absolute path (POSIX form: components split at ``/``)."""
    fed = bytearray()
    mixed = 0
    for part in path.split("/"):
        if not part or part == ".":
            continue
        raw = os.fsencode(part)
        fed += raw
        mixed = _rotate_right((mixed + len(raw)) & _MASK, 2)
    fed += mixed.to_bytes(8, "little")
    return seahash(bytes(fed)).to_bytes(8, "little").hex()


def cache_name(name: str, limit: int = 100) -> str | None:
    """uv's ``cache_name``: a name made safe for a cache entry (``None`` when nothing is left)."""
    if name and all(c in "0123456789abcdef" for c in name):
        return name[:limit]
    out: list[str] = []
    dash = False
    for byte in name.encode("utf-8")[:limit]:
        char = chr(byte)
        if char.isascii() and char.isalnum():
            out.append(char.lower())
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    text = "".join(out)
    if text.endswith("-"):
        text = text[:-1]
    return text or None


def uv_cache_dir(environ: Mapping[str, str]) -> Path:
    """uv's cache folder for this environment (``UV_CACHE_DIR``, ``XDG_CACHE_HOME``, the home's ``.cache``)."""
    configured = environ.get("UV_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().absolute()
    if os.name == "nt":  # pragma: no cover - Windows
        local = environ.get("LOCALAPPDATA", "").strip()
        return Path(local) / "uv" / "cache" if local else Path.home() / "AppData" / "Local" / "uv" / "cache"
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "uv"
    home = environ.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".cache" / "uv"


def script_environment_path(script: Path, environ: Mapping[str, str]) -> Path:
    """The folder uv makes (or made) for ``script``'s environment (it may not exist)."""
    absolute = str(script.absolute())  # as Rust's `std::path::absolute`: `..` kept, links not resolved
    digest = path_digest(absolute.replace(os.sep, "/"))
    name = cache_name(Path(absolute).stem)
    return uv_cache_dir(environ) / BUCKET / (f"{name}-{digest}" if name else digest)
