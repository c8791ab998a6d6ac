"""Gates: the Python version or platform an import runs on, read from the simple ``if``/``elif``/``else``
conditions around it, and whether a gate holds for a given Python and platform.

A gate is a short string, a conjunction of conditions joined by ``&``; each condition is ``v<op><n>,<n>…``
(``sys.version_info <op> (n, n…)``; ``v2<op>…`` for ``sys.version_info[:2]``), ``m<op><n>``
(``sys.version_info[0] <op> n``), ``p=<name>`` / ``p^<prefix>`` (``sys.platform == name`` /
``sys.platform.startswith(prefix)``), with a leading ``!`` for its negation (``else``, ``elif``, ``!=``, ``not``).
Only these simple forms are read: any other condition gates nothing.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from venvsense.text import lazy_pattern

_GAP = r"(?:[ \t\f]|\\\n)*"
_STRING = r"""(?P<q>['"])(?P<s>[A-Za-z0-9_.\-]*)(?P=q)"""
# compiled on first use: a warm check reads no `if` header, and the pattern is the engine's costliest
_CONDITION = lazy_pattern(
    rf"(?:el)?if{_GAP}(?P<not>not\b{_GAP})?(?P<paren>\({_GAP})?sys{_GAP}\.{_GAP}(?:"
    rf"version_info{_GAP}(?:\[{_GAP}(?P<index>0|:{_GAP}[1-3]|0{_GAP}:{_GAP}[1-3]){_GAP}\]{_GAP})?"
    rf"(?P<vop><=|>=|==|!=|<|>){_GAP}"
    rf"(?:\({_GAP}(?P<tuple>\d+(?:{_GAP},{_GAP}\d+)*){_GAP},?{_GAP}\)|(?P<number>\d+))"
    rf"|platform{_GAP}(?:(?P<pop>==|!=){_GAP}{_STRING}"
    rf"|\.{_GAP}startswith{_GAP}\({_GAP}(?P<pq>['\"])(?P<prefix>[A-Za-z0-9_.\-]*)(?P=pq){_GAP}\)))"
    rf"{_GAP}(?(paren)\){_GAP}):"
)
_OPERATORS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
    "!=": operator.ne,
}
_ATOM = lazy_pattern(
    r"(?P<not>!)?(?:(?P<kind>[vm])(?P<length>[1-3]?)(?P<op><=|>=|==|!=|<|>)(?P<value>[\d,]+)|p(?P<how>[=^])(?P<name>.*))"
)


def condition_at(text: str, position: int) -> str | None:
    """The condition of the ``if``/``elif`` header at ``position`` as a gate atom, when it is one of the simple
    forms; else ``None``."""
    match = _CONDITION().match(text, position)
    if match is None:
        return None
    negated = match.group("not") is not None
    vop = match.group("vop")
    if vop is not None:
        index = match.group("index")
        numbers = match.group("tuple")
        if index == "0":
            if numbers is not None or match.group("number") is None:
                return None
            atom = f"m{vop}{match.group('number')}"
        else:
            if numbers is None:
                return None
            length = index[-1] if index else ""
            atom = "v" + length + vop + ",".join(re.findall(r"\d+", numbers))
    elif match.group("pop") is not None:
        atom = f"p={match.group('s')}"
        negated ^= match.group("pop") == "!="
    else:
        atom = f"p^{match.group('prefix')}"
    return f"!{atom}" if negated else atom


def negated(atom: str) -> str:
    return atom[1:] if atom.startswith("!") else f"!{atom}"


def _atom_holds(atom: str, version: tuple[int, ...], platform: str) -> bool:
    match = _ATOM().fullmatch(atom)
    if match is None:
        return True  # unreadable: it gates nothing
    kind = match.group("kind")
    if kind is not None:
        compare = _OPERATORS[match.group("op")]
        wanted = tuple(int(n) for n in match.group("value").split(",") if n)
        length = int(match.group("length") or 0) if kind == "v" else 1
        held = compare(version[:length] if length else version, wanted[:1] if kind == "m" else wanted)
    elif match.group("how") == "=":
        held = platform == match.group("name")
    else:
        held = platform.startswith(match.group("name"))
    return held != (match.group("not") is not None)


def gate_holds(gate: str, version: tuple[int, ...] | None, platform: str) -> bool:
    """Whether an import with ``gate`` can run on Python ``version`` (major, minor, micro; ``None``: unknown, so
    version conditions hold) on ``platform`` (``sys.platform``'s value there)."""
    if not gate:
        return True
    for atom in gate.split("&"):
        if version is None and atom.lstrip("!")[:1] in ("v", "m"):
            continue
        if not _atom_holds(atom, version or (), platform):
            return False
    return True
