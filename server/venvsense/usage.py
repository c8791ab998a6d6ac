"""Shim, the old home of `venvsense.classify` and `rules.imports` (merge: remove this module)."""
from venvsense.classify import ClassifiedImport as ClassifiedImport
from venvsense.classify import Usage as Usage
from venvsense.classify import scan_project as scan_project
from venvsense.rules.imports import import_findings as import_findings
