"""The import rules: VS301 import-not-installed, VS302 undeclared-import, VS303 unused-dependency, VS304
dev-only-import — a project's classified imports (``venvsense.classify``) compared with what it declares, what
is installed and where each file is (its scope, ``model.scopes``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.classify import ClassifiedImport, Usage
from venvsense.classify.byname import used_by_name
from venvsense.classify.members import (
    imported_by_doc_examples,
    imported_by_enclosing_project,
    imported_by_workspace_members,
)
from venvsense.declarations import HATCH_TEST_DEFAULTS, TOX_ENV, Declaration, in_separate_environment
from venvsense.declarations.locks.model import Lock
from venvsense.dotted import DottedNames
from venvsense.environment import Environment, Installed
from venvsense.findings import Finding, Severity, make, make_shared
from venvsense.imports import ImportStatement, string_imports
from venvsense.mapping import ModuleIndex, Provider
from venvsense.model.scopes import Scopes, development_only
from venvsense.rules.trust import Trust, vendored
from venvsense.text import Position, Range
from venvsense.tomlfile import TomlFile
from venvsense.tree import walk
from venvsense.usedwithout import (
    COMPILED_SOURCES,
    is_constraint,
    is_typing_only,
    is_used_without_import,
    pinned_for,
    used_by_entry_points,
)


def _relaxed(statement: ImportStatement) -> str | None:
    if statement.optional:
        return "inside try/except ImportError"
    if statement.type_checking:
        return "under if TYPE_CHECKING"
    return None


def import_findings(
    usage: Usage, index: ModuleIndex, *, declarations: list[Declaration], environment: Environment | None,
    installed: Installed | None, project_name: str | None, check_unused: bool,
    used_without_import: Iterable[str] = (), environment_label: str | None = None, root: Path | None = None,
    incomplete: bool = False, scopes: Scopes | None = None, pyproject_toml: TomlFile | None = None,
    lock: Lock | None = None,
) -> list[Finding]:
    """VS301, VS302, VS303 and VS304 for one project. ``environment_label`` is how messages name the venv;
    ``root`` the project's folder (a declaration read from an included file outside it belongs to another
    project: it is never this project's unused dependency). ``incomplete``: some of the project's declarations
    could not be read (computed at build time, VS209), so "not declared" cannot be known: no VS302.
    ``scopes``: which files are package code (VS304 is only about those; without it, none is).
    ``pyproject_toml``: the project's, as the check read it (a uv workspace's members; else read when needed).
    ``lock``: the project's lock, whose dependency graph tells what users of the package get through its main
    dependencies (VS304's "only as a dependency of"; the venv's ``Requires-Dist`` when there is no lock)."""
    out: list[Finding] = []
    python = environment.python if environment is not None else None
    # the sets a tool installs in environments of its own (Hatch's, tox's) declare for the code that tool runs
    # (tests, docs, scripts), never for package code: it is judged by the project's own sets alone (and never
    # VS304 on their word)
    own = [d for d in declarations if not in_separate_environment(d)]
    development = _DevelopmentOnly(own, root, scopes, lambda: _requirers(lock, index, python))
    in_tests = (lambda path: scopes.of(path) == "tests") if scopes is not None else None
    worlds = [_World(declarations, index, project_name, Trust(usage, index, python, in_tests, root, pyproject_toml))]
    if len(own) < len(declarations) and scopes is not None:
        worlds.append(_World(own, index, project_name, Trust(usage, index, python, in_tests, root, pyproject_toml)))
    trust = worlds[0].trust
    how: dict[str, str] = {}  # distribution → how it was installed, for its VS302 messages
    # one Range object for every import at the same place (`import os` on line 3 of many files)
    ranges: dict[tuple[int, int, int, int], Range] = {}

    def shared_range(s: ImportStatement) -> Range:
        key = (s.line, s.column, s.end_line, s.end_column)
        found = ranges.get(key)
        if found is None:
            found = ranges[key] = Range(Position(s.line, s.column), Position(s.end_line, s.end_column))
        return found

    reported_missing: set[tuple[Path, int, str]] = set()
    usable = environment is not None and installed is not None and not environment.problems
    for item in usage.third_party:
        world = worlds[1] if len(worlds) > 1 and development.in_package(item.file) else worlds[0]
        declared, declared_modules, trust, missing, settled = (
            world.declared, world.modules, world.trust, world.missing, world.settled)
        providers = item.providers
        if providers and settled.get(id(providers)):
            continue
        if not providers:
            statement = item.statement
            relaxed = _relaxed(statement)
            if development.active:
                dev_only = development.of_module(item, declared_modules)
                if dev_only is not None and development.in_package(item.file) and not relaxed:
                    # package code importing what only developers install: that is the problem (VS304, which
                    # needs no venv), not that this venv lacks it (an optional import is no problem of users:
                    # the package runs without it; what this venv lacks is said below, as for any import)
                    key = (item.file, statement.line, item.top)
                    if not statement.type_checking and key not in reported_missing:
                        reported_missing.add(key)
                        lazy = item.top in trust.optional()
                        out.append(_dev_only_import(item, dev_only, relaxed, shared_range(statement),
                                                    installed=False, through=development.through(dev_only),
                                                    elsewhere=lazy))
                    continue
            if not usable:
                if environment is None and not incomplete:  # what needs no venv: is it declared at all?
                    undeclared = trust.undeclared_without_venv(item, declared_modules, project_name, relaxed)
                    key = (item.file, statement.line, item.top)
                    if undeclared is not None and key not in reported_missing:
                        reported_missing.add(key)
                        out.append(undeclared)
                continue  # VS101/VS104 stand for the rest
            assert environment is not None
            key = (item.file, statement.line, item.top)
            if key in reported_missing:
                continue
            reported_missing.add(key)
            # one message, package and data for every import of a module (a large project has thousands)
            described = missing.get((item.target, item.module, relaxed))
            if described is None:
                described = missing[(item.target, item.module, relaxed)] = _missing(
                    item, relaxed, declared_modules, index, environment_label or environment.name, trust)
            message, package, data, wanted = described
            severity = Severity.HINT if relaxed else None
            if relaxed is None:  # the facts of `rules.trust` that make it no error
                if wanted is None and trust.silent(item):
                    continue
                lowered = trust.lowered(item, wanted)
                if lowered is not None:
                    message, severity = f"{message}; {lowered}", Severity.HINT
            # an import that only a secondary set (tests, docs, an extra) declares: that set is not installed, a
            # problem at the set's level
            secondary = wanted is not None and not wanted.primary
            out.append(make_shared("VS301", message, item.file, shared_range(statement), data, package=package,
                                   severity=severity, secondary=secondary,
                                   declaration_set=wanted.declaration_set if secondary and wanted else None))
            continue
        if incomplete or any(p.distribution in declared for p in providers) or all(
                is_typing_only(p.distribution) for p in providers):
            dev_only = development.of_providers(providers) if development.active else None
            if dev_only is None:
                settled[id(providers)] = True
            elif (development.in_package(item.file) and not item.statement.type_checking
                  and not _relaxed(item.statement)):
                lazy = item.top in trust.optional()
                out.append(_dev_only_import(item, dev_only, _relaxed(item.statement),
                                            shared_range(item.statement), installed=True,
                                            through=development.through(dev_only), elsewhere=lazy))
            continue
        provider = item.providers[0]
        statement = item.statement
        relaxed = _relaxed(statement)
        why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
        installed_how = how.get(provider.distribution)
        if installed_how is None:
            installed_how = how[provider.distribution] = _how_installed(provider, index, python)
        finding = make(
            "VS302", f"'{item.module}' is imported but not declared "
            f"({installed_how}){why}",
            item.file, shared_range(statement), package=provider.distribution, module=item.module,
            distribution=provider.name, installed=provider.installed.version if provider.installed else None,
        )
        # the weaker form, as for VS301: the code runs without it
        out.append(finding.with_severity(Severity.HINT) if relaxed else finding)
    if check_unused and usage.scanned:
        out.extend(_unused(usage, index, [d for d in declarations if not worlds[0].trust.excluded(d)], project_name,
                           tuple(used_without_import), python, root, pyproject_toml))
    return out


class _World:
    """What one set of declarations says about imports, with the caches of its answers: every file's (all the
    project's sets), and package code's when some sets are a tool's own environments (``import_findings``)."""

    __slots__ = ("declared", "missing", "modules", "settled", "trust")

    def __init__(self, declarations: list[Declaration], index: ModuleIndex, project_name: str | None,
                 trust: Trust) -> None:
        self.trust = trust
        self.declared = {d.normalized for d in declarations if d.normalized}
        if project_name:
            self.declared.add(canonicalize_name(project_name))
        self.modules = _DeclaredModules()
        for declaration in declarations:
            if declaration.normalized:
                for module in _declared_modules(declaration, index):
                    self.modules.setdefault(module, declaration)
        # one VS301 description per module imported (a large project imports one module thousands of times)
        self.missing: dict[tuple[str, str, str | None], tuple[str, str | None, dict[str, Any], Declaration | None]] = {}
        # id(providers) → declared or typing-only: nothing to report (the tuples are shared)
        self.settled: dict[int, bool] = {}


