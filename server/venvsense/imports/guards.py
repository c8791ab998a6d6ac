"""Availability guards: an ``if``/``elif`` whose body runs only when some module could be imported.

Libraries import an optional dependency where they have checked it is there::

    if _NUMPY_AVAILABLE:                    # lightning: a flag computed once (RequirementCache, find_spec)
        import numpy as np
    if is_torch_available():                # transformers, diffusers, accelerate
        import torch
    if importlib.util.find_spec("rich") is not None:
        import rich
    try:
        import markdown
    except ImportError:
        markdown = None
    if markdown is not None and pygments is not None:   # Django REST framework
        from markdown.preprocessors import Preprocessor

An import in such a body is optional as one inside ``try/except ImportError`` is: the code runs without it.
``availability_guard`` reads the condition of the header: a conjunction (``and``) of which at least one term is
such a test, never under ``not``/``or`` (their bodies run when the module is missing, or maybe missing). The
tests read: a flag named like one (``HAS_X``, ``X_AVAILABLE``, ``_has_x``, ``x_installed``, dotted or not), a call
without arguments of ``is_*_available``/``*_available``, a ``find_spec``/``module_available``/
``package_available``/``RequirementCache`` call (compared ``is not None`` or not), ``'m' in sys.modules``, and a
name that an optional import of the same file bound (``bound``), bare or ``is not None``.
"""

from __future__ import annotations

from collections.abc import Callable

from venvsense.text import lazy_pattern

__all__ = ["availability_guard", "condition_text", "header_guard"]

_MAX_CONDITION = 500
# words without one of which an `if` condition is no availability test (a cheap look before reading it)
_GUARD_WORDS = ("vailab", "VAILAB", "has_", "HAS_", "Has", "nstalled", "NSTALLED", "find_spec", "RequirementCache",
                " None", "sys.modules")
# a flag: HAS_NUMPY, _NUMPY_AVAILABLE, numpy_available, _has_numpy, yaml_installed (any case), dotted or not
_FLAG = lazy_pattern(
    r"(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?i:_*has_[A-Za-z0-9_]+|[A-Za-z0-9_]*_available|[A-Za-z0-9_]*_installed)")
_PROBE_CALL = lazy_pattern(
    r"(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:is_[A-Za-z0-9_]+_available|[A-Za-z0-9_]+_available)\(\s*\)"
    r"|(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:find_spec|module_available|package_available|RequirementCache)\("
    r"""\s*(?:[rRuU]?(?:'[^'\n\\]*'|"[^"\n\\]*"))\s*\)""")
_NOT_NONE = lazy_pattern(r"(?P<subject>.+?)\s+is\s+not\s+None")
# `'sphinx' in sys.modules`: imported already (seaborn's Sphinx-only code)
_IN_MODULES = lazy_pattern(r"""[rRuU]?(?:'[\w.]+'|"[\w.]+")\s+in\s+sys\.modules""")
_NAME = lazy_pattern(r"[A-Za-z_][A-Za-z0-9_]*")
_SPLIT_AND = lazy_pattern(r"\s+and\s+")


def header_guard(text: str, position: int, keyword: str, bound: Callable[[], set[str]]) -> bool:
    """Whether the ``if``/``elif`` header whose keyword starts at ``position`` tests that a module is there;
    ``bound``: the names optional imports bound so far (asked only for a bare name or an ``is not None``)."""
    colon = text.find(":", position, position + _MAX_CONDITION)
    if colon < 0:
        return False
    segment = text[position + len(keyword):colon]
    bare = segment.strip(" \t\f").isidentifier()
    if not bare and not any(word in segment for word in _GUARD_WORDS):
        return False
    condition = condition_text(text, position, keyword)
    if condition is None:
        return False
    return availability_guard(condition, bound() if bare or " None" in segment else frozenset())


def condition_text(text: str, position: int, keyword: str) -> str | None:
    """The condition of the ``if``/``elif`` header whose keyword starts at ``position``: the text up to its
    ``:`` on the same line (line continuations joined, a parenthesised condition unwrapped once), ``None`` for
    anything longer or harder (a comment, brackets across lines)."""
    start = position + len(keyword)
    end = text.find(":", start, start + _MAX_CONDITION)
    if end < 0:
        return None
    condition = text[start:end].replace("\\\n", " ")
    if "\n" in condition or "#" in condition or condition.count("'") % 2 or condition.count('"') % 2:
        return None  # (a `:` inside a string cut it short)
    condition = condition.strip()
    while condition.startswith("(") and condition.endswith(")") and _balanced(condition[1:-1]):
        condition = condition[1:-1].strip()
    return condition if _balanced(condition) else None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def availability_guard(condition: str, bound: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether an ``if`` with this condition (``condition_text``) runs its body only when some module can be
    imported (see the module's text)."""
    if " or " in condition or "lambda" in condition:
        return False
    return any(_test(term.strip(), bound) for term in _SPLIT_AND().split(condition))


def _test(term: str, bound: frozenset[str] | set[str]) -> bool:
    if term.startswith("not ") or term.startswith("not("):
        return False
    match = _NOT_NONE().fullmatch(term)
    subject = match.group("subject").strip() if match else term
    if _PROBE_CALL().fullmatch(subject) or _IN_MODULES().fullmatch(term):
        return True
    if match is None and _FLAG().fullmatch(subject):
        return True
    return bool(bound) and _NAME().fullmatch(subject) is not None and subject in bound
