"""VS210 newer-version (off unless ``check-outdated``): a declaration whose newest compatible version on the
project's package index is newer than the installed one.

"Compatible" is what an installer would pick for this venv regardless of the declared specifier: not yanked, a
final release (a pre-release only when the installed version is one), and a ``Requires-Python`` that the venv's
Python meets. The rule reads only the index answers already cached on disk (``venvsense.index``): it never asks
an index; the language server refreshes those answers in the background after a check, and ``venvsense check``
refreshes the missing or old ones before checking again (the shells decide; a check never reaches the network).
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from venvsense.environment import Environment, Installed, marker_environment
from venvsense.findings import Finding, make
from venvsense.model import ProjectModel
from venvsense.rules.declarations import marker_holds, satisfies


def outdated_findings(model: ProjectModel, env: Environment, installed: Installed) -> list[Finding]:
    if not model.settings.check_outdated:
        return []
    # imported here: the index client (urllib, http.client, email, ssl) is for this opt-in rule only, not for
    # every check's start-up (tests/test_startup_imports.py keeps it so)
    from venvsense.index import DiskCache, IndexService, indexes_of, newest_compatible

    cache = DiskCache.default(model.environ)
    if cache is None:
        return []
    pyproject = model.pyproject_toml.data if model.pyproject_toml is not None else None
    indexes = indexes_of(model.sets, pyproject, model.environ)
    if not indexes:
        return []
    service = IndexService(cache)
    markers = marker_environment(env.python)
    out: list[Finding] = []
    for declaration in model.declarations:
        if declaration.kind != "registry" or not declaration.normalized or declaration.transitive \
                or not marker_holds(declaration.marker, markers):
            continue
        dist = installed.distributions.get(declaration.normalized)
        if dist is None:
            continue
        try:
            current = Version(dist.version)
        except InvalidVersion:
            continue
        newest = newest_compatible(service.versions(indexes, declaration.name).releases, env.python,
                                   prereleases=current.is_prerelease)
        if newest is None or newest.version <= current:
            continue
        allowed = satisfies(declaration.specifier, str(newest.version))
        note = "" if allowed else f"; the declared {declaration.specifier} does not allow it"
        out.append(make(
            "VS210", f"{dist.name} {newest.version} is available (installed {dist.version}{note})",
            declaration.file, declaration.range, package=declaration.normalized, secondary=not declaration.primary,
            declaration_set=declaration.declaration_set, installed=dist.version, newest=str(newest.version),
        ))
    return out
