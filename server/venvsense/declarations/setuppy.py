"""Reads ``setup.py`` statically, with ``ast``, never by running it: ``setup(install_requires=...,
extras_require=..., python_requires=..., name=...)`` from ``setuptools`` or ``distutils``.

A value is read when it is built from literals (strings, lists, tuples, dicts, ``dict(...)``), module-level
names (extended with ``+=``, ``.extend``, ``.append``, ``[key] = ...``), concatenation with ``+``, ``*``
unpacking, and the lines of a file inside the project (``open("requirements.txt").read().splitlines()``,
``.readlines()``, a comprehension over them, ``Path(...).read_text().splitlines()``), which is read as a
requirements file. A requirement's range is its string literal's content. Whatever is computed beyond that is
named in one VS209 finding on the ``setup()`` call, and the manifest is marked ``incomplete``; what could be
read is still declared (and the project model replaces the finding by the installed project's ``METADATA`` when
the project is installed in its venv). Never raises.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.declarations import MAIN, Manifest, manifest_text
from venvsense.declarations.pyproject import pep508_declaration
from venvsense.declarations.requirements import read_requirements
from venvsense.findings import Finding, make
from venvsense.text import Position, Range

__all__ = ["read_setup_py"]

INVALID = "VS206"
DYNAMIC = "VS209"
_SETUP_MODULES = frozenset({"setuptools", "distutils.core"})
_QUOTE = re.compile(r"""^[rRuUbBfF]{0,2}('''|\"\"\"|'|")""")
_FILE_OPENERS = frozenset({"open", "io.open", "codecs.open"})
_PATH_MAKERS = frozenset({"Path", "pathlib.Path", "os.path.join", "path.join", "join"})


@dataclass(frozen=True)
class _Str:
    text: str
    node: ast.expr


@dataclass(frozen=True)
class _File:
    """The requirements read from a file (a list's item)."""

    path: Path


@dataclass(frozen=True)
class _Unknown:
    why: str


@dataclass(frozen=True)
class _Path:
    path: Path


@dataclass(frozen=True)
class _Handle:
    """An open file (``open(...)``), or its text (``.read()``) when ``text`` is true."""

    path: Path
    text: bool = False


@dataclass
class _Dict:
    entries: dict[str, _Value] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


_Item = _Str | _File | _Unknown
_Value = list[_Item] | _Dict | _Str | _Unknown | _Path | _Handle


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


class _Static:
    """Module-level names of one ``setup.py``, evaluated statically in the order of its statements."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: dict[str, _Value] = {}
        self.setup_names: set[str] = {"setup"}
        self.setup_modules: set[str] = set()

    # --- statements -------------------------------------------------------------------------------------

    def run(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _SETUP_MODULES or alias.name == "distutils":
                    self.setup_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if node.module in _SETUP_MODULES and alias.name == "setup":
                    self.setup_names.add(alias.asname or alias.name)
                elif node.module == "distutils" and alias.name == "core":
                    self.setup_modules.add(alias.asname or "core")
        elif isinstance(node, ast.Assign):
            value = self.value(node.value)
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.value(node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if isinstance(node.op, ast.Add):
                self.names[node.target.id] = self.add(self.lookup(node.target.id), self.value(node.value))
            else:
                self.names[node.target.id] = _Unknown(f"'{node.target.id}' is computed")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.method_call(node.value)
        elif isinstance(node, ast.If | ast.For | ast.While):
            self.run(node.body)
            self.run(node.orelse)
        elif isinstance(node, ast.Try):
            self.run(node.body)
            for handler in node.handlers:
                self.run(handler.body)
            self.run(node.orelse)
            self.run(node.finalbody)
        elif isinstance(node, ast.With):
            for item in node.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, self.value(item.context_expr))
            self.run(node.body)

    def assign(self, target: ast.expr, value: _Value) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            container = self.names.get(target.value.id)
            key = target.slice
            if isinstance(container, _Dict):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    container.entries[key.value] = value
                else:
                    container.unknown.append(f"a key of '{target.value.id}'")
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.assign(element, _Unknown(f"'{_short(element)}' is unpacked from a computed value"))

    def method_call(self, call: ast.Call) -> None:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return
        name = func.value.id
        current = self.names.get(name)
        if current is None:
            return
        if func.attr in ("extend", "append", "insert") and call.args:
            added = self.value(call.args[-1])
            if func.attr != "extend":
                added = [added] if isinstance(added, _Str | _Unknown) else _Unknown(f"'{name}' is computed")
            self.names[name] = self.add(current, added)
        elif func.attr == "update" and isinstance(current, _Dict):
            for argument in call.args:
                update = self.value(argument)
                if isinstance(update, _Dict):
                    current.entries.update(update.entries)
                    current.unknown += update.unknown
                else:
                    current.unknown.append(f"'{name}' is updated with {_short(argument)}")
            for keyword in call.keywords:
                if keyword.arg is not None:
                    current.entries[keyword.arg] = self.value(keyword.value)

    # --- expressions ------------------------------------------------------------------------------------

    def lookup(self, name: str) -> _Value:
        value = self.names.get(name)
        if value is None:
            return _Unknown(f"'{name}' is not a module-level value")
        if isinstance(value, list):
            return list(value)
        if isinstance(value, _Dict):
            return _Dict(dict(value.entries), list(value.unknown))
        return value

    def add(self, left: _Value, right: _Value) -> _Value:
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(left, list | _Unknown) and isinstance(right, list | _Unknown):
            return [*self.items(left), *self.items(right)]  # what is known of a sum is still declared
        return _Unknown("a value is computed by +")

    def items(self, value: _Value) -> list[_Item]:
        """A value as a list's items (a string is one item; a file's text is its requirements)."""
        if isinstance(value, list):
            return value
        if isinstance(value, _Str | _Unknown):
            return [value]
        if isinstance(value, _Handle):
            return [_File(value.path)]
        return [_Unknown("a value that is not a list")]

    def value(self, node: ast.expr) -> _Value:
        if isinstance(node, ast.Constant):
            return _Str(node.value, node) if isinstance(node.value, str) else _Unknown(f"{_short(node)}")
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            out: list[_Item] = []
            for element in node.elts:
                inner = element.value if isinstance(element, ast.Starred) else element
                out += self.items(self.value(inner))
            return out
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return self.add(self.value(node.left), self.value(node.right))
            if isinstance(node.op, ast.Div):
                path = self.path(node)
                return _Path(path) if path else _Unknown(f"{_short(node)}")
        if isinstance(node, ast.Dict):
            result = _Dict()
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:
                    spread = self.value(item)
                    if isinstance(spread, _Dict):
                        result.entries.update(spread.entries)
                        result.unknown += spread.unknown
                    else:
                        result.unknown.append(f"**{_short(item)}")
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    result.entries[key.value] = self.value(item)
                else:
                    result.unknown.append(f"the key {_short(key)}")
            return result
        if isinstance(node, ast.ListComp | ast.GeneratorExp) and len(node.generators) == 1:
            source = self.value(node.generators[0].iter)
            if isinstance(source, _Handle):
                return [_File(source.path)]
            if isinstance(source, list) and all(isinstance(i, _File) for i in source):
                return source
        if isinstance(node, ast.Call):
            return self.call(node)
        return _Unknown(f"{_short(node)} is computed")

    def call(self, node: ast.Call) -> _Value:
        func = node.func
        dotted = _dotted(func)
        if dotted == "dict" and not node.args:
            return _Dict({k.arg: self.value(k.value) for k in node.keywords if k.arg is not None},
                         [f"**{_short(k.value)}" for k in node.keywords if k.arg is None])
        if dotted in ("list", "tuple", "sorted", "set") and len(node.args) == 1:
            return self.value(node.args[0])
        if dotted in _FILE_OPENERS and node.args:
            path = self.path(node.args[0])
            return _Handle(path) if path else _Unknown(f"the file opened by {_short(node)}")
        if dotted in _PATH_MAKERS:
            path = self.path(node)
            return _Path(path) if path else _Unknown(f"{_short(node)}")
        if isinstance(func, ast.Attribute):
            base = self.value(func.value)
            if isinstance(base, _Path) and func.attr == "open":
                return _Handle(base.path)
            if isinstance(base, _Path) and func.attr == "read_text":
                return _Handle(base.path, text=True)
            if isinstance(base, _Handle):
                if func.attr == "read":
                    return _Handle(base.path, text=True)
                if func.attr == "strip" and base.text:
                    return base
                if func.attr == "readlines" or (base.text and func.attr in ("splitlines", "split")):
                    return [_File(base.path)]
        return _Unknown(f"{_short(node)} is computed")

    def path(self, node: ast.expr) -> Path | None:
        """A file path inside the project folder: string parts joined, a leading non-literal taken as the
        folder of ``setup.py`` (``os.path.join(here, "requirements.txt")``)."""
        parts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = [node.value]
        elif isinstance(node, ast.Name):
            known = self.names.get(node.id)
            if isinstance(known, _Str):
                parts = [known.text]
            elif isinstance(known, _Path):
                return known.path
            else:
                return None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = self.path(node.left) if not _is_here(node.left) else self.folder
            right = node.right
            if left is None or not (isinstance(right, ast.Constant) and isinstance(right.value, str)):
                return None
            return _inside(self.folder, left / right.value)
        elif isinstance(node, ast.Call) and _dotted(node.func) in _PATH_MAKERS:
            arguments = list(node.args)
            if arguments and not (isinstance(arguments[0], ast.Constant)) and _is_here(arguments[0]):
                arguments = arguments[1:]
            for argument in arguments:
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    return None
                parts.append(argument.value)
            if not parts:
                return self.folder
        else:
            return None
        return _inside(self.folder, self.folder.joinpath(*parts))


def _is_here(node: ast.expr) -> bool:
    """An expression naming the folder of ``setup.py``: a name (``here``, ``HERE``, ``ROOT``) or a call or
    attribute built on ``__file__``."""
    return isinstance(node, ast.Name) or "__file__" in ast.unparse(node)


def _inside(folder: Path, path: Path) -> Path | None:
    try:
        resolved = path.resolve()
        resolved.relative_to(folder.resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    return resolved if resolved.is_file() else None


def _setup_calls(tree: ast.Module, static: _Static) -> list[ast.Call]:
    def is_setup(func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in static.setup_names
        return isinstance(func, ast.Attribute) and func.attr == "setup" and _dotted(func.value) in static.setup_modules

    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and is_setup(node.func)]


class _Lines:
    """Code-point columns of the file's lines (``ast`` counts UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def column(self, line: int, byte_offset: int) -> int:
        if line >= len(self.lines):
            return byte_offset
        return len(self.lines[line].encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def node_range(self, node: ast.AST) -> Range:
        line = getattr(node, "lineno", 1) - 1
        end_line = (getattr(node, "end_lineno", None) or line + 1) - 1
        start = self.column(line, getattr(node, "col_offset", 0))
        end = self.column(end_line, getattr(node, "end_col_offset", None) or 0)
        return Range(Position(line, start), Position(end_line, end))

    def content_range(self, node: ast.expr) -> Range:
        """A string literal's content, without prefix and quotes (the whole literal when it spans lines or is
        an implicit concatenation)."""
        whole = self.node_range(node)
        if whole.start.line != whole.end.line or whole.start.line >= len(self.lines):
            return whole
        literal = self.lines[whole.start.line][whole.start.column:whole.end.column]
        match = _QUOTE.match(literal)
        if match is None or not literal.endswith(match.group(1)) or len(literal) < 2 * len(match.group(1)):
            return whole
        quote = match.group(1)
        return Range.of(whole.start.line, whole.start.column + match.end(), whole.end.column - len(quote))


@dataclass
class _Reading:
    path: Path
    lines: _Lines
    manifest: Manifest
    unread: list[str] = field(default_factory=list)

    def requirements(self, what: str, value: _Value, *, group: str, primary: bool, declaration_set: str) -> None:
        items: list[_Item]
        if isinstance(value, _Str):  # setuptools accepts one string of requirements, one a line
            items = [value]
        elif isinstance(value, list):
            items = value
        elif isinstance(value, _Handle):
            items = [_File(value.path)]
        else:
            self.unread.append(f"{what} ({value.why})" if isinstance(value, _Unknown) else what)
            return
        for item in items:
            if isinstance(item, _Unknown):
                self.unread.append(f"{what} ({item.why})")
            elif isinstance(item, _File):
                self.file(item.path, group=group, primary=primary, declaration_set=declaration_set)
            else:
                self.string(item, group=group, primary=primary, declaration_set=declaration_set)

    def string(self, item: _Str, *, group: str, primary: bool, declaration_set: str) -> None:
        lines = [line for line in item.text.splitlines() if line.strip() and not line.strip().startswith("#")]
        one = len(lines) == 1 and lines[0].strip() == item.text.strip()
        for line in lines:
            text = line.split(" #", 1)[0].strip()
            at = self.lines.content_range(item.node) if one else self.lines.node_range(item.node)
            result = pep508_declaration(text, self.path, at, group=group, primary=primary,
                                        declaration_set=declaration_set)
            if isinstance(result, Finding):
                self.manifest.findings.append(result)
            else:
                self.manifest.declarations.append(result)

    def file(self, path: Path, *, group: str, primary: bool, declaration_set: str) -> None:
        read = read_requirements(path, primary=primary)
        self.manifest.files += [f for f in read.files if f not in self.manifest.files]
        self.manifest.findings += read.findings
        self.manifest.constraints += read.constraints
        if group == MAIN:
            self.manifest.declarations += read.declarations
        else:
            self.manifest.declarations += [replace(d, group=group, primary=primary, declaration_set=declaration_set)
                                           for d in read.declarations]


def read_setup_py(path: Path, text: str | None = None) -> Manifest:
    """Read the declarations of one ``setup.py`` (``text``: an unsaved editor buffer of it) without running
    it. Never raises: a file Python cannot parse is a VS206 finding, a value computed at run time VS209."""
    path = path.absolute()
    manifest, text = manifest_text(path, text)
    if text is None:
        return manifest
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        line = max((getattr(error, "lineno", None) or 1) - 1, 0)
        lines = text.splitlines()
        where = Range.line_of(lines[line], line) if line < len(lines) else Range.of(0, 0, 0)
        manifest.findings.append(make(INVALID, f"{path.name} is not valid Python: {error}", path, where))
        return manifest
    static = _Static(path.parent)
    try:
        static.run(tree.body)
        calls = _setup_calls(tree, static)
        if calls:
            _read_call(path, _Lines(text), manifest, static, calls[0])
    except RecursionError:
        manifest.findings.append(make(DYNAMIC, f"{path.name} is nested too deeply to be read", path,
                                      Range.of(0, 0, 0)))
        manifest.incomplete = True
    return manifest


def _read_call(path: Path, lines: _Lines, manifest: Manifest, static: _Static, call: ast.Call) -> None:
    arguments: dict[str, _Value] = {}
    unread_arguments: list[str] = []
    for keyword in call.keywords:
        if keyword.arg is not None:
            arguments[keyword.arg] = static.value(keyword.value)
            continue
        spread = static.value(keyword.value)
        if isinstance(spread, _Dict):
            arguments.update(spread.entries)
            unread_arguments += spread.unknown
        else:
            unread_arguments.append(f"**{_short(keyword.value)}")
    if call.args:
        unread_arguments.append("positional arguments")
    reading = _Reading(path, lines, manifest)
    name = arguments.get("name")
    if isinstance(name, _Str):
        manifest.project_name = name.text.strip()
    if "install_requires" in arguments:
        reading.requirements("install_requires", arguments["install_requires"], group=MAIN, primary=True,
                             declaration_set=path.name)
    extras = arguments.get("extras_require")
    if isinstance(extras, _Dict):
        for extra, value in extras.entries.items():
            extra_name = extra.split(":", 1)[0]  # "extra:marker" keys name the extra before the colon
            reading.requirements(f"extras_require['{extra}']", value, group=extra_name, primary=False,
                                 declaration_set=f"extra '{extra_name}'")
        reading.unread += [f"extras_require ({why})" for why in extras.unknown]
    elif extras is not None:
        reading.unread.append(f"extras_require ({extras.why})" if isinstance(extras, _Unknown) else "extras_require")
    python_requires = arguments.get("python_requires")
    if isinstance(python_requires, _Str):
        _python_requires(path, lines, manifest, python_requires)
    if unread_arguments and "install_requires" not in arguments:
        reading.unread += [f"setup({what})" for what in unread_arguments]
    if reading.unread:
        manifest.incomplete = True
        # the project's own installed METADATA, when there is one, says all of it (the project model reads it)
        at = lines.node_range(call.func)
        manifest.unresolved_dynamic = [("dependencies", at), ("optional-dependencies", at)]
        manifest.findings.append(make(
            DYNAMIC,
            f"{path.name} computes part of what it declares when it runs, and venvsense never runs it: "
            f"{'; '.join(dict.fromkeys(reading.unread))}; the project is checked with what could be read", path,
            lines.node_range(call.func), unread=list(dict.fromkeys(reading.unread)),
        ))


def _python_requires(path: Path, lines: _Lines, manifest: Manifest, value: _Str) -> None:
    at = lines.content_range(value.node)
    try:
        SpecifierSet(value.text)
    except InvalidSpecifier as error:
        manifest.findings.append(make(INVALID, f"invalid python_requires {value.text!r}: {error}", path, at))
        return
    manifest.requires_python = (value.text.strip(), path, at)
