"""Shim, the old name of `venvsense.check` (merge: remove this module once lsp/ and actions/ import check)."""
from venvsense.check import ProjectReport as ProjectReport
from venvsense.check import check_project as check_project
from venvsense.check import recheck_manifests as recheck_manifests
from venvsense.rules.declarations import marker_holds as marker_holds
from venvsense.rules.declarations import satisfies as satisfies
