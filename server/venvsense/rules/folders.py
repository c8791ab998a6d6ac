"""A folder with no manifest (``model.discovery: Project.manifestless``): its imports are all it says about what it
needs. Without a venv, VS101 stands on its first third-party import, naming the distributions to install (the
module → distribution mapping); with one, what the venv provides is not "undeclared" import by import (nothing is
declared anywhere) but one information VS302 on the first such import, whose fix writes a requirements file from
the venv (``venvsense freeze``)."""

from __future__ import annotations

from venvsense.classify import ClassifiedImport, Usage
from venvsense.findings import Finding, Severity, make
from venvsense.mapping import ModuleIndex
from venvsense.model import ProjectModel
from venvsense.text import Position, Range

_UNDECLARED = "VS302"


def _counted(item: ClassifiedImport) -> bool:
    """An import the folder's code needs to run: not optional, not for type checkers only."""
    statement = item.statement
    return not (statement.optional or statement.type_checking)


def needed_distributions(usage: Usage, index: ModuleIndex) -> list[tuple[str, ClassifiedImport]]:
    """The distributions (as their source spells them) the folder's third-party imports need, each with its first
    import, in file order: the installed provider, else the mapping's answer (configured, curated, a guess)."""
    found: dict[str, tuple[str, ClassifiedImport]] = {}
    for item in usage.third_party:
        if not _counted(item):
            continue
        providers = list(item.providers) or index.providers(item.target)
        if not providers:
            continue
        provider = providers[0]
        if provider.distribution not in found:
            found[provider.distribution] = (provider.name or provider.distribution, item)
    return sorted(found.values(), key=lambda pair: (str(pair[1].file), pair[1].statement.line,
                                                   pair[1].statement.column))


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def manifestless_findings(model: ProjectModel, usage: Usage, index: ModuleIndex,
                          found: list[Finding]) -> list[Finding]:
    """``found`` for a folder with no manifest: its per-import VS302s replaced by one finding for the folder
    (VS101 without a venv, an information VS302 with one); ``found`` as it is for any other project."""
    if not model.project.manifestless or model.project.single_manifest is not None:
        return found
    kept = [finding for finding in found if finding.code != _UNDECLARED]
    env = model.environment
    if env is None:
        needed = needed_distributions(usage, index)
        if not needed:
            return kept
        names = [name for name, _ in needed]
        first = needed[0][1]
        verb = "is" if len(names) == 1 else "are"
        kept.append(make(
            "VS101", f"{_listed(names)} {verb} imported and there is no venv: create one with `venvsense create` "
            f"(a .venv in this folder, with {'it' if len(names) == 1 else 'them'} installed)",
            first.file, _range(first), package=None, packages=names, manifestless=True,
        ))
        return kept
    if model.installed is None or env.problems:
        return kept
    installed = [(name, item) for name, item in needed_distributions(usage, index) if item.providers]
    if not installed:
        return kept
    names = [name for name, _ in installed]
    first = installed[0][1]
    verb = "is" if len(names) == 1 else "are"
    kept.append(make(
        _UNDECLARED, f"{_listed(names)} {verb} imported from {env.name} and no requirements file names "
        f"{'it' if len(names) == 1 else 'them'}: write one with `venvsense freeze`",
        first.file, _range(first), package=None, packages=names, manifestless=True,
    ).with_severity(Severity.INFORMATION))
    return kept


def _range(item: ClassifiedImport) -> Range:
    statement = item.statement
    return Range(Position(statement.line, statement.column), Position(statement.end_line, statement.end_column))