class _DevelopmentOnly:
    """Which imports only a development set declares (VS304), and which files are package code, each answered
    once per check. ``active``: the project declares something for development and has scopes."""

    __slots__ = ("_by_name", "_files", "_modules", "_providers", "_requirers", "_root", "_runtime", "_scopes",
                 "_through", "_tops", "active")

    def __init__(self, declarations: list[Declaration], root: Path | None, scopes: Scopes | None,
                 requirers: Callable[[], Mapping[str, frozenset[str]]] | None = None) -> None:
        self._root = root
        self._scopes = scopes
        self._requirers = requirers
        self._runtime: frozenset[str] | None = None
        self._through: dict[str, tuple[str, ...]] = {}
        self._by_name: dict[str, list[Declaration]] = {}
        for declaration in declarations:
            if declaration.normalized and not declaration.transitive:
                self._by_name.setdefault(declaration.normalized, []).append(declaration)
        self.active = scopes is not None and any(
            development_only(d, root) for found in self._by_name.values() for d in found)
        self._files: dict[Path, bool] = {}
        self._providers: dict[int, Declaration | None] = {}
        self._modules: dict[tuple[str, str], Declaration | None] = {}
        self._tops: set[str] | None = None

    def in_package(self, path: Path) -> bool:
        answer = self._files.get(path)
        if answer is None:
            assert self._scopes is not None
            # vendored code (pip's `_vendor`) is shipped, but its imports are another project's to guard
            answer = self._files[path] = self._scopes.of(path) == "package" and not vendored(path, self._root)
        return answer

    def _only(self, name: str) -> Declaration | None:
        """The first development declaration of ``name`` when every declaration of it is one; else ``None``."""
        found = self._by_name.get(name)
        if not found or not all(development_only(d, self._root) for d in found):
            return None
        return found[0]

    def of_providers(self, providers: tuple[Provider, ...]) -> Declaration | None:
        """For an installed import: the development declaration when the providers the project declares are
        declared only for development."""
        key = id(providers)  # the tuples are shared by every import of one module
        if key not in self._providers:
            declared = [p.distribution for p in providers if p.distribution in self._by_name]
            only = [self._only(name) for name in declared]
            self._providers[key] = only[0] if only and all(only) else None
        return self._providers[key]

    def through(self, declaration: Declaration) -> tuple[str, ...]:
        """The main declarations through which users of the package get ``declaration``'s distribution anyway
        (it is a dependency of theirs, at any depth, by the lock's graph or the venv's ``Requires-Dist``);
        ``()`` when none does or nothing tells."""
        name = declaration.normalized
        found = self._through.get(name)
        if found is None:
            if self._runtime is None:
                self._runtime = frozenset(
                    other for other, declared in self._by_name.items()
                    if any(not development_only(d, self._root) and not d.declaration_set.startswith("extra ")
                           for d in declared))
            requirers = self._requirers() if self._requirers is not None and self._runtime else {}
            found = self._through[name] = _reached_from(name, self._runtime, requirers)
        return found

    def of_module(self, item: ClassifiedImport, declared_modules: Mapping[str, Declaration]) -> Declaration | None:
        """For an import nothing installed provides: the development declaration when the declaration that
        would provide it (``_declared_for``) is declared only for development."""
        if self._tops is None:  # the top-level names development-only declarations provide: most imports are not
            self._tops = {module.partition(".")[0] for module, declaration in declared_modules.items()
                          if self._only(declaration.normalized)}
        if item.top not in self._tops:
            return None
        key = (item.target, item.module)
        if key not in self._modules:
            wanted = _declared_for(item, declared_modules)
            self._modules[key] = self._only(wanted.normalized) if wanted is not None else None
        return self._modules[key]


