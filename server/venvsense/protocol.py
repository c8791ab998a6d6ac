"""The names venvsense's clients and server agree on: commands, custom LSP methods, the code action kind.

Each name is spelled here once for Python; ``extension/src/common/constants.ts`` spells them for TypeScript and
``tests/test_protocol.py`` checks both (and the commands ``extension/package.json`` contributes) against this.
"""

from __future__ import annotations

from typing import Final

# Commands the server runs (``workspace/executeCommand``); each takes one object ``{"project": uri, ...}``.
CREATE_ENVIRONMENT: Final = "venvsense.createEnvironment"
INSTALL_MISSING: Final = "venvsense.installMissing"
FIX_VERSIONS: Final = "venvsense.fixVersions"
RECREATE_ENVIRONMENT: Final = "venvsense.recreateEnvironment"
RECHECK: Final = "venvsense.recheck"
SERVER_COMMANDS: tuple[str, ...] = (CREATE_ENVIRONMENT, INSTALL_MISSING, FIX_VERSIONS, RECREATE_ENVIRONMENT, RECHECK)
# The server commands that run a process (create a venv, install): never offered in an untrusted workspace.
PROCESS_COMMANDS = frozenset({CREATE_ENVIRONMENT, INSTALL_MISSING, FIX_VERSIONS, RECREATE_ENVIRONMENT})
# Lock files (VS401/VS402 fixes): "Sync .venv with <lock>" (``uv sync --frozen`` and the like) and "Update the
# lock" (``uv lock``, ``poetry lock``); the fix policy names them, the actions layer runs them.
SYNC_LOCK: Final = "venvsense.syncLock"
UPDATE_LOCK: Final = "venvsense.updateLock"
SERVER_COMMANDS = (*SERVER_COMMANDS, SYNC_LOCK, UPDATE_LOCK)
PROCESS_COMMANDS = PROCESS_COMMANDS | {SYNC_LOCK, UPDATE_LOCK}

# Commands the VS Code extension runs itself (listed so the extension's manifest can be checked).
SHOW_ACTIONS: Final = "venvsense.showActions"
SHOW_OUTPUT: Final = "venvsense.showOutput"
RESTART: Final = "venvsense.restart"
CLIENT_COMMANDS = (SHOW_ACTIONS, SHOW_OUTPUT, RESTART)

# Custom LSP methods: the server's notification of the projects' status, and the request for it.
STATUS_NOTIFICATION: Final = "venvsense/status"
GET_STATUS_REQUEST: Final = "venvsense/getStatus"

# The code action kind of "fix everything ``venvsense fix`` would" (a ``source.fixAll`` sub-kind).
FIX_ALL_KIND: Final = "source.fixAll.venvsense"
