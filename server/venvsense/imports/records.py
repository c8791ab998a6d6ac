"""What a scan finds: ``ImportStatement`` (one imported module with its range and context) and ``ScanResult``
(the imports of one file, packed).

``share_names`` keeps one tuple object per distinct tuple of imported names, so a project's index holds each once:
keyed by the tuple itself, emptied when it reaches ``_SHARED_NAMES_LIMIT`` entries, owned by the process (not a
``caches.MemoryCache``: it is read once per import statement, where a method call would show).
"""

from __future__ import annotations

import itertools
import operator
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class ImportStatement:
    """One imported module: each name of ``import a, b.c`` is its own statement, ``from x import y`` is one.

    ``module`` is the full dotted name as Python sees it (whitespace and line continuations dropped, NFKC
    normalized): ``"x.y"`` for ``from x.y import z``, ``""`` for ``from . import z``; ``level`` counts the
    leading dots of a relative import (0 for absolute). The range (0-based lines, 0-based code-point
    columns, exclusive end) covers the module as written, leading dots included: ``a.b`` in ``import a.b``,
    ``..x`` in ``from ..x import y``, ``.`` in ``from . import z``. ``names`` are the imported names of a
    ``from`` import (``("*",)`` for a star import) and ``()`` for ``import x``.

    Context, with nested semantics (an enclosing block at any depth counts):

    * ``optional``: inside the body of a ``try`` one of whose handlers catches ``ImportError`` or
      ``ModuleNotFoundError`` (or is bare, ``Exception``, ``BaseException``, or a tuple naming one of
      these), or its ``else:``; a handler's own imports are not optional; or inside an ``if``/``elif`` that
      tests the module is there (``guards``: ``if _NUMPY_AVAILABLE:``, ``if markdown is not None:``);
    * ``type_checking``: inside the body (not the ``else``) of ``if TYPE_CHECKING:`` or
      ``if <module>.TYPE_CHECKING:``;
    * ``in_function``: inside a ``def``, ``async def`` or ``class`` body, so it runs only when called or
      only as part of the class statement;
    * ``future``: ``from __future__ import ...``;
    * ``fallback``: inside a handler (``except ImportError:`` and the like, as for ``optional``) of a ``try``:
      what the code imports when the ``try`` body's import failed (``except ImportError: import cPickle``);
    * ``gate``: the Python version and platform the import runs on, from the simple ``if``/``elif``/``else``
      conditions around it on ``sys.version_info`` (tuple comparisons, ``[0]``) and ``sys.platform`` (``==``,
      ``!=``, ``.startswith``), as ``gates.gate_holds`` reads it; ``""`` when nothing gates it.
    """

    module: str
    level: int
    line: int
    column: int
    end_line: int
    end_column: int
    names: tuple[str, ...]
    optional: bool = False
    type_checking: bool = False
    in_function: bool = False
    future: bool = False
    fallback: bool = False
    gate: str = ""


# A statement's numbers in ``ScanResult._numbers``: level, line, column, end line, end column, flags.
_NUMBERS = 6
FLAG_OPTIONAL, FLAG_TYPE_CHECKING, FLAG_IN_FUNCTION, FLAG_FUTURE, FLAG_FALLBACK = 1, 2, 4, 8, 16
# the flags' bits above these hold 1 + the index of the statement's gate in ``ScanResult.gates`` (0: none)
GATE_SHIFT = 5
_SHARED_NAMES_LIMIT = 200_000
_shared_names: dict[tuple[str, ...], tuple[str, ...]] = {}


