"""Distributions a project uses without importing them: typing stubs, tools run as commands, plugins loaded by
their hosts through entry points — the lists VS303 ("declared but never imported") consults, and the documented
defaults of the ``used-without-import`` setting (docs/codes.md)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase, translate

from packaging.utils import canonicalize_name


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name (``PyYAML`` → ``pyyaml``, ``zope.interface`` →
    ``zope-interface``); ``mapping`` re-exports it."""
    return canonicalize_name(name.strip())


def is_typing_only(normalized: str) -> bool:
    """Stub-only distributions (``types-requests``, ``pandas-stubs``): they provide no runtime import."""
    name = normalize(normalized)
    return name.startswith("types-") or name.endswith("-stubs")


# Distributions a project depends on without importing them. Patterns match normalized names.
DEFAULT_NOT_IMPORTED: tuple[tuple[str, str], ...] = (
    ("types-*", "typing stubs, read by type checkers"),
    ("*-stubs", "typing stubs, read by type checkers"),
    ("pytest", "test runner, run as a command (tests import it, but conftest-only use is common)"),
    ("pytest-*", "pytest plugins, loaded by pytest through entry points"),
    ("ruff", "linter/formatter, run as a command"),
    ("black", "formatter, run as a command"),
    ("blacken-docs", "formatter, run as a command"),
    ("flake8", "linter, run as a command"),
    ("flake8-*", "flake8 plugins, loaded by flake8"),
    ("pep8-naming", "flake8 plugin, loaded by flake8"),
    ("pyflakes", "linter, run as a command"),
    ("pycodestyle", "linter, run as a command"),
    ("pydocstyle", "linter, run as a command"),
    ("pylint", "linter, run as a command"),
    ("pylint-*", "pylint plugins, loaded by pylint"),
    ("mypy", "type checker, run as a command"),
    ("pyright", "type checker, run as a command"),
    ("basedpyright", "type checker, run as a command"),
    ("pytype", "type checker, run as a command"),
    ("isort", "import sorter, run as a command"),
    ("autopep8", "formatter, run as a command"),
    ("yapf", "formatter, run as a command"),
    ("autoflake", "formatter, run as a command"),
    ("pyupgrade", "code upgrader, run as a command"),
    ("docformatter", "formatter, run as a command"),
    ("bandit", "security linter, run as a command"),
    ("safety", "vulnerability scanner, run as a command"),
    ("pip-audit", "vulnerability scanner, run as a command"),
    ("vulture", "dead-code finder, run as a command"),
    ("codespell", "spell checker, run as a command"),
    ("deptry", "dependency checker, run as a command"),
    ("pre-commit", "git hook manager, run as a command"),
    ("pre-commit-uv", "pre-commit plugin, loaded by pre-commit"),
    ("coverage", "coverage measurement, run as a command or by pytest-cov"),
    ("coverage-enable-subprocess", "starts coverage in subprocesses through a .pth file"),
    ("tox", "test environment manager, run as a command"),
    ("tox-*", "tox plugins"),
    ("nox", "session runner, run as a command (noxfile imports it)"),
    ("uvicorn", "ASGI server, started as a command"),
    ("gunicorn", "WSGI server, started as a command"),
    ("hypercorn", "ASGI server, started as a command"),
    ("daphne", "ASGI server, started as a command"),
    ("waitress", "WSGI server, started as a command"),
    ("granian", "ASGI/WSGI server, started as a command"),
    ("uwsgi", "WSGI server, started as a command"),
    ("supervisor", "process manager, run as a command"),
    ("honcho", "Procfile runner, run as a command"),
    ("setuptools", "build backend"),
    ("setuptools-scm", "build-time version plugin"),
    ("wheel", "build tool"),
    ("hatchling", "build backend"),
    ("hatch", "project manager, run as a command"),
    ("hatch-*", "hatch plugins"),
    ("flit", "build tool, run as a command"),
    ("flit-core", "build backend"),
    ("poetry", "project manager, run as a command"),
    ("poetry-core", "build backend"),
    ("poetry-plugin-*", "poetry plugins"),
    ("pdm", "project manager, run as a command"),
    ("pdm-backend", "build backend"),
    ("maturin", "build backend"),
    ("scikit-build-core", "build backend"),
    ("meson-python", "build backend"),
    ("build", "build frontend, run as a command"),
    ("cibuildwheel", "wheel builder for CI, run as a command"),
    ("pypyp", "the pyp command-line tool"),
    ("datamodel-code-generator", "code generator, run as a command (datamodel-codegen)"),
    ("twine", "upload tool, run as a command"),
    ("pip", "installer"),
    ("pip-tools", "lock tool, run as a command"),
    ("uv", "installer and project manager, run as a command"),
    ("virtualenv", "environment creator, run as a command"),
    ("pipenv", "project manager, run as a command"),
    ("bump2version", "release tool, run as a command"),
    ("bump-my-version", "release tool, run as a command"),
    ("commitizen", "release tool, run as a command"),
    ("towncrier", "changelog tool, run as a command"),
    ("ipython", "interactive shell"),
    ("ipykernel", "Jupyter kernel, started by Jupyter"),
    ("ipdb", "debugger, used interactively or via PYTHONBREAKPOINT"),
    ("debugpy", "debugger, started by the editor"),
    ("jupyter", "notebook meta-package"),
    ("jupyterlab", "notebook application"),
    ("jupyter-*", "Jupyter applications and extensions"),
    ("notebook", "notebook application"),
    ("sphinx", "documentation builder, run as a command"),
    ("sphinx-*", "Sphinx extensions and themes, named in conf.py"),
    ("sphinxcontrib-*", "Sphinx extensions, named in conf.py"),
    ("furo", "Sphinx theme, named in conf.py"),
    ("myst-parser", "Sphinx extension, named in conf.py"),
    ("mkdocs", "documentation builder, run as a command"),
    ("mkdocs-*", "MkDocs plugins and themes, named in mkdocs.yml"),
    ("mkdocstrings", "MkDocs plugin, named in mkdocs.yml"),
    ("mkdocstrings-*", "MkDocs handlers, named in mkdocs.yml"),
    ("pyinstaller", "bundler, run as a command"),
    ("nuitka", "compiler, run as a command"),
)


