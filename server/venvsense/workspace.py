"""Shim, the old home of `venvsense.model.discovery` (merge: remove this module)."""
from venvsense.manifests import is_requirements_name as is_requirements_name
from venvsense.model.discovery import Project as Project
from venvsense.model.discovery import find_projects as find_projects
from venvsense.model.discovery import is_project_root as is_project_root
from venvsense.model.discovery import project_at as project_at
