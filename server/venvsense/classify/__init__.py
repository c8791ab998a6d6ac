"""Classification of a project's imports: each one stdlib, first-party, third-party (with the installed
distributions providing it) or relative, for the import rules (``rules.imports``) and ``show imports``.

Pure: it reads files (through the scanner's cache) and never imports or runs project code.

``records`` (what a classification is made of), ``files`` (the project's own files), ``providers`` (the
third-party lookup), ``stored`` (the classification kept on disk), ``scan`` (``scan_project``). The names other
modules use are re-exported here.
"""

from venvsense.classify.files import project_files
from venvsense.classify.records import ClassifiedImport, Kind, Usage
from venvsense.classify.scan import same_local_code, scan_project, target_python

__all__ = ["ClassifiedImport", "Kind", "Usage", "project_files", "same_local_code", "scan_project", "target_python"]
