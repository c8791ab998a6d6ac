"""Hatch's environments: ``[tool.hatch.envs.<env>]`` of ``pyproject.toml`` and ``[envs.<env>]`` of the
``hatch.toml`` beside it.

An environment's ``dependencies`` and ``extra-dependencies`` are what a developer's environment of that name
holds: a secondary set, ``hatch env '<env>'``, for development (``model.scopes.development_only``), installed by
``--with-group hatch:<env>`` like a dependency group. Hatch makes each environment apart from the project's venv,
so the venv is never judged against them (no VS201–VS203; a module only they provide that the venv lacks is a
hint). Hatch's own test environment, ``hatch-test`` (what
``hatch test`` runs in), also holds pytest with its plugins and coverage.py without a word in the file (hatch's
``env/internal/test.py``): when the project configures that environment they are declared on its table's header,
as the set ``HATCH_TEST_DEFAULTS``, which is never called unused (most projects import none of the plugins).
"""

from __future__ import annotations

from typing import Any

from venvsense.declarations import HATCH_ENV, HATCH_TEST_DEFAULTS
from venvsense.declarations.pyproject.document import PyprojectDocument
from venvsense.declarations.pyproject.positions import Key

__all__ = ["HATCH_ENV", "HATCH_TEST_DEFAULTS", "read_hatch_envs"]

# hatch 1.16's `hatch-test` dependencies (src/hatch/env/internal/test.py), without their version pins (hatch chooses)
_HATCH_TEST = ("coverage-enable-subprocess", "coverage[toml]", "pytest", "pytest-mock", "pytest-randomly",
               "pytest-rerunfailures", "pytest-xdist[psutil]")
_LISTS = ("dependencies", "extra-dependencies")


def read_hatch_envs(document: PyprojectDocument, prefix: Key) -> None:
    """The environments at ``prefix + ("envs",)`` of ``document`` (``("tool", "hatch")`` in pyproject.toml,
    ``()`` in hatch.toml)."""
    envs: Any = document.lookup((*prefix, "envs"))
    if not isinstance(envs, dict):
        return
    for env, table in envs.items():
        if not isinstance(table, dict):
            continue
        key = (*prefix, "envs", env)
        declaration_set = f"{HATCH_ENV}'{env}'"
        for name in _LISTS:
            if name in table:
                document.manifest.declarations += document.requirement_strings(
                    (*key, name), group=f"hatch:{env}", primary=False, declaration_set=declaration_set)
        if env == "hatch-test" and table.get("dependencies") is None:  # (`dependencies` replaces hatch's own)
            header = document.entry_range(key)
            for requirement in _HATCH_TEST:
                declaration = document.pep508(requirement, header, group=f"hatch:{env}", primary=False,
                                              declaration_set=HATCH_TEST_DEFAULTS)
                if declaration is not None:
                    document.manifest.declarations.append(declaration)
