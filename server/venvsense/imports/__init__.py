"""The import scanner: the import statements of Python files, with exact ranges and their context, without parsing.

``records`` (what a scan finds), ``scanner`` (the fast regex scanner, text and bytes), ``lexer`` (the careful
lexer it falls back to), ``statements`` (statement parsing and block context, shared by both), ``cache`` (the
in-memory scan cache), ``diskcache`` (the CLI's on-disk cache), ``walk`` (the project's Python files). The names
other modules use are re-exported here.
"""

from venvsense.imports.cache import clear_cache, scan_file, scan_files, string_imports
from venvsense.imports.diskcache import (
    PERSISTENT_MIN_FILES,
    DiskScanCache,
    persistent_cache_dir,
)
from venvsense.imports.records import ImportStatement, ScanResult
from venvsense.imports.scanner import scan_bytes, scan_source
from venvsense.imports.walk import iter_python_files

__all__ = [
    "PERSISTENT_MIN_FILES",
    "DiskScanCache",
    "ImportStatement",
    "ScanResult",
    "clear_cache",
    "iter_python_files",
    "persistent_cache_dir",
    "scan_bytes",
    "scan_file",
    "scan_files",
    "scan_source",
    "string_imports",
]