def _dev_only_import(item: ClassifiedImport, declaration: Declaration, relaxed: str | None, range_: Range, *,
                     installed: bool, through: tuple[str, ...] = (), elsewhere: bool = False) -> Finding:
    """VS304: package code imports a distribution the project declares only for development (never for an
    optional import: the package runs without it). ``through``: the main declarations that bring it to users
    anyway (then they have it, but only as long as those keep requiring it). ``elsewhere``: a module the project
    imports as optional in another place (try/except ImportError, a guard, ``find_spec``): a hint, as VS301 and
    VS302 are (sentry-python's integrations import the framework they integrate where they use it, scrapy its
    HTTP/2 modules' ``h2``)."""
    why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
    if elsewhere and not relaxed:
        why = "; the project imports it as optional elsewhere, so it is one the package can run without"
    absent = "" if installed else ", and it is not installed"
    users = (f"users of the package get it only as a dependency of {', '.join(through)}" if through
             else "users of the package will not have it")
    finding = make(
        "VS304", f"'{item.module}' is imported by package code, but '{declaration.name}' is declared only for "
        f"development ({declaration.declaration_set}){absent}: {users}{why}",
        item.file, range_, package=declaration.normalized, module=item.module,
        declared_in=declaration.declaration_set,
    )
    return finding.with_severity(Severity.HINT) if relaxed or elsewhere else finding


