"""When an import that is not installed is no error (issue 11, "no false alarm at error"): the facts that lower
VS301 to a hint, and the declarations VS303 cannot judge in this venv. ``rules.imports`` asks ``Trust`` once
per missing module and file.

A VS301 is a hint, with the reason in its message, when

- the declaration that provides the module has an environment marker that is false for the venv
  (``colorama; sys_platform == "win32"`` on Linux, ``brotlicffi; implementation_name == "pypy"`` on CPython):
  it is not meant to be installed there ("declared for sys_platform == "win32" only");
- the file declares its own environment with PEP 723 inline script metadata (``# /// script``) and the module
  is one its ``dependencies`` provide, while a declaration of the project provides it too: ``uv run`` makes
  that environment, not the project's venv (provided by nothing else: no finding, see ``silent``). (A script is
  judged as a scope of its own, ``rules.scripts``: there this says that a module its block provides only by a
  variant's name — ``pydantic_ai`` of ``pydantic-ai-slim`` — is the block's, judged on the declaration);
- no declaration provides the module and the project treats it as optional somewhere: an import of it inside
  ``try``/``except ImportError`` (or in such a handler) in any file, or a probe ``find_spec("m")`` /
  ``importorskip("m")``. Its other imports run on the paths those guards choose (``if not
  is_botocore_available(): raise``; a second import after ``except ImportError: return``), so they are
  optional too;
- the import is an ``except ImportError`` fallback, or is inside a function while the same file imports the
  module under ``if TYPE_CHECKING:`` (typed against, imported lazily: httpx's ``import trio`` when trio is
  running), declared or not: the code is written to run without it;
- the import is in the tests (``model.scopes``'s "tests"), inside a function or on a line marked ``# noqa``,
  and nothing knows the module: no declaration, no installed distribution, no curated or configured mapping
  (the distribution would be "a guess from the name"): tests import modules they write themselves
  (``tmp_path / "app.py"`` on ``syspath_prepend``) or that must not exist (an importer's error path). A test
  module's or a test helper's own top-level ``import pytest`` with pytest nowhere stays an error.

No finding at all (``silent``) for a module a test file writes itself (``"<module>.py"`` in its text), one in a
folder of the project that the file (or a ``conftest.py`` above it) names as a string while touching
``sys.path``, and an unknown module imported by test data (a file under ``tests/**/data/`` that pytest does not
collect: black's formatter cases).

A declaration whose marker is false for the venv is never VS303 (its use cannot be judged there: on the
platform it is for, it may provide an imported module — ``PyPyDispatcher`` for ``pydispatch`` on PyPy).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvsense.caches import MemoryCache
from venvsense.classify import ClassifiedImport, Usage
from venvsense.declarations import HATCH_ENV, Declaration, in_separate_environment
from venvsense.dotted import DottedNames
from venvsense.environment import marker_environment
from venvsense.findings import Finding, Severity, make
from venvsense.firstparty import workspace_members
from venvsense.imports.records import FLAG_FALLBACK, FLAG_OPTIONAL, FLAG_TYPE_CHECKING
from venvsense.mapping import ModuleIndex, guess_distribution
from venvsense.rules.declarations import marker_holds
from venvsense.tomlfile import TomlFile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_PROBE_CALLS = (b"find_spec(", b"importorskip(")
_PROBE_ARGUMENT = re.compile(rb"""\s*(?:name\s*=\s*)?[rRuU]?["']([A-Za-z_][\w.]*)["']""")
_PROBE_PROVIDERS = frozenset({"importlib", "pytest", "_pytest"})
# PEP 723's reference expression for a metadata block (https://peps.python.org/pep-0723/)
_SCRIPT_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_HEAD_BYTES = 1 << 16
# folders holding other projects' code copied into this one (pip's `_vendor`, setuptools' `_vendor`/`extern`):
# their imports are that project's, guarded its way (`if hasattr(sys, "pypy_version_info"): from __pypy__ ...`)
_VENDORED_FOLDERS = frozenset({"_vendor", "vendor", "vendored", "_vendored", "third_party", "_third_party",
                               "thirdparty", "extern", "_extern"})


def vendored(path: Path, root: Path | None) -> bool:
    """Whether ``path`` lies in a vendored folder below ``root`` (``_VENDORED_FOLDERS``)."""
    parts = path.parts[len(root.parts):-1] if root is not None and path.parts[:len(root.parts)] == root.parts \
        else ()
    return any(part.lower() in _VENDORED_FOLDERS for part in parts)


_DATA_FOLDERS = frozenset({"data", "testdata", "test_data", "test-data", "fixtures", "fixture"})


def marker_excluded(declaration: Declaration, markers: Mapping[str, str] | None) -> bool:
    """Whether the declaration's environment marker is false for the venv (``markers``; ``None``: unknown, so
    never): the declaration is not meant to be installed there."""
    return markers is not None and bool(declaration.marker) and not marker_holds(declaration.marker, markers)


class Trust:
    """The facts of one check that lower a VS301 (module docstring), each computed once, when first asked."""

    __slots__ = ("_declared", "_direct", "_direct_names", "_files", "_holding", "_in_tests", "_index", "_lines",
                 "_markers", "_optional", "_own", "_provided", "_pyproject_toml", "_root", "_scripts", "_tests",
                 "_usage", "_vendored", "_workspace")

    def __init__(self, usage: Usage, index: ModuleIndex, python: str | None,
                 in_tests: Callable[[Path], bool] | None = None, root: Path | None = None,
                 pyproject_toml: TomlFile | None = None) -> None:
        self._usage = usage
        self._root = root
        self._pyproject_toml = pyproject_toml
        self._holding: dict[str, list[str]] | None = None
        self._workspace: dict[str, frozenset[str]] | None = None
        self._direct: dict[str, Declaration] | None = None
        self._direct_names: DottedNames | None = None  # the direct declarations' modules, as a tree of their parts
        self._own: dict[str, str] = {}  # a project's name → as an import name would spell it
        self._provided: dict[str, tuple[bool, str, str]] = {}  # a module → (a guess?, provider, normalized)
        self._declared: dict[tuple[str, str], bool] = {}
        self._index = index
        self._markers = marker_environment(python) if python else None
        self._optional: frozenset[str] | None = None
        self._scripts: dict[Path, frozenset[str] | None] = {}
        self._files: dict[Path, bytes] = {}
        self._lines: dict[Path, list[bytes]] = {}
        self._in_tests = in_tests
        self._tests: dict[Path, bool] = {}
        self._vendored: dict[Path, bool] = {}  # a folder → whether it is vendored code

    @property
    def markers(self) -> Mapping[str, str] | None:
        return self._markers

    def excluded(self, declaration: Declaration) -> bool:
        return marker_excluded(declaration, self._markers)

    def declared_otherwise(self, item: ClassifiedImport,
                           declared_modules: Mapping[str, Declaration]) -> Declaration | None:
        """The declaration providing a module that no declared module name matches exactly: a distribution
        that is not installed named like the module in another case (``IPython`` ↔ ``ipython``), or a uv
        workspace member whose package it is (``stories`` of ``mcp-example-stories``, read from the member's
        ``pyproject.toml``)."""
        found = declared_ignoring_case(item, declared_modules, self._index)
        if found is not None or self._root is None:
            return found
        if self._workspace is None:
            self._workspace = workspace_members(self._root, self._pyproject_toml)
        for distribution, modules in self._workspace.items():
            if item.top in modules:
                for declaration in declared_modules.values():
                    if declaration.normalized == distribution:
                        return declaration
        return None

    def undeclared_without_venv(self, item: ClassifiedImport, declared_modules: Mapping[str, Declaration],
                                project_name: str | None, relaxed: str | None) -> Finding | None:
        """VS302 for a project without a venv (VS101 stands for what needs one): an import that no direct
        declaration provides — by its name, the curated table or the configured module map (a pin a lock file
        holds only ``# via`` another package declares nothing); a hint when guarded or lowered (``lowered``)."""
        if self._direct is None or self._direct_names is None:
            self._direct = {module: d for module, d in declared_modules.items() if not d.transitive}
            self._direct_names = DottedNames(self._direct)
        key = (item.target, item.module)
        declared = self._declared.get(key)
        if declared is None:  # (a declared module is the import, a package above it or a portion under it)
            declared = self._declared[key] = self._direct_names.covers(item.target) or self._direct_names.covers(
                item.module) or self.declared_otherwise(item, self._direct) is not None
        if declared:
            return None
        if project_name:
            own = self._own.get(project_name)
            if own is None:
                own = self._own[project_name] = canonicalize_name(project_name).replace("-", "_")
            if own == item.top.lower():
                return None
        if self.silent(item):
            return None
        provided = self._provided.get(item.target)
        if provided is None:  # (one answer per module: a project without a venv has thousands of such imports)
            providers = self._index.providers(item.target)
            provider = providers[0].name if providers else item.top
            provided = self._provided[item.target] = (
                providers[0].how == "guess" if providers else True, provider, canonicalize_name(provider))
        guess, name, package = provided
        why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
        lowered = None if relaxed else self.lowered(item, None)
        if lowered:
            why = f"; {lowered}"
        finding = make(
            "VS302", f"'{item.module}' is imported but not declared (no declaration of this project provides it; "
            f"{'probably ' if guess else ''}provided by '{name}'{' — a guess from the name' if guess else ''})"
            f"{why}", item.file, item.range, package=package, module=item.module,
            distribution=name, installed=None)
        return finding.with_severity(Severity.HINT) if relaxed or lowered else finding

    def lowered(self, item: ClassifiedImport, wanted: Declaration | None) -> str | None:
        """Why this import of a module that is not installed is only a hint, or ``None``."""
        if item.statement.fallback:
            return "it is an except ImportError fallback, tried only when the import before it failed"
        if self.in_vendored(item.file):
            return "in vendored code (another project's copy inside this one, whose imports that project guards)"
        if item.statement.in_function and _typed_here(item):
            return "imported lazily, inside a function, and under if TYPE_CHECKING in this file: an optional module"
        if wanted is not None:
            if self.excluded(wanted):
                return f"declared for {wanted.marker.strip() if wanted.marker else ''} only, not for this venv"
            if in_separate_environment(wanted):
                tool = "Hatch" if wanted.declaration_set.startswith(HATCH_ENV) else "tox"
                return f"declared for {wanted.declaration_set}, an environment {tool} makes apart from this venv"
            return None
        script = self._script_modules(item.file)
        if script is not None and (item.top in script or _slim_of(item.top, script)):
            return "declared in the file's inline script metadata (PEP 723), which makes its own environment"
        if item.top in self.optional():
            return "the project imports it as optional elsewhere (try/except ImportError or find_spec), so it is"
        if self._in_test(item.file) and (item.statement.in_function or self._noqa(item)) and self._unknown(item):
            return "a test's import of a module nothing declares, installs or maps (a guess from the name)"
        return None

    def silent(self, item: ClassifiedImport) -> bool:
        """No finding at all for this import of a module that is not installed and that no declaration
        provides: local to the file (``local_to_the_file``), test data (``test_data``), or provided by the file's
        own PEP 723 ``dependencies`` (``uv run`` makes that environment: the project's venv is not the script's,
        so its lacking the module says nothing)."""
        return self.local_to_the_file(item) or self.test_data(item) or self.script_provides(item)

    def script_provides(self, item: ClassifiedImport) -> bool:
        """Whether the file's PEP 723 block declares what provides this import."""
        script = self._script_modules(item.file)
        return script is not None and (item.top in script or _slim_of(item.top, script))

    def test_data(self, item: ClassifiedImport) -> bool:
        """A file of the tests under a data folder (``tests/data/cases/comments.py``: ``data``, ``testdata``,
        ``test_data``) that pytest does not collect is input a test reads (a formatter's cases), not code that
        runs: its imports of modules nothing declares, installs or maps are no finding."""
        if not self._in_test(item.file) or _collected(item.file):
            return False
        parts = item.file.parts[len(self._root.parts):-1] if self._root is not None else item.file.parts[:-1]
        return any(part.lower() in _DATA_FOLDERS for part in parts) and self._unknown(item)

    def local_to_the_file(self, item: ClassifiedImport) -> bool:
        """No finding at all: a test file writes the module itself (``"<top>.py"`` or a ``"<top>"`` folder in
        its text) before importing it; or the file, or a ``conftest.py`` above it, touches ``sys.path`` and
        names as a string a folder of the project that holds the module (flake8's test passes
        ``"tests/integration/subdir"`` to code that puts it on ``sys.path``, then imports ``aplugin`` from it)."""
        in_test = self._in_test(item.file)
        folders = self._holding_folders().get(item.top)
        if not in_test and not folders:
            return False  # (no need to read the file)
        data = self._read(item.file)
        top = item.top.encode("ascii", "replace")
        if in_test and _names_module(data, top):
            return True
        if not folders:
            return False
        texts = [data, *(self._read(c) for c in self._conftests_above(item.file))]
        for text in texts:
            if not any(marker in text for marker in (b"sys.path", b"syspath_prepend", b"PYTHONPATH")):
                continue
            for folder in folders:
                names = (folder.encode("utf-8", "replace"), folder.rpartition("/")[2].encode("utf-8", "replace"))
                if any(quote + name + quote in text for name in names for quote in (b'"', b"'")):
                    return True
        return False

    # -- the parts

    def _noqa(self, item: ClassifiedImport) -> bool:
        """Whether the import's line carries ``# noqa``: its authors know the import looks wrong (uvicorn's
        ``import does_not_exist  # noqa`` in a module its importer test loads)."""
        lines = self._lines.get(item.file)
        if lines is None:
            lines = self._lines[item.file] = self._read(item.file).splitlines()
        line = item.statement.line
        return line < len(lines) and b"# noqa" in lines[line].lower()

    def _holding_folders(self) -> dict[str, list[str]]:
        """Each name of a module or folder of the project → the folders (relative, ``/``) holding one."""
        if self._holding is None:
            self._holding = {}
            root = self._root
            if root is None:
                return self._holding
            prefix = os.path.join(os.fspath(root), "")  # (string arithmetic: Path.relative_to is slow)
            fspath, separator = os.fspath, os.sep
            for path in self._usage.scanned:
                name = fspath(path)
                if not name.startswith(prefix):
                    continue
                parts = name[len(prefix):].split(separator)
                for depth in range(1, len(parts)):
                    name = parts[depth] if depth < len(parts) - 1 else parts[depth].rpartition(".")[0]
                    holders = self._holding.setdefault(name, [])
                    folder = "/".join(parts[:depth])
                    if folder not in holders:
                        holders.append(folder)
        return self._holding

    def _conftests_above(self, path: Path) -> list[Path]:
        found: list[Path] = []
        folder = path.parent
        while self._root is not None and (folder == self._root or self._root in folder.parents):
            conftest = folder / "conftest.py"
            if conftest in self._usage.scanned and conftest != path:
                found.append(conftest)
            folder = folder.parent
        return found

    def in_vendored(self, path: Path) -> bool:
        """Whether ``path`` is in a vendored folder of the project (``vendored``), once per folder."""
        folder = path.parent
        answer = self._vendored.get(folder)
        if answer is None:
            answer = self._vendored[folder] = vendored(path, self._root)
        return answer

    def _in_test(self, path: Path) -> bool:
        if self._in_tests is None:
            return False
        answer = self._tests.get(path)
        if answer is None:
            answer = self._tests[path] = self._in_tests(path)
        return answer

    def _unknown(self, item: ClassifiedImport) -> bool:
        providers = self._index.providers(item.target)
        return not providers or providers[0].how == "guess"

    def optional(self) -> frozenset[str]:
        """The top-level modules the project imports inside try/except ImportError (or in such a handler) or
        probes with ``find_spec``/``importorskip`` somewhere."""
        if self._optional is None:
            found: set[str] = set()
            flags_of: dict[int, Sequence[int]] = {}  # one slice of flags per file's scan
            for item in self._usage.third_party:
                if item.top not in found:
                    flags = flags_of.get(id(item.scan))
                    if flags is None:
                        flags = flags_of[id(item.scan)] = item.scan.flags()
                    if flags[item.index] & (FLAG_OPTIONAL | FLAG_FALLBACK):
                        found.add(item.top)
            found.update(name.partition(".")[0] for name in _probed(self._usage))
            self._optional = frozenset(found)
        return self._optional

    def _read(self, path: Path) -> bytes:
        data = self._files.get(path)
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read(_HEAD_BYTES * 4)
            except OSError:
                data = b""
            self._files[path] = data
        return data

    def _script_modules(self, path: Path) -> frozenset[str] | None:
        """The top-level modules a file's PEP 723 ``dependencies`` provide (``None``: no script block)."""
        if path not in self._scripts:
            self._scripts[path] = _script_modules(self._read(path)[:_HEAD_BYTES], self._index)
        return self._scripts[path]


def _names_module(data: bytes, top: bytes) -> bool:
    """Whether ``data`` holds ``"<top>.py"`` or ``"<top>"`` (either quote): each occurrence of ``top`` looked at
    where it is (the module's name is in the file, at least in its import, rarely more than a few times), not the
    whole file searched for each of the four forms; past ``_OCCURRENCES`` occurrences the four searches."""
    at, size, seen = data.find(top), len(top), 0
    while at != -1 and top:
        seen += 1
        if seen > _OCCURRENCES:
            return any(quote + top + end + quote in data for quote in (b'"', b"'") for end in (b".py", b""))
        if at:
            quote = data[at - 1 : at]
            if quote == b'"' or quote == b"'":
                after = data[at + size : at + size + 4]
                if after[:1] == quote or after == b".py" + quote:
                    return True
        at = data.find(top, at + 1)
    return not top and any(quote + end + quote in data for quote in (b'"', b"'") for end in (b".py", b""))


_OCCURRENCES = 64


def _typed_here(item: ClassifiedImport) -> bool:
    """Whether the import's file also imports its top-level module under ``if TYPE_CHECKING:`` (httpx's
    ``asgi.py`` types against trio and imports it only in the function that runs when trio is running)."""
    scan, top = item.scan, item.top
    flags = scan.flags()
    return any(flags[index] & FLAG_TYPE_CHECKING and module.partition(".")[0] == top
               for index, module in enumerate(scan.modules))


def _collected(path: Path) -> bool:
    """A file pytest collects or loads itself (``test_*.py``, ``*_test.py``, ``conftest.py``); the other files
    of a test folder are helpers or data (``tests/data/cases/*.py`` a formatter reads, a module an importer test
    loads)."""
    name = path.name
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def declared_ignoring_case(item: ClassifiedImport, declared_modules: Mapping[str, Declaration],
                           index: ModuleIndex) -> Declaration | None:
    """The declaration of a distribution that is not installed whose name is the import's top-level name in
    another case (``import IPython`` with ``ipython`` declared): its module names are known only as the
    declaration spells them."""
    top = item.top.lower()
    for module, declaration in declared_modules.items():
        if module.partition(".")[0].lower() == top and index.installed_distribution(declaration.normalized) is None:
            return declaration
    return None


def _slim_of(top: str, modules: frozenset[str]) -> bool:
    """``pydantic_ai`` for a declared ``pydantic-ai-slim``: a distribution named like the module plus a
    ``-slim``/``-lite``/``-core`` variant suffix (kept in ``modules`` as its guessed name)."""
    guess = guess_distribution(top).replace("-", "_")
    return any(f"{guess}_{suffix}" in modules for suffix in ("slim", "lite", "core"))


def _script_modules(head: bytes, index: ModuleIndex) -> frozenset[str] | None:
    if b"# /// script" not in head:
        return None
    text = head.decode("utf-8", "replace")
    for match in _SCRIPT_BLOCK.finditer(text):
        if match.group("type") != "script":
            continue
        content = "".join(line[2:] if line.startswith("# ") else line[1:]
                          for line in match.group("content").splitlines(keepends=True))
        try:
            data = tomllib.loads(content)
        except tomllib.TOMLDecodeError:
            return frozenset()
        found: set[str] = set()
        dependencies = data.get("dependencies")
        for written in dependencies if isinstance(dependencies, list) else ():
            if not isinstance(written, str):
                continue
            try:
                requirement = Requirement(written)
            except InvalidRequirement:
                continue
            name = canonicalize_name(requirement.name)
            found.update(m.partition(".")[0] for m in index.distribution_modules(name))
            found.add(name.replace("-", "_"))
            # an extra named like a distribution brings it (`pydantic-ai-slim[openai]` → openai)
            found.update(canonicalize_name(extra).replace("-", "_") for extra in requirement.extras)
        return frozenset(found)
    return None


_probes: MemoryCache[tuple[str, int, int], tuple[str, ...]] = MemoryCache(
    "rules.trust.probes", key="a file's path, mtime (ns) and size",
    invalidation="a changed file has another mtime or size, hence another key",
    owner="the process: a re-check reads only the changed files again", limit=1 << 14)


def _probed(usage: Usage) -> set[str]:
    """The module names the project's files probe with ``find_spec("m")`` or ``importorskip("m")``."""
    found: set[str] = set()
    for path, scan in usage.scanned.items():
        if not any(module.partition(".")[0] in _PROBE_PROVIDERS for module in scan.modules):
            continue
        name = os.fspath(path)
        try:
            status = os.stat(name)
            key = (name, status.st_mtime_ns, status.st_size)
            names = _probes.get(key)
            if names is None:
                with open(name, "rb") as handle:
                    data = handle.read()
                names = _probe_names(data)
                _probes.put(key, names)
        except OSError:
            continue
        found.update(names)
    return found


def _probe_names(data: bytes) -> tuple[str, ...]:
    found: list[str] = []
    for call in _PROBE_CALLS:
        at = data.find(call)
        while at != -1:
            argument = _PROBE_ARGUMENT.match(data, at + len(call))
            if argument is not None:
                found.append(argument.group(1).decode("ascii", "replace"))
            at = data.find(call, at + len(call))
    return tuple(found)
