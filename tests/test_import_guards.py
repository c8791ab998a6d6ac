"""Availability guards (``imports.guards``): an ``if`` whose body runs only when a module could be imported makes
the imports in it optional, as ``try/except ImportError`` does — lightning's ``if _NUMPY_AVAILABLE:``,
transformers' ``if is_torch_available():``, Django REST framework's ``if markdown is not None:`` after an optional
``import markdown``; and the ``else:`` of a ``try`` whose handler catches ``ImportError`` runs only when the
``try``'s imports worked (requests' ``help.py``)."""

from __future__ import annotations

import pytest

from venvsense.imports.guards import availability_guard, condition_text


@pytest.mark.parametrize(("condition", "bound", "guard"), [
    ("_NUMPY_AVAILABLE", (), True),
    ("HAS_YAML", (), True),
    ("utils.HAS_YAML", (), True),
    ("_has_numpy and x > 1", (), True),
    ("numpy_installed", (), True),
    ("is_torch_available()", (), True),
    ("utils.is_torch_available() and is_vision_available()", (), True),
    ("_module_available()", (), True),
    ("importlib.util.find_spec('rich') is not None", (), True),
    ("find_spec(\"rich\")", (), True),
    ("RequirementCache('numpy')", (), True),
    ("markdown is not None and pygments is not None", ("markdown",), True),
    ("markdown", ("markdown",), True),
    ("'sphinx' in sys.modules", (), True),
    ("'sphinx' not in sys.modules", (), False),
    # not guards: negations, alternatives, other calls, names no optional import bound
    ("not _NUMPY_AVAILABLE", (), False),
    ("markdown is None", ("markdown",), False),
    ("_NUMPY_AVAILABLE or x", (), False),
    ("has_permission(user)", (), False),
    ("is_torch_available(strict)", (), False),
    ("DEBUG", (), False),
    ("markdown is not None", (), False),
    ("settings.USE_TZ", (), False),
    ("sys.version_info >= (3, 11)", (), False),
])
def test_an_availability_test_is_a_guard(condition: str, bound: tuple[str, ...], guard: bool) -> None:
    assert availability_guard(condition, frozenset(bound)) is guard


@pytest.mark.parametrize(("source", "condition"), [
    ("if _X_AVAILABLE:\n", "_X_AVAILABLE"),
    ("if (a is not None and\n    b):\n", None),  # brackets across lines: not read
    ("if (HAS_X):\n", "HAS_X"),
    ("if x == 'a:b':\n", None),
    ("if HAS_X \\\n   and y:\n", "HAS_X     and y"),
    ("if HAS_X:  # comment: with a colon\n", "HAS_X"),
])
def test_the_condition_of_a_header(source: str, condition: str | None) -> None:
    assert condition_text(source, 0, "if") == condition


_TRY_ELSE = """\
try:
    from urllib3.contrib import pyopenssl
except ImportError:
    pyopenssl = None
else:
    import cryptography
    import OpenSSL
import json
"""
_LOOP_ELSE = """\
try:
    import fast
except ImportError:
    fast = None
for x in y:
    pass
else:
    import plain
"""
_IF_ELSE = """\
try:
    import fast
except ImportError:
    fast = None
if x:
    pass
else:
    import plain
"""
_NOT_IMPORT_ERROR = """\
try:
    import a
except ValueError:
    pass
else:
    import b
"""
_FLAGS = """\
from lightning_utilities import RequirementCache
_NUMPY_AVAILABLE = RequirementCache("numpy")
if _NUMPY_AVAILABLE:
    import numpy as np
else:
    import array
if not _NUMPY_AVAILABLE:
    import fallback_numpy
if is_torch_available() and HAS_VISION:
    from torch import nn

    def f():
        import torchvision
if DEBUG:
    import pdb


def seed(state):
    if _NUMPY_AVAILABLE and "numpy" in state:
        import numpy
"""
_BOUND = """\
try:
    import markdown
except ImportError:
    markdown = None
try:
    import pygments
except ImportError:
    pygments = None

if markdown is not None and pygments is not None:
    import re

    from markdown.preprocessors import Preprocessor
if markdown is None:
    import other
"""
_ALIAS = """\
try:
    import numpy as np
except ImportError:
    np = None
try:
    from yaml import CSafeLoader as Loader, dump
except ImportError:
    Loader = None
if np is not None:
    import numpy.linalg
if Loader:
    from yaml import cyaml
if dump is not None:
    import yaml.representer
"""
_IN_BRACKETS = """\
values = [
    x
    if HAS_X
    else y
]
import after
"""


def _optional(source: str, careful: bool) -> dict[str, bool]:
    from venvsense.imports import scan_source
    from venvsense.imports.lexer import scan_careful

    scan = (scan_careful if careful else scan_source)(source)
    assert scan.error is None
    return {statement.module: statement.optional for statement in scan.imports}


@pytest.mark.parametrize("careful", [False, True])
@pytest.mark.parametrize(("source", "expected"), [
    (_TRY_ELSE, {"urllib3.contrib": True, "cryptography": True, "OpenSSL": True, "json": False}),
    (_LOOP_ELSE, {"fast": True, "plain": False}),
    (_IF_ELSE, {"fast": True, "plain": False}),
    (_NOT_IMPORT_ERROR, {"a": False, "b": False}),
    (_FLAGS, {"lightning_utilities": False, "numpy": True, "array": False, "fallback_numpy": False, "torch": True,
              "torchvision": True, "pdb": False}),
    (_BOUND, {"markdown": True, "pygments": True, "re": True, "markdown.preprocessors": True, "other": False}),
    (_ALIAS, {"numpy": True, "yaml": True, "numpy.linalg": True, "yaml.representer": True}),
    (_IN_BRACKETS, {"after": False}),
], ids=["try-else", "loop-else", "if-else", "not-import-error", "flags", "bound-names", "as-names", "in-brackets"])
def test_imports_under_an_availability_guard_are_optional(source: str, expected: dict[str, bool],
                                                          careful: bool) -> None:
    assert _optional(source, careful) == expected