def _requirers(lock: Lock | None, index: ModuleIndex, python: str | None) -> Mapping[str, frozenset[str]]:
    """Distribution → the distributions that require it (canonical names): from the lock's graph when the
    project has a lock that reads (every resolution's entries, their required dependencies, not extras or
    groups), else from the venv's installed ``Requires-Dist`` (``ModuleIndex.dependents``)."""
    found: dict[str, set[str]] = {}
    if lock is not None and lock.error is None and lock.packages:
        for package in lock.packages:
            parent = canonicalize_name(package.name)
            for dependency in package.dependencies:
                found.setdefault(canonicalize_name(dependency.name), set()).add(parent)
    else:
        for name, parents in index.dependents(python).items():
            found[name] = {parent for parent, extra in parents if extra is None}
    return {name: frozenset(parents) for name, parents in found.items()}


def _reached_from(name: str, runtime: frozenset[str], requirers: Mapping[str, frozenset[str]]) -> tuple[str, ...]:
    """The distributions of ``runtime`` from which ``name`` is reached through ``requirers`` (sorted, at most
    three), walking up from ``name``."""
    if not runtime:
        return ()
    seen = {name}
    pending = [name]
    reached: set[str] = set()
    while pending:
        for parent in requirers.get(pending.pop(), ()):
            if parent in runtime:
                reached.add(parent)
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    return tuple(sorted(reached))[:3]


def _declared_modules(declaration: Declaration, index: ModuleIndex) -> tuple[str, ...]:
    """The import names a declaration provides; for a distribution that is not installed also its own name as
    the declaration spells it (``pyArango`` → ``pyArango``), as import names are case-sensitive."""
    modules = index.distribution_modules(declaration.normalized)
    if index.installed_distribution(declaration.normalized) is not None:
        return modules
    spelled = declaration.name.strip().replace("-", "_").replace(".", "_")
    return modules if spelled in modules or not spelled.isidentifier() else (*modules, spelled)


def _missing(item: ClassifiedImport, relaxed: str | None, declared_modules: Mapping[str, Declaration],
             index: ModuleIndex, label: str, trust: Trust | None = None,
             ) -> tuple[str, str | None, dict[str, Any], Declaration | None]:
    """A VS301's message, package to install, data and the declaration that names it (when one does), for an
    import of a module that is not installed."""
    wanted = _declared_for(item, declared_modules)
    if wanted is None and trust is not None:
        wanted = trust.declared_otherwise(item, declared_modules)
    package: str | None
    if wanted is not None:
        suggestion = f" (declared as {wanted.requirement.strip() or wanted.name} in {wanted.declaration_set})"
        package = wanted.normalized
    else:
        providers = index.providers(item.target)
        suggestion = _suggestion(providers)
        package = _suggested_package(providers)
    why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
    message = f"'{item.module}' is imported but not installed in {label}{suggestion}{why}"
    return message, package, {"module": item.module}, wanted


def _declared_for(item: ClassifiedImport, declared_modules: Mapping[str, Declaration]) -> Declaration | None:
    """The declaration whose distribution would provide this import, when one does: the one providing the
    longest name at or above the import (``pytest`` for ``import pytest``, not ``pytest-asyncio`` whose
    ``pytest.asyncio`` lies under it); a name only under the import (a namespace portion) is the last resort."""
    best: Declaration | None = None
    best_rank = (-1, 0)
    # (only a module of the same top-level name can be at, above or under either name)
    entries = declared_modules.under(item.target, item.module) if isinstance(declared_modules, _DeclaredModules) \
        else declared_modules.items()
    for module, declaration in entries:
        for name in (item.target, item.module):
            if name == module or name.startswith(module + "."):
                rank = (1, module.count("."))
            elif module.startswith(name + "."):
                rank = (0, -module.count("."))
            else:
                continue
            if rank > best_rank:
                best, best_rank = declaration, rank
    return best


