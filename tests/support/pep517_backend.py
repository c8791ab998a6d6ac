"""A tiny PEP 517 / PEP 660 build backend and wheel writer for test projects (standard library only).

``write_wheel`` is the one wheel writer the tests use. ``make_project`` (in ``wheels.py``) copies this file
into a test project as its in-tree backend (``backend-path = ["."]``), so ``pip install -e`` and
``uv pip install -e`` work offline with no setuptools: the project's settings are read from
``venvsense_backend.json`` beside it. Kept compatible with Python 3.8, because the venv's interpreter
(any pyenv version) runs it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CONFIG_FILE = "venvsense_backend.json"
DEFAULT_TAG = "py3-none-any"


def escaped_name(name: str) -> str:
    """The distribution name as wheel file names and ``.dist-info`` folders spell it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata_text(name: str, version: str, requires: Iterable[str] = (),
                  extras: Mapping[str, Sequence[str]] | None = None) -> str:
    """``METADATA`` (2.1) with ``Requires-Dist`` and ``Provides-Extra`` (extras' requirements get markers)."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    for extra, extra_requires in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in extra_requires:
            requirement, _, marker = requirement.partition(";")
            marker = marker.strip()
            condition = f'({marker}) and extra == "{extra}"' if marker else f'extra == "{extra}"'
            lines.append(f"Requires-Dist: {requirement.strip()}; {condition}")
    return "\n".join(lines) + "\n\n"


def write_wheel(directory: str | os.PathLike[str], name: str, version: str,
                files: Mapping[str, str | bytes], *, requires: Iterable[str] = (),
                extras: Mapping[str, Sequence[str]] | None = None,
                top_level: Sequence[str] | None = None, wheel_tags: Sequence[str] = (DEFAULT_TAG,),
                file_tag: str = DEFAULT_TAG, metadata: str | None = None) -> str:
    """Write ``{name}-{version}-{file_tag}.whl`` into ``directory``; returns the file name.

    ``files`` maps archive paths to ``str`` or ``bytes``. ``top_level`` (a list of names) writes
    ``top_level.txt`` when given. ``wheel_tags`` are the ``Tag`` lines of ``WHEEL`` (normally the same as the
    file name's tag). ``metadata`` replaces the generated ``METADATA`` text.
    """
    dist_info = f"{escaped_name(name)}-{version}.dist-info"
    contents: dict[str, bytes] = {}
    for path, data in files.items():
        contents[path] = data.encode("utf-8") if isinstance(data, str) else data
    contents[f"{dist_info}/METADATA"] = (metadata if metadata is not None
                                         else metadata_text(name, version, requires, extras)).encode("utf-8")
    wheel_lines = ["Wheel-Version: 1.0", "Generator: venvsense-tests", "Root-Is-Purelib: true"]
    wheel_lines += [f"Tag: {tag}" for tag in wheel_tags]
    contents[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n\n").encode("utf-8")
    if top_level is not None:
        contents[f"{dist_info}/top_level.txt"] = "".join(f"{n}\n" for n in top_level).encode("utf-8")
    record = io.StringIO()
    for path, data in contents.items():
        record.write(f"{path},{_record_hash(data)},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    contents[f"{dist_info}/RECORD"] = record.getvalue().encode("utf-8")
    filename = f"{escaped_name(name)}-{version}-{file_tag}.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return filename


# ------------------------------------------------------------------------------------------------------
# The in-tree backend (used when this file is copied into a test project)
# ------------------------------------------------------------------------------------------------------

_FINDER = '''"""Editable finder written by the venvsense test backend (setuptools style)."""
import importlib.util
import sys

MAPPING = {mapping!r}


class _Finder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        top, _, rest = fullname.partition(".")
        if top not in MAPPING or rest:
            return None
        import os
        location = MAPPING[top]
        init = os.path.join(location, "__init__.py")
        if os.path.isfile(init):
            return importlib.util.spec_from_file_location(fullname, init,
                                                          submodule_search_locations=[location])
        return importlib.util.spec_from_file_location(fullname, location)


def install():
    if _Finder not in sys.meta_path:
        sys.meta_path.append(_Finder)
'''


def _config() -> dict[str, Any]:
    with open(CONFIG_FILE, encoding="utf-8") as handle:
        config: dict[str, Any] = json.load(handle)
    return config


def _source_files(config: dict[str, Any]) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    root = config.get("source_dir", ".")
    for module in config["modules"]:
        if os.path.isdir(os.path.join(root, module)):
            for folder, _, names in os.walk(os.path.join(root, module)):
                for filename in names:
                    if filename.endswith(".py"):
                        full = os.path.join(folder, filename)
                        with open(full, "rb") as handle:
                            files[os.path.relpath(full, root).replace(os.sep, "/")] = handle.read()
        else:
            with open(os.path.join(root, module + ".py"), "rb") as handle:
                files[module + ".py"] = handle.read()
    return files


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: dict[str, Any] | None = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                metadata_directory: str | None = None) -> str:
    config = _config()
    return write_wheel(wheel_directory, config["name"], config["version"], _source_files(config),
                       requires=config.get("requires", []), extras=config.get("extras"),
                       top_level=config["modules"])


def build_editable(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                   metadata_directory: str | None = None) -> str:
    config = _config()
    name, version = config["name"], config["version"]
    source_dir = os.path.abspath(config.get("source_dir", "."))
    files: dict[str, str | bytes] = {}
    if config.get("editable_mode", "pth") == "pth":
        files[f"__editable__.{escaped_name(name)}-{version}.pth"] = source_dir + "\n"
    else:
        finder = f"__editable___{escaped_name(name)}_{escaped_name(version)}_finder"
        mapping = {module: os.path.join(source_dir, module) for module in config["modules"]}
        files[f"__editable__.{escaped_name(name)}-{version}.pth"] = f"import {finder}; {finder}.install()\n"
        files[f"{finder}.py"] = _FINDER.format(mapping=mapping)
    top_level = config["modules"] if config.get("editable_top_level", True) else None
    return write_wheel(wheel_directory, name, version, files, requires=config.get("requires", []),
                       extras=config.get("extras"), top_level=top_level)
