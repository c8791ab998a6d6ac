"""Reads pip requirements files (``requirements.txt`` and the files it includes) into declarations with the
exact range of each requirement, following pip's own parser line for line.

pip is the reference: ``pip/_internal/req/req_file.py`` (splitting, ``\\`` continuations, comments, ``${VAR}``
expansion, options parsed by optparse after ``shlex``) and ``req/constructors.py`` (what a requirement line
means: a name, a URL, a local folder or archive, an editable). Where this module and pip disagree on a real
file, this module is wrong. Deliberate differences: relative paths are resolved against the requirements
file's folder and the folders above it (pip uses the current directory, usually the project root), a file
included twice is read once, reading goes on after an error, and remote (``https:``) includes are not
fetched.

The reader is split by responsibility: ``lines`` (pip's preprocess: decoding, continuations, comments,
``${VAR}``), ``options`` (shlex and optparse), ``requirement`` (what one requirement means), ``compiled``
(lock files and ``# via``), ``line_cache`` (unchanged lines are not parsed again) and ``reader`` (the entry
point, includes and their cycles).
"""

from __future__ import annotations

from venvsense.declarations.requirements.compiled import is_compiled
from venvsense.declarations.requirements.reader import read_requirements, workspace_boundary

__all__ = ["is_compiled", "read_requirements", "workspace_boundary"]