class _DeclaredModules(dict[str, Declaration]):
    """Declared module → the declaration naming it (the first one), and the same entries by their module's
    top-level name, grouped on first use (an import is compared with its own top's few, not with every module
    a workspace declares)."""

    _groups: dict[str, list[tuple[int, str, Declaration]]] | None = None

    def under(self, *names: str) -> list[tuple[str, Declaration]]:
        """The entries whose module has the top-level name of one of ``names`` (dotted), in the mapping's order."""
        groups = self._groups
        if groups is None:
            groups = self._groups = {}
            for number, (module, declaration) in enumerate(self.items()):
                groups.setdefault(module.partition(".")[0], []).append((number, module, declaration))
        tops = dict.fromkeys(name.partition(".")[0] for name in names)
        found = [entry for top in tops for entry in groups.get(top, ())]
        if len(tops) > 1:
            found.sort(key=lambda entry: entry[0])
        return [(module, declaration) for _, module, declaration in found]


def _suggestion(providers: list[Provider]) -> str:
    if not providers:
        return ""
    provider = providers[0]
    if provider.how == "guess":
        return f" (probably provided by '{provider.name}' — a guess from the name)"
    names = " or ".join(p.name for p in providers)
    return f" ({names} provides it)"


def _suggested_package(providers: list[Provider]) -> str | None:
    return providers[0].distribution if providers else None


def _how_installed(provider: Provider, index: ModuleIndex, python: str | None) -> str:
    """How the providing distribution came into the venv: another installed distribution's ``Requires-Dist``
    (markers evaluated for the venv) decides "only as a dependency of X"; a ``REQUESTED`` file only breaks the
    tie when nothing requires it (uv writes one for every package it installs)."""
    dist = provider.installed
    if dist is None:
        return f"provided by {provider.name}"
    what = f"installed: {dist.name} {dist.version}"
    parents = sorted({index.installed_name(parent) for parent, _ in index.dependents(python).get(dist.normalized, ())})
    if parents:
        return f"{what}, only as a dependency of {', '.join(parents)}"
    if dist.editable:  # `pip install -e .` of a project (often the enclosing one): not a package added by hand
        return f"{what}, installed editable"
    if dist.requested:
        return f"{what}, installed by hand"
    return what


