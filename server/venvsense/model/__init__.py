"""The project model: discovery of projects in a workspace, and one project read once per check."""

from venvsense.model.discovery import Project, find_projects, is_project_root, project_at, project_for_file
from venvsense.model.paths import relative_path
from venvsense.model.project import ProjectModel, read_model
from venvsense.model.scopes import SCOPES, Scope, Scopes

__all__ = [
    "SCOPES",
    "Project",
    "ProjectModel",
    "Scope",
    "Scopes",
    "find_projects",
    "is_project_root",
    "project_at",
    "project_for_file",
    "read_model",
    "relative_path",
]