def share_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple object for every equal tuple of imported names (``from typing import Any`` is everywhere)."""
    if not names:
        return ()
    shared = _shared_names.get(names)
    if shared is None:
        if len(_shared_names) >= _SHARED_NAMES_LIMIT:
            _shared_names.clear()
        shared = _shared_names[names] = names  # the first one seen serves every equal one after it
    return shared


# the shared tuple equal to a tuple of names, if one is kept (``share_names`` without a call, where it shows)
shared_names_get = _shared_names.get


class ScanResult:
    """The imports of one file; ``error`` is a short reason when a syntax or encoding problem limited the
    scan (the imports found around it are still listed).

    A project's index is mostly these, so the statements are kept packed, not as objects: the module names
    interned, the ``names`` tuples shared between files, the numbers in an ``array`` (six per statement, two
    bytes each when they fit: about 30 bytes a statement instead of 250). ``imports`` (all) and
    ``statement_at`` (one) make the ``ImportStatement`` objects when asked; equal scans compare equal whichever
    way they were made. Immutable.
    """

    __slots__ = ("_gates", "_modules", "_names", "_numbers", "error")

    _modules: tuple[str, ...]
    _names: tuple[tuple[str, ...], ...]
    _numbers: array[int]
    _gates: tuple[str, ...]
    error: str | None

    def __init__(self, imports: Iterable[ImportStatement] = (), error: str | None = None) -> None:
        modules: list[str] = []
        names: list[tuple[str, ...]] = []
        numbers = array("i")
        gates: dict[str, int] = {}
        for s in imports:
            modules.append(sys.intern(s.module))
            names.append(share_names(s.names))
            flags = (s.optional and FLAG_OPTIONAL) | (s.type_checking and FLAG_TYPE_CHECKING) | (
                s.in_function and FLAG_IN_FUNCTION) | (s.future and FLAG_FUTURE) | (s.fallback and FLAG_FALLBACK)
            if s.gate:
                flags |= gates.setdefault(s.gate, len(gates) + 1) << GATE_SHIFT
            numbers.extend((s.level, s.line, s.column, s.end_line, s.end_column, flags))
        _set_packed(self, tuple(modules), tuple(names), narrowed(numbers), error, tuple(gates))

    @classmethod
    def packed(cls, modules: tuple[str, ...], names: tuple[tuple[str, ...], ...], numbers: array[int],
               error: str | None, gates: tuple[str, ...] = ()) -> ScanResult:
        """A scan from its packed parts (taken as they are: ``names`` already shared, ``numbers`` not changed
        afterwards)."""
        if len(names) != len(modules) or len(numbers) != _NUMBERS * len(modules):
            raise ValueError("inconsistent packed scan")
        if modules and max(numbers[5::_NUMBERS]) >> GATE_SHIFT > len(gates):
            raise ValueError("inconsistent packed scan")
        made = object.__new__(cls)
        _set_packed(made, modules, names, numbers, error, gates)
        return made

    def __len__(self) -> int:
        return len(self._modules)

    @property
    def imports(self) -> tuple[ImportStatement, ...]:
        return tuple(map(self.statement_at, range(len(self._modules))))

    def statement_at(self, index: int) -> ImportStatement:
        """``imports[index]``, made alone."""
        start = index * _NUMBERS
        level, line, column, end_line, end_column, flags = self._numbers[start : start + _NUMBERS]
        made = object.__new__(ImportStatement)
        (set_module, set_level, set_line, set_column, set_end_line, set_end_column, set_names, set_optional,
         set_type_checking, set_in_function, set_future, set_fallback, set_gate) = _STATEMENT_SETTERS
        set_module(made, self._modules[index])
        set_level(made, level)
        set_line(made, line)
        set_column(made, column)
        set_end_line(made, end_line)
        set_end_column(made, end_column)
        set_names(made, self._names[index])
        set_optional(made, bool(flags & FLAG_OPTIONAL))
        set_type_checking(made, bool(flags & FLAG_TYPE_CHECKING))
        set_in_function(made, bool(flags & FLAG_IN_FUNCTION))
        set_future(made, bool(flags & FLAG_FUTURE))
        set_fallback(made, bool(flags & FLAG_FALLBACK))
        gate = flags >> GATE_SHIFT
        set_gate(made, self._gates[gate - 1] if gate else "")
        return made

    @property
    def modules(self) -> tuple[str, ...]:
        """Each statement's ``module``, in order."""
        return self._modules

    @property
    def names(self) -> tuple[tuple[str, ...], ...]:
        """Each statement's ``names``, in order."""
        return self._names

    def absolute_modules(self) -> Iterator[str]:
        """The ``module`` of each absolute import (level 0), in order, without making the statements."""
        return itertools.compress(self._modules, map(operator.not_, self._numbers[0::_NUMBERS]))

    def levels(self) -> array[int]:
        """Each statement's ``level``, in order."""
        return self._numbers[0::_NUMBERS]

    def future_at(self, index: int) -> bool:
        return bool(self._numbers[index * _NUMBERS + 5] & FLAG_FUTURE)

    def flags(self) -> array[int]:
        """Each statement's flags (``FLAG_*`` bits, the gate above ``GATE_SHIFT``), in order."""
        return self._numbers[5::_NUMBERS]

    @property
    def gates(self) -> tuple[str, ...]:
        """The distinct gates of the file's statements (see ``ImportStatement.gate``)."""
        return self._gates

    def _key(self) -> tuple[object, ...]:
        return (self._modules, self._names, tuple(self._numbers), self.error, self._gates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ScanResult is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return f"ScanResult(imports={self.imports!r}, error={self.error!r})"


def narrowed(numbers: array[int]) -> array[int]:
    """``numbers`` in two bytes each when they fit (all are positions or small counts: almost always)."""
    if not numbers or max(numbers) > 0xFFFF:
        return numbers
    return array("H", numbers)


_SET_MODULES, _SET_NAMES, _SET_NUMBERS, _SET_ERROR, _SET_GATES = (
    ScanResult.__dict__[name].__set__ for name in ("_modules", "_names", "_numbers", "error", "_gates"))


def _set_packed(scan: ScanResult, modules: tuple[str, ...], names: tuple[tuple[str, ...], ...],
                numbers: array[int], error: str | None, gates: tuple[str, ...] = ()) -> None:
    _SET_MODULES(scan, modules)
    _SET_NAMES(scan, names)
    _SET_NUMBERS(scan, numbers)
    _SET_ERROR(scan, error)
    _SET_GATES(scan, gates)


# the slots' setters, in field order (``ScanResult.statement_at`` makes statements with them)
_STATEMENT_SETTERS: tuple[Callable[[ImportStatement, object], None], ...] = tuple(
    getattr(ImportStatement, field.name).__set__ for field in fields(ImportStatement)
)


NO_IMPORTS = ScanResult(())

def with_error(result: ScanResult, reason: str) -> ScanResult:
    return ScanResult.packed(result._modules, result._names, result._numbers,
                             reason if result.error is None else f"{reason}; {result.error}", result._gates)