def _has_sources(root: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether the project holds a file with one of ``suffixes`` (its own files: git's ignore rules, venvs and
    tool folders skipped)."""
    return any(name.endswith(suffixes) for listing in walk(root) for name in listing.files)


def _pins_of_an_in_file(path: Path, known: dict[Path, bool]) -> bool:
    """A ``requirements.txt`` compiled from the ``requirements.in`` beside it: the ``.in`` holds the direct
    declarations, so unused-dependency findings belong there, not on the pins."""
    if path not in known:
        known[path] = path.suffix == ".txt" and path.with_suffix(".in").is_file()
    return known[path]


def _unused(usage: Usage, index: ModuleIndex, declarations: list[Declaration], project_name: str | None,
            extra_allowed: tuple[str, ...], python: str | None, root: Path | None,
            pyproject_toml: TomlFile | None = None) -> list[Finding]:
    third_party = usage.third_party
    imported = {item.target for item in third_party}
    imported |= {item.module for item in third_party}
    imported |= usage.inactive_modules()  # gated out for this venv's Python or platform: still a use
    used_distributions = {p.distribution for item in third_party for p in item.providers}
    used = DottedNames(imported)
    own = canonicalize_name(project_name) if project_name else None
    seen: set[tuple[Path, Range]] = set()
    locked: dict[Path, bool] = {}
    outside: dict[Path, bool] = {}
    candidates: list[tuple[Declaration, tuple[str, ...]]] = []
    for declaration in declarations:
        name = declaration.normalized
        if not name or declaration.transitive or name == own or declaration.kind == "editable":
            continue
        if declaration.declaration_set == HATCH_TEST_DEFAULTS or declaration.declaration_set.startswith(TOX_ENV):
            continue  # hatch's own choice, not the project's word; tox's deps are also what its commands run
        if (declaration.file, declaration.range) in seen or _pins_of_an_in_file(declaration.file, locked):
            continue
        seen.add((declaration.file, declaration.range))
        if root is not None and _outside(declaration.file, root, outside):
            continue  # included from another project's file (`-r ../requirements.txt`): that project's
        if name in used_distributions or is_typing_only(name) or _used_without_import(name, extra_allowed):
            continue
        modules = _declared_modules(declaration, index)
        if any(used.covers(module) for module in modules):
            continue
        candidates.append((declaration, modules))
    if candidates:
        candidates = _not_used_by_metadata(candidates, index, declarations, python)
    if candidates:
        by_string = DottedNames(string_imports(usage.scanned))
        if by_string:
            candidates = [(d, modules) for d, modules in candidates
                          if not any(by_string.covers(module) for module in modules)]
    if candidates and root is not None:  # named in settings, URLs, entry points, commands, tool configs
        named = used_by_name(root, usage, ((d.normalized, modules) for d, modules in candidates))
        candidates = [(d, modules) for d, modules in candidates if named.use_of(d.normalized, modules) is None]
    if candidates and root is not None:  # a compiler with sources to compile (`cython` and `.pyx` files)
        candidates = [(d, modules) for d, modules in candidates
                      if not (d.normalized in COMPILED_SOURCES and _has_sources(root, COMPILED_SOURCES[d.normalized]))]
    if candidates and root is not None:  # a workspace root's declarations serve its members' code too; a nested
        # project importing the project around it (Sphinx autodoc) needs what that one imports
        by_members = DottedNames(imported_by_workspace_members(root, pyproject_toml)
                                 | imported_by_enclosing_project(root, usage.scanned)
                                 | imported_by_doc_examples(root, usage.scanned))
        if by_members:
            candidates = [(d, modules) for d, modules in candidates
                          if not any(by_members.covers(module) for module in modules)]
    return [make(
        "VS303", f"'{declaration.name}' is declared but never imported"
        + ("" if declaration.primary else f" ({declaration.declaration_set})"),
        declaration.file, declaration.range, package=declaration.normalized, secondary=not declaration.primary,
        declaration_set=declaration.declaration_set, modules=list(modules),
    ) for declaration, modules in candidates]


@functools.lru_cache(maxsize=4096)
def _used_without_import(name: str, extra_allowed: tuple[str, ...]) -> bool:
    """``is_used_without_import``, once per name and settings in the process (its globs are matched one by one;
    a workspace's projects ask about the same names)."""
    return is_used_without_import(name, extra_allowed)


def _outside(path: Path, root: Path, known: dict[Path, bool]) -> bool:
    if path not in known:
        try:
            path.relative_to(root)
            known[path] = False
        except ValueError:
            known[path] = True
    return known[path]


def _not_used_by_metadata(candidates: list[tuple[Declaration, tuple[str, ...]]], index: ModuleIndex,
                          declarations: list[Declaration], python: str | None,
                          ) -> list[tuple[Declaration, tuple[str, ...]]]:
    """The candidates that installed metadata does not show in use: a command or a plugin (its entry points), or
    a library another declared and installed distribution requires (``Requires-Dist``, also through an extra
    the project asks for)."""
    extras: dict[str, set[str]] = {}
    for declaration in declarations:
        if declaration.normalized and index.installed_distribution(declaration.normalized) is not None:
            extras.setdefault(declaration.normalized, set()).update(canonicalize_name(e) for e in declaration.extras)
    dependents = index.dependents(python) if extras else {}
    # declared distributions that are not installed: what they require is unknown here
    absent = sorted({d.normalized for d in declarations
                     if d.normalized and index.installed_distribution(d.normalized) is None})
    left: list[tuple[Declaration, tuple[str, ...]]] = []
    for declaration, modules in candidates:
        name = declaration.normalized
        if used_by_entry_points(index.entry_point_groups(name)):
            continue
        if any(parent in extras and (extra is None or extra in extras[parent])
               for parent, extra in dependents.get(name, ())):
            continue
        # a cap or exclusion (`werkzeug<2.1.0`) or a pin commonly made for a declared tool (`docutils` beside
        # Sphinx), where that tool is not installed to say whether it requires it
        if absent and (is_constraint(declaration.specifier) or pinned_for(name, absent) is not None):
            continue
        left.append((declaration, modules))
    return left
