"""venvsense: keeps every Python project honest about its virtual environment.

The engine (everything but ``cli``, ``actions`` and ``lsp``) reads files only: it never starts a process
and never imports code from a project or its environment.
"""

__version__ = "0.1.0"