def _pattern(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text.strip().lower())


def is_used_without_import(normalized: str, extra_patterns: Iterable[str] = ()) -> bool:
    """Whether a distribution is expected never to be imported (``DEFAULT_NOT_IMPORTED`` plus
    ``extra_patterns``, shell-style globs over distribution names in any spelling)."""
    name = normalize(normalized)
    return _any_glob(tuple(p for p, _ in DEFAULT_NOT_IMPORTED)).match(name) is not None \
        or any(fnmatchcase(name, _pattern(p)) for p in extra_patterns)


@functools.cache
def _any_glob(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression matching what ``fnmatchcase`` matches for any of ``patterns`` (each ``translate``d
    alternative is anchored on its own): one compile and one match instead of one of each per pattern."""
    return re.compile("|".join(translate(p) for p in patterns))


# Entry point groups through which a host program loads a distribution that the project never imports: commands
# (`console_scripts`, `gui_scripts`: a tool, run as a command) and the plugin groups their hosts document (pytest
# "Writing plugins": pytest11; flake8 "Registering plugins": flake8.extension/report; Sphinx: sphinx.html_themes,
# sphinx.builders; MkDocs "Plugins"/"Themes": mkdocs.plugins/themes; pylint, tox, Hatch, PDM, Poetry plugins;
# Jupyter and nbconvert extensions; Pygments lexers/styles). fnmatch patterns over group names.
USED_BY_ENTRY_POINTS: tuple[str, ...] = (
    "console_scripts", "gui_scripts", "pytest11", "flake8.*", "sphinx.*", "mkdocs.*", "pylint.*", "tox", "hatch",
    "pdm", "poetry.*", "jupyter_*", "nbconvert.*", "pygments.*",
)


def used_by_entry_points(groups: Iterable[str]) -> bool:
    """Whether a distribution declaring these entry point groups is used without an import: a command or a
    plugin (``USED_BY_ENTRY_POINTS``)."""
    matches = _any_glob(USED_BY_ENTRY_POINTS).match
    return any(matches(group) is not None for group in groups)


def is_constraint(specifier: str) -> bool:
    """A declaration that only caps or excludes versions (``docutils!=0.18``, ``werkzeug<2.1.0``): it constrains
    what another distribution pulls in rather than declaring a dependency of the project's own code."""
    parts = [part.strip() for part in specifier.split(",") if part.strip()]
    return bool(parts) and all(part.startswith(("<", "!=")) for part in parts)


# Distributions commonly pinned beside the tool that needs them (a docs group pinning `docutils` for Sphinx, a dev
# group pinning `mypy-extensions` for mypy). Consulted only when the tool is not installed: when it is, its
# `Requires-Dist` decides. fnmatch patterns over the hosts' normalized names.
PINNED_FOR: dict[str, tuple[str, ...]] = {
    "docutils": ("sphinx", "sphinx-*", "myst-parser", "furo", "readme-renderer", "recommonmark", "sybil"),
    "mypy-extensions": ("mypy", "black", "django-stubs"),
    "virtualenv": ("tox", "hatch", "nox", "pre-commit", "pipenv"),
    "werkzeug": ("flask", "pytest-httpbin", "httpbin"),
    "jinja2": ("sphinx", "flask", "mkdocs"),
    "markupsafe": ("jinja2", "flask", "werkzeug"),
    "pygments": ("sphinx", "rich", "ipython", "pytest", "mkdocs-material"),
    "alabaster": ("sphinx",),
    "babel": ("sphinx", "flask-babel", "mkdocs-material"),
    "snowballstemmer": ("sphinx",),
}


def pinned_for(normalized: str, hosts: Iterable[str]) -> str | None:
    """The first of ``hosts`` (declared distributions that are not installed) that ``normalized`` is commonly
    pinned for (``PINNED_FOR``), if any."""
    patterns = PINNED_FOR.get(normalize(normalized), ())
    return next((host for host in hosts if any(fnmatchcase(host, p) for p in patterns)), None)


# Build-time compilers a project uses through the sources they compile rather than by an import: declared and
# nothing to compile (no such file in the project, no mention in `[build-system] requires`), they are unused —
# issue "Trusted on real projects": `cython` with no `.pyx` is reported like any other unused declaration.
COMPILED_SOURCES: dict[str, tuple[str, ...]] = {
    "cython": (".pyx", ".pxd", ".pxi"),
}
