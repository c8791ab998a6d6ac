"""The environment rules: VS101 no-environment, VS102 foreign-environment, VS103 python-version-mismatch,
VS104 broken-environment, VS105 duplicate-installation — the project's venv against the project."""

from __future__ import annotations

import os
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.caches import MemoryCache
from venvsense.environment import Environment, in_project_environments
from venvsense.findings import Finding, make
from venvsense.model import ProjectModel, relative_path
from venvsense.text import START, Range


def environment_label(env: Environment, root: Path) -> str:
    """How messages name a venv: ``.venv`` inside the project, else a short path (``../project-a/.venv``)."""
    if inside(env.path, root):
        return os.path.relpath(env.path, root) if env.path.parent != root else env.name
    relative = os.path.relpath(env.path, root)
    if relative.count("..") <= 2:
        return relative
    home = str(Path.home())
    text = str(env.path)
    return "~" + text[len(home):] if text.startswith(home + os.sep) else text


# one call per finding: resolving both paths each time (two realpath walks, ~60 µs) made 280 VS201s cost
# 17 ms per check, each keystroke in the language server
_labels: MemoryCache[tuple[Path, str, Path, str], str] = MemoryCache(
    name="rules.environment.labels",
    key="venv path, venv name, project root, home folder",
    invalidation="none: a symbolic link changed under a venv or project path keeps its old label",
    owner="the process",
    limit=256,
)


def venv_label(env: Environment, root: Path) -> str:
    """``environment_label``, remembered."""
    key = (env.path, env.name, root, str(Path.home()))
    label = _labels.get(key)
    if label is None:
        label = _labels.put(key, environment_label(env, root))
    return label


def inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def anchor(model: ProjectModel) -> tuple[Path, Range]:
    """Where a project-level finding is shown: the first declaration of the main manifest, else its start."""
    for manifest in model.sets:
        if manifest.declarations:
            first = manifest.declarations[0]
            return first.file, first.range
    if model.sets:
        return model.sets[0].path, START
    if model.python_version_file:
        return model.python_version_file.path, START
    return model.root / "pyproject.toml", START


def declared_at(model: ProjectModel, normalized: str) -> tuple[Path, Range] | None:
    for declaration in model.declarations:
        if declaration.normalized == normalized:
            return declaration.file, declaration.range
    return None


def environment_findings(model: ProjectModel) -> list[Finding]:
    """VS101 no-environment, VS102 foreign-environment, VS103 python-version-mismatch, VS104 broken,
    VS105 duplicate-installation."""
    out: list[Finding] = []
    env = model.environment
    root = model.root
    if env is None:
        if model.declarations:
            # once per project, on the first declaration of the main manifest
            file, where = anchor(model)
            manifests = ", ".join(dict.fromkeys(relative_path(m.path, root) for m in model.sets if m.declarations))
            out.append(make(
                "VS101",
                f"this project declares dependencies ({manifests}) but has no virtual environment: create one "
                "with `venvsense create` (a .venv in the project folder)",
                file, where, package=None,
            ))
        return out
    file, where = anchor(model)
    own = [p for p in in_project_environments(root) if p.resolve() != env.path.resolve()]
    if env.source in ("VIRTUAL_ENV", "configured") and not inside(env.path, root) and not inside(
        root, env.path.parent
    ):
        if own:
            detail = f"this project has its own {own[0].name}"
        else:
            detail = "this project should have its own (create it with `venvsense create`)"
        via = "VIRTUAL_ENV points at" if env.source == "VIRTUAL_ENV" else "the configured venv is"
        out.append(make("VS102", f"{via} {env.path}, which belongs to another project; {detail}",
                        file, where, environment=str(env.path)))
    elif env.source in ("in-project", "enclosing-project"):
        active = model.environ.get("VIRTUAL_ENV")
        owner = root if env.source == "in-project" else env.path.parent
        whose = f"this project's own {env.name}" if env.source == "in-project" else (
            f"the enclosing project's {venv_label(env, root)}")
        if active and not inside(Path(active), owner) and not inside(owner, Path(active).parent):
            out.append(make(
                "VS102",
                f"VIRTUAL_ENV points at {active}, which belongs to another project; {whose} "
                "is checked instead — activate it in your terminal",
                file, where, environment=active,
            ))
    label = venv_label(env, root)
    for problem in env.problems:
        out.append(make("VS104", f"{label} is broken: {problem}", file, where, environment=str(env.path)))
    if env.python:
        out.extend(_python_version_findings(model, env.python, label))
    if model.installed is not None:
        for name, copies in model.installed.duplicates.items():
            where_file, where_range = declared_at(model, name) or (file, where)
            versions = ", ".join(d.version for d in copies)
            out.append(make(
                "VS105", f"{name} is installed more than once in {label} ({versions}): "
                "imports will see only one of them; reinstall it", where_file, where_range, package=name,
            ))
    return out


def _python_version_findings(model: ProjectModel, python: str, label: str) -> list[Finding]:
    out: list[Finding] = []
    pvf = model.python_version_file
    if pvf and pvf.versions:
        wanted, where = pvf.versions[0]
        if _version_matches(python, wanted) is False:
            out.append(make(
                "VS103", f"{label} was built with Python {python} but .python-version asks for {wanted}",
                pvf.path, where, wanted=wanted, installed=python,
            ))
    for manifest in model.sets:
        if manifest.requires_python is None:
            continue
        spec, path, where = manifest.requires_python
        try:
            ok = SpecifierSet(spec).contains(python, prereleases=True)
        except InvalidSpecifier:
            continue
        if not ok:
            out.append(make(
                "VS103", f"{label} was built with Python {python} but requires-python is {spec!r}",
                path, where, wanted=spec, installed=python,
            ))
    return out


def _version_matches(actual: str, wanted: str) -> bool | None:
    """``3.12`` matches any 3.12.x; ``3.12.2`` only itself; ``None`` when ``wanted`` is not CPython X.Y[.Z]."""
    parts = wanted.strip().split(".")
    if not (1 < len(parts) <= 3 and all(p.isdigit() for p in parts)):
        return None
    return actual.split(".")[: len(parts)] == parts
