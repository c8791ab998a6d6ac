// venvsense for VS Code: starts the language server, shows the venv's health in the status bar and offers
// the fixes. The parts live in common/: python (which interpreter), server (the client), settings, status.

import * as vscode from 'vscode';
import { RESTART, SHOW_ACTIONS, SHOW_OUTPUT } from './common/constants';
import { onPythonInterpreterChange } from './common/pythonSources';
import { LanguageServer } from './common/server';
import { StatusBar } from './common/statusBar';

let server: LanguageServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const log = vscode.window.createOutputChannel('venvsense', { log: true });
    const statusBar = new StatusBar(SHOW_ACTIONS);
    server = new LanguageServer(context, log, {
        currentProjectRoot: () => statusBar.currentProject()?.root,
        commandStarted: (command, project, done) => statusBar.commandStarted(command, project, done),
        statusChanged: (status) => statusBar.update(status),
        serverStopped: () => statusBar.clear(),
    });
    const languageServer = server;
    context.subscriptions.push(log, statusBar, { dispose: () => void languageServer.dispose() });

    context.subscriptions.push(
        vscode.commands.registerCommand(SHOW_ACTIONS, async () => {
            const picked = await statusBar.pickFix();
            if (!picked) return;
            if (picked.fix.id === 'showOutput') {
                log.show();
            } else if (picked.fix.command) {
                await languageServer.execute(picked.fix.command, picked.project.root, picked.fix.arguments);
            }
        }),
        vscode.commands.registerCommand(SHOW_OUTPUT, () => log.show()),
        vscode.commands.registerCommand(RESTART, () => languageServer.restart('asked for')),
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration('venvsense')) {
                void languageServer.restart('the venvsense settings changed');
            }
        }),
        vscode.workspace.onDidGrantWorkspaceTrust(() => {
            // Trust enables the fixes and the workspace's own interpreter settings: no reload needed.
            void languageServer.restart('the workspace is now trusted');
        }),
    );

    const pythonChanges = await onPythonInterpreterChange(() => {
        if (!vscode.workspace.getConfiguration('venvsense').get<string>('server.interpreter')) {
            void languageServer.restart("the Python extension's interpreter changed");
        }
    });
    if (pythonChanges) context.subscriptions.push(pythonChanges);

    // Not awaited: activation (and so every venvsense command) must not wait for the server to start.
    void languageServer.start();
}

export async function deactivate(): Promise<void> {
    await server?.dispose();
    server = undefined;
}
