// Where VS Code can tell us of a Python for the server: the `venvsense.server.interpreter` setting and the
// Python extension's API. The order and the checks live in python.ts.

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { InterpreterSource, pathSources } from './python';
import { readInterpreterSetting } from './settings';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

function firstFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
}

function settingSource(): InterpreterSource {
    return {
        label: 'setting venvsense.server.interpreter',
        explicit: true,
        find: async () => {
            const folder = firstFolder();
            return readInterpreterSetting(
                vscode.workspace.getConfiguration('venvsense', folder?.uri),
                folder?.uri.fsPath,
                os.homedir(),
            );
        },
    };
}

function isInsideWorkspace(file: string): boolean {
    return (vscode.workspace.workspaceFolders ?? []).some((folder) => {
        const relative = path.relative(folder.uri.fsPath, file);
        return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    });
}

function pythonExtensionSource(log: vscode.LogOutputChannel): InterpreterSource {
    return {
        label: 'the Python extension',
        explicit: false,
        find: async () => {
            if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
                return undefined;
            }
            const api = await PythonExtension.api();
            await api.ready;
            const folder = firstFolder();
            const active = api.environments.getActiveEnvironmentPath(folder);
            const resolved = await api.environments.resolveEnvironment(active);
            const executable = resolved?.executable.uri?.fsPath;
            if (!executable) {
                return undefined;
            }
            if (!vscode.workspace.isTrusted && isInsideWorkspace(executable)) {
                // An interpreter that lives in an untrusted workspace is that workspace's code: do not run it.
                log.info(`not using ${executable} from the Python extension: it is inside an untrusted workspace`);
                return undefined;
            }
            return [executable];
        },
    };
}

/** The sources, in the order they are tried. */
export function interpreterSources(log: vscode.LogOutputChannel): InterpreterSource[] {
    return [settingSource(), pythonExtensionSource(log), ...pathSources()];
}

/** Calls `listener` when the Python extension's interpreter changes (only when that extension is installed). */
export async function onPythonInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
    if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
        return undefined;
    }
    try {
        const api = await PythonExtension.api();
        return api.environments.onDidChangeActiveEnvironmentPath(() => listener());
    } catch {
        return undefined;
    }
}
