"""What ``venvsense freeze`` writes: a requirements file from a project's venv — the distributions its code
imports, pinned to their installed versions (``name==version``), with a comment naming the venv and the date;
with ``transitive``, also what those require (their ``Requires-Dist`` whose markers hold, extras followed), as
installed. Read from the check's report (the import classification and the venv's metadata): nothing is run,
nothing is written here (``actions.freeze`` writes; the editor's action creates the file)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venvsense.check import ProjectReport
from venvsense.environment import Distribution, marker_environment
from venvsense.rules.environment import venv_label


class CannotFreeze(Exception):
    """Why a project's venv cannot be frozen (no venv, a broken one, imports not classified): a sentence."""


@dataclass(frozen=True)
class Pin:
    """One line of the file: ``name==version``, and why it is there (``imported``, or the distribution that
    requires it)."""

    name: str
    version: str
    normalized: str
    required_by: str | None = None

    @property
    def line(self) -> str:
        return f"{self.name}=={self.version}"


def imported_distributions(report: ProjectReport) -> list[Distribution]:
    """The installed distributions the project's code imports (not under ``if TYPE_CHECKING:`` only), each once,
    sorted by name."""
    if report.usage is None or report.installed is None:
        return []
    found: dict[str, Distribution] = {}
    for item in report.usage.third_party:
        if item.statement.type_checking:
            continue
        for provider in item.providers[:1]:
            if provider.installed is not None:
                found.setdefault(provider.installed.normalized, provider.installed)
    return sorted(found.values(), key=lambda d: d.normalized)


def pins(report: ProjectReport, *, transitive: bool = False) -> list[Pin]:
    """The pins of ``report``'s venv (see the module); raises ``CannotFreeze``."""
    env, installed = report.environment, report.installed
    if env is None:
        raise CannotFreeze(f"{report.project.root} has no venv: there is nothing to freeze (create one with "
                           "`venvsense create`)")
    if env.problems or installed is None:
        raise CannotFreeze(f"{env.path} cannot be read ({'; '.join(env.problems) or 'no site-packages'}): "
                           "there is nothing to freeze")
    if report.usage is None:
        raise CannotFreeze("import checks are off for this project (check-imports = false): what its code "
                           "imports is not known")
    direct = imported_distributions(report)
    out = [Pin(d.name, d.version, d.normalized) for d in direct]
    if not transitive:
        return out
    seen = {d.normalized for d in direct}
    markers = marker_environment(env.python)
    pending: list[tuple[Distribution, frozenset[str]]] = [(d, frozenset()) for d in direct]
    while pending:
        dist, extras = pending.pop(0)
        for requirement in _requirements(dist.requires, markers, extras):
            name = canonicalize_name(requirement.name)
            needed = installed.distributions.get(name)
            if needed is None or name in seen:
                continue
            seen.add(name)
            out.append(Pin(needed.name, needed.version, name, required_by=dist.name))
            pending.append((needed, frozenset(canonicalize_name(e) for e in requirement.extras)))
    return sorted(out, key=lambda pin: (pin.required_by is not None, pin.normalized))


def _requirements(texts: Iterable[str], markers: dict[str, str], extras: frozenset[str]) -> list[Requirement]:
    found = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or any(
                requirement.marker.evaluate({**markers, "extra": extra}) for extra in ("", *extras)):
            found.append(requirement)
    return found


def freeze_text(report: ProjectReport, *, transitive: bool = False, today: datetime.date | None = None) -> str:
    """The requirements file's text (see the module); raises ``CannotFreeze``."""
    found = pins(report, transitive=transitive)
    env = report.environment
    assert env is not None
    day = (today or datetime.date.today()).isoformat()
    python = f" (Python {env.python})" if env.python else ""
    what = ("the distributions this project's code imports and what they require" if transitive
            else "the distributions this project's code imports")
    lines = [f"# written by venvsense freeze on {day} from {venv_label(env, report.project.root)}{python}:",
             f"# {what}, pinned to their installed versions"]
    if not found:
        lines.append("# (its code imports nothing installed in the venv)")
    for pin in found:
        lines.append(pin.line if pin.required_by is None else f"{pin.line}  # required by {pin.required_by}")
    return "\n".join(lines) + "\n"
