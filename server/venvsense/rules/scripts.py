"""The rules of a PEP 723 script (``model.scripts``): its block's lines get what a manifest's get — VS206 for
what cannot be read, VS101 when it has no environment, VS104 when that is broken, VS103 when its Python is not
what ``requires-python`` asks, VS201–VS203 for each dependency — and its imports are judged against its own
declarations and environment (VS301–VS303) instead of the project's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.classify import Usage
from venvsense.classify.providers import ProviderLookup
from venvsense.classify.records import THIRD_PARTY, ClassifiedImport, FileImports, classified_import
from venvsense.config import Settings
from venvsense.environment import SCRIPT_VENVS, Environment
from venvsense.findings import Finding, make
from venvsense.model.scripts import ScriptScope
from venvsense.rules.declarations import judge_declarations
from venvsense.rules.environment import venv_label
from venvsense.rules.imports import import_findings


def script_label(script: ScriptScope, root: Path) -> str:
    """How messages name a script's environment."""
    env = script.environment
    if env is None:
        return "no environment"
    if env.source == "uv-script":
        return f"uv's environment for {script.name}"
    if env.source == "script-venv":
        return f"{SCRIPT_VENVS}/{env.path.name}"
    return venv_label(env, root)


def script_findings(script: ScriptScope, usage: Usage | None, settings: Settings, root: Path) -> list[Finding]:
    """Every finding of one script: its block's, its environment's, its imports' (``usage``: the project's
    classification, whose entry for the script is judged again against the script's own environment)."""
    out = list(script.manifest.findings)
    env = script.environment
    label = script_label(script, root)
    if env is None:
        if script.manifest.declarations:
            how = (f"`venvsense create {script.name}`: uv's, made by `uv sync --script`, where uv is present, "
                   f"else a venv in {SCRIPT_VENVS}/{script.path.stem} beside it")
            names = ", ".join(dict.fromkeys(d.name for d in script.manifest.declarations if d.name))
            out.append(make("VS101", f"{script.name} declares its own dependencies ({names}) in its PEP 723 block "
                            f"but has no environment: create one ({how})", script.path, script.opening,
                            package=None, script=str(script.path)))
    else:
        for problem in env.problems:
            out.append(make("VS104", f"{label} is broken: {problem}", script.path, script.opening,
                            environment=str(env.path)))
        if env.python and script.manifest.requires_python is not None:
            spec, path, where = script.manifest.requires_python
            try:
                ok = SpecifierSet(spec).contains(env.python, prereleases=True)
            except InvalidSpecifier:
                ok = True
            if not ok:
                out.append(make("VS103", f"{label} was built with Python {env.python} but the script's "
                                f"requires-python is {spec!r}", path, where, wanted=spec, installed=env.python))
        if script.installed is not None:
            out += judge_declarations(script.manifest.declarations, script.installed, env.python, label)
    if usage is not None and settings.check_imports:
        out += _import_findings(script, usage, settings, label)
    return out


def _import_findings(script: ScriptScope, usage: Usage, settings: Settings, label: str) -> list[Finding]:
    part = usage.file_imports(script.path)
    if part is None:
        return []
    lookup = ProviderLookup.of(script.installed, {k: tuple(v) for k, v in settings.module_map.items()})
    scan = part.scan
    made: list[ClassifiedImport] = []
    for index, code in enumerate(part.codes):
        if code == THIRD_PARTY:
            target, providers = lookup.third_party(scan.modules[index], scan.names[index])
            made.append(classified_import(script.path, scan, index, "third-party", target, providers))
    own = Usage({script.path: FileImports(script.path, scan, part.codes, tuple(made))}, {script.path: scan})
    env: Environment | None = script.environment
    # "declared but never imported" needs the module names of what is declared: known from the environment's
    # metadata, only guessed without one (``pydantic-ai-slim`` is imported as ``pydantic_ai``)
    found = import_findings(
        own, lookup.index, declarations=script.manifest.declarations, environment=env,
        installed=script.installed, project_name=None,
        check_unused=settings.check_unused and script.installed is not None,
        used_without_import=settings.used_without_import,
        environment_label=label if env is not None else None, root=None,
        incomplete=script.manifest.incomplete)
    return [replace(f, message=f.message.replace(_PROJECT_WORDS, _SCRIPT_WORDS)) if _PROJECT_WORDS in f.message
            else f for f in found]


_PROJECT_WORDS = "no declaration of this project provides it"
_SCRIPT_WORDS = "the script's PEP 723 block declares nothing that provides it"

