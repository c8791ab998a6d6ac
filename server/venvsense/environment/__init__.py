"""Virtual environments, read statically: nothing here runs the environment's interpreter.

``discovery`` (which venv a project uses), ``pyvenv`` (a venv folder: ``pyvenv.cfg``, site-packages),
``metadata`` (one distribution's metadata and top-level modules), ``installed`` (an environment's distributions,
cached per folder), ``pipcheck`` (what ``pip check`` would say). The names other modules use are re-exported here.
"""

from venvsense.environment import installed as _installed
from venvsense.environment import pipcheck as _pipcheck
from venvsense.environment.discovery import (
    IN_PROJECT_NAMES,
    SCRIPT_VENVS,
    find_environment,
    find_script_environment,
    in_project_environments,
)
from venvsense.environment.installed import Installed, read_installed
from venvsense.environment.metadata import Distribution, parse_metadata_headers
from venvsense.environment.pipcheck import BrokenDependency, broken_dependencies, marker_environment
from venvsense.environment.pyvenv import (
    Environment,
    PyvenvConfig,
    Source,
    find_site_packages,
    parse_pyvenv_cfg,
    read_environment,
)


def clear_cache() -> None:
    """Forget every site-packages listing and wheel tags (the next ``read_installed`` reads all metadata again)."""
    _installed.clear_cache()
    _pipcheck.WHEEL_TAGS.clear()


__all__ = [
    "IN_PROJECT_NAMES",
    "SCRIPT_VENVS",
    "BrokenDependency",
    "Distribution",
    "Environment",
    "Installed",
    "PyvenvConfig",
    "Source",
    "broken_dependencies",
    "clear_cache",
    "find_environment",
    "find_script_environment",
    "find_site_packages",
    "in_project_environments",
    "marker_environment",
    "parse_metadata_headers",
    "parse_pyvenv_cfg",
    "read_environment",
    "read_installed",
]
