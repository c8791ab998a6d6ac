"""What a project declares: requirement entries with their exact source ranges, read from manifests.

Each reader (``requirements``, ``pyproject``, ``setupcfg``, ``setuppy``, ``pythonversion``) is total: whatever the
input, it returns a ``Manifest`` whose ``findings`` describe what could not be understood, and never
raises.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from packaging.utils import canonicalize_name

from venvsense.findings import Finding, make
from venvsense.text import START, Range, UnreadableFile, read_text

Kind = Literal["registry", "url", "path", "editable"]
MAIN = "main"

# ``normalized`` is asked for many times per declaration and check (a regular expression each time); a pure
# memo of the name alone, kept as a C-speed ``lru_cache`` (a cold read of a lock file misses on every line)
_canonical = functools.lru_cache(maxsize=16384)(canonicalize_name)


@dataclass(frozen=True, slots=True)
class Declaration:
    """One declared requirement.

    ``name`` is as written (for a path/URL entry without a name: the name found in ``#egg=``, a wheel or
    sdist file name, or ``""`` when unknown). ``group`` is ``"main"``, an extra's name or a dependency
    group's name. ``primary`` is true for the main declarations (``requirements.txt`` and what it
    includes, ``[project] dependencies``, ``install_requires``, Poetry's main dependencies); a reader
    records it as a fact, and the severity of findings about the others is decided from it elsewhere.
    ``declaration_set`` says which set, for messages (``requirements.txt``, ``requirements-dev.txt``,
    ``extra 'test'``, ``group 'lint'``).
    ``requirement`` is the PEP 508 text of the entry (Poetry constraints already translated).
    ``transitive`` is true for a pin in a compiled lock file that is there only ``# via`` another package.
    """

    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    kind: Kind
    url: str | None
    file: Path
    range: Range
    group: str
    primary: bool
    declaration_set: str
    requirement: str
    transitive: bool = False
    # the canonical name (PEP 503), ``""`` without a name: computed once (a check asks for it many times)
    normalized: str = field(init=False, repr=False, compare=False)
    # the hash, computed once: a keystroke's re-check looks 300 declarations up by value (hashing every field,
    # ranges and paths included, each time cost more than judging them)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized", _canonical(self.name) if self.name else "")
        object.__setattr__(self, "_hash", hash((self.name, self.specifier, self.extras, self.marker, self.kind,
                                                self.url, self.file, self.range, self.group, self.primary,
                                                self.declaration_set, self.requirement, self.transitive)))

    def __hash__(self) -> int:
        return self._hash


class IndexOption(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """An option line of a requirements file that changes where packages come from (VS208)."""

    option: str  # as normalized long form: --index-url, --extra-index-url, --find-links, --trusted-host, ...
    value: str
    file: Path
    range: Range


@dataclass
class Manifest:
    """The result of reading one manifest (and, for requirements files, what it includes)."""

    path: Path
    declarations: list[Declaration] = field(default_factory=list)
    constraints: list[Declaration] = field(default_factory=list)
    index_options: list[IndexOption] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file read, the manifest itself first
    requires_python: tuple[str, Path, Range] | None = None
    # the project's own name when this manifest says it (``setup(name=...)``)
    project_name: str | None = None
    # what the project declares could not all be read (computed at build time: a ``setup.py`` value made at run
    # time, ``[project] dynamic`` dependencies nothing could resolve): an import missing from these declarations
    # may still be declared, so no rule may conclude "not declared" from them (VS209 says so once)
    incomplete: bool = False
    # ``[project] dynamic`` fields no backend table resolved, each with the range of its ``dynamic`` entry: the
    # project model declares them from the installed project's metadata, or marks the set incomplete
    unresolved_dynamic: list[tuple[str, Range]] = field(default_factory=list)
    # the files read that are not the workspace's own (outside its folders, or links leading out of them), each
    # with the place in the workspace that led to it (the include line; a link's own first line): nothing found
    # in them is shown with its content, only counted at that place (``venvsense.check``)
    outside: dict[Path, tuple[Path, Range]] = field(default_factory=dict)


# the declaration sets a tool installs in environments of its own (Hatch's environments, tox's): they say what the
# code the tool runs imports (such an import is declared), but the project's venv is never judged against them
HATCH_ENV = "hatch env "  # `hatch env 'test'`: [tool.hatch.envs.test] (``declarations.pyproject.hatch``)
TOX_ENV = "tox env "  # `tox env 'lint'`: tox.ini's [testenv:lint] (``declarations.tox``)
# what `hatch test` installs itself, declared on the hatch-test environment's header: never the project's word
HATCH_TEST_DEFAULTS = f"{HATCH_ENV}'hatch-test' (what hatch test installs itself)"
SEPARATE_ENVIRONMENTS = (HATCH_ENV, TOX_ENV)


def in_separate_environment(declaration: Declaration) -> bool:
    """Whether ``declaration`` is in a set a tool installs apart from the project's venv (``SEPARATE_ENVIRONMENTS``)."""
    return declaration.declaration_set.startswith(SEPARATE_ENVIRONMENTS)


def manifest_text(path: Path, text: str | None) -> tuple[Manifest, str | None]:
    """A new ``Manifest`` of ``path`` and the text to read: ``text`` (an editor buffer) or the file's.

    When the file cannot be read the text is ``None`` and the manifest already holds the VS206 finding
    that says why.
    """
    manifest = Manifest(path=path, files=[path])
    if text is not None:
        return manifest, text
    try:
        return manifest, read_text(path)
    except UnreadableFile as error:
        manifest.findings.append(make("VS206", f"{path.name} {error.reason}", path, START))
        return manifest, None
