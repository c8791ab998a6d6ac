// The names the extension and the language server agree on, spelled once for TypeScript. The Python
// spelling is server/venvsense/protocol.py; tests/test_protocol.py checks this file and package.json against it.

// Commands the server runs (`workspace/executeCommand`, one argument `{ project: uri, ... }`).
export const CREATE_ENVIRONMENT = 'venvsense.createEnvironment';
export const INSTALL_MISSING = 'venvsense.installMissing';
export const FIX_VERSIONS = 'venvsense.fixVersions';
export const RECREATE_ENVIRONMENT = 'venvsense.recreateEnvironment';
export const RECHECK = 'venvsense.recheck';

// Lock files: "Sync .venv with <lock>" and "Update the lock" (the fixes of VS402 and VS401).
export const SYNC_LOCK = 'venvsense.syncLock';
export const UPDATE_LOCK = 'venvsense.updateLock';

/** The server commands that run a process (create a venv, install): never run in an untrusted workspace. */
export const PROCESS_COMMANDS: readonly string[] = [
    CREATE_ENVIRONMENT, INSTALL_MISSING, FIX_VERSIONS, RECREATE_ENVIRONMENT, SYNC_LOCK, UPDATE_LOCK,
];

// Commands the extension runs itself.
export const SHOW_ACTIONS = 'venvsense.showActions';
export const SHOW_OUTPUT = 'venvsense.showOutput';
export const RESTART = 'venvsense.restart';

// Custom LSP methods: the server's notification of the projects' status, and the request for it.
export const STATUS_NOTIFICATION = 'venvsense/status';
export const GET_STATUS_REQUEST = 'venvsense/getStatus';
