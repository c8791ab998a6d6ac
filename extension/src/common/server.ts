// Starting, restarting and talking to `venvsense serve`: the LanguageClient, its options, the guard that keeps
// process-running commands out of untrusted workspaces, and the `venvsense/status` notification.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
    CloseAction,
    ErrorAction,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from 'vscode-languageclient/node';
import { chooseInterpreter, noInterpreterMessage, probeInterpreter } from './python';
import { interpreterSources } from './pythonSources';
import { configurationAnswer, initializationOptions, readServerSettings } from './settings';
import {
    CREATE_ENVIRONMENT,
    FIX_VERSIONS,
    GET_STATUS_REQUEST,
    INSTALL_MISSING,
    PROCESS_COMMANDS,
    RECREATE_ENVIRONMENT,
    STATUS_NOTIFICATION,
    SYNC_LOCK,
    UPDATE_LOCK,
} from './constants';
import { StatusNotification } from './status';
import { registerConfirmIndex } from './confirmIndex';
const RUNNING_CONTEXT = 'venvsense.serverRunning';
const MAX_CRASHES = 4;
const CRASH_WINDOW_MS = 3 * 60 * 1000;

/** What the server needs from the rest of the extension. */
export interface ServerHost {
    /** The root URI of the project the user is looking at, for commands run without an argument. */
    currentProjectRoot(): string | undefined;
    /** A command that runs on a project was sent; `done` settles when the server has answered. */
    commandStarted(command: string, project: string, done: Promise<unknown>): void;
    /** The server said how the projects are. */
    statusChanged(status: StatusNotification): void;
    /** The server stopped (restart, crash, settings change): forget what it said. */
    serverStopped(): void;
}

const REFUSED_WHAT: Record<string, string> = {
    [CREATE_ENVIRONMENT]: 'create a venv',
    [INSTALL_MISSING]: 'install packages',
    [FIX_VERSIONS]: 'change installed packages',
    [RECREATE_ENVIRONMENT]: 'recreate a venv',
    [SYNC_LOCK]: 'sync a venv with its lock file',
    [UPDATE_LOCK]: 'update a lock file',
};

export class LanguageServer implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private queue: Promise<void> = Promise.resolve();
    /** When the server process ended unasked, for the restart limit. */
    private crashes: number[] = [];
    private disposed = false;

    constructor(
        private readonly context: vscode.ExtensionContext,
        private readonly log: vscode.LogOutputChannel,
        private readonly host: ServerHost,
    ) {}

    get running(): boolean {
        return this.client?.state === State.Running;
    }

    /** Starts the server (again): one start or stop at a time, in the order asked. */
    restart(reason?: string): Promise<void> {
        this.queue = this.queue
            .then(async () => {
                if (reason) this.log.info(`restarting the language server: ${reason}`);
                this.crashes = [];
                await this.stopClient();
                if (!this.disposed) await this.startClient();
            })
            .catch((error) => {
                const message = error instanceof Error ? error.message : String(error);
                this.log.error(`could not start the language server: ${message}`);
                void vscode.window
                    .showErrorMessage(`venvsense: the language server could not start (${message}).`, 'Show output')
                    .then((choice) => choice && this.log.show());
            });
        return this.queue;
    }

    start(): Promise<void> {
        return this.restart();
    }

    stop(): Promise<void> {
        this.queue = this.queue.then(() => this.stopClient()).catch((error) => this.log.error(String(error)));
        return this.queue;
    }

    async dispose(): Promise<void> {
        this.disposed = true;
        await this.stop();
    }

    /** Runs a server command on a project (`workspace/executeCommand` with `args`, else with `{project}`). */
    async execute(command: string, project: string, args?: readonly unknown[]): Promise<unknown> {
        const client = this.client;
        if (!client || client.state !== State.Running) {
            void vscode.window.showWarningMessage('venvsense: the language server is not running.', 'Show output').then(
                (choice) => choice && this.log.show(),
            );
            return undefined;
        }
        if (PROCESS_COMMANDS.includes(command) && !vscode.workspace.isTrusted) {
            this.refuseUntrusted(command);
            return undefined;
        }
        const done = client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args ? [...args] : [{ project }] });
        this.host.commandStarted(command, project, done);
        try {
            return await done;
        } catch (error) {
            this.reportCommandFailure(command, error);
            return undefined;
        }
    }

    private refuseUntrusted(command: string): void {
        this.log.warn(`refused ${command}: the workspace is not trusted`);
        void vscode.window.showWarningMessage(
            `venvsense does not ${REFUSED_WHAT[command] ?? 'run programs'} in Restricted Mode: trust this workspace first.`,
        );
    }

    private reportCommandFailure(command: string, error: unknown): void {
        const message = error instanceof Error ? error.message : String(error);
        this.log.error(`${command} failed: ${message}`);
        void vscode.window.showErrorMessage(`venvsense: ${message}`, 'Show output').then((choice) => choice && this.log.show());
    }

    private bundledLibs(): string | undefined {
        const libs = this.context.asAbsolutePath(path.join('bundled', 'libs'));
        return fs.existsSync(path.join(libs, 'venvsense')) ? libs : undefined;
    }

    private async startClient(): Promise<void> {
        const choice = await chooseInterpreter(interpreterSources(this.log), (command) => probeInterpreter(command));
        for (const rejection of choice.rejected) {
            this.log.info(
                `not using ${rejection.source}${rejection.command ? ` (${rejection.command.join(' ')})` : ''}: ${rejection.reason}`,
            );
        }
        if (!choice.interpreter) {
            const message = noInterpreterMessage(choice);
            this.log.error(message);
            void vscode.window.showErrorMessage(message, 'Open settings', 'Show output').then((picked) => {
                if (picked === 'Open settings') {
                    void vscode.commands.executeCommand('workbench.action.openSettings', 'venvsense.server.interpreter');
                } else if (picked === 'Show output') {
                    this.log.show();
                }
            });
            return;
        }
        const interpreter = choice.interpreter;
        const libs = this.bundledLibs();
        const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUTF8: '1', PYTHONNOUSERSITE: '1' };
        if (libs) {
            env.PYTHONPATH = libs;
        } else {
            // Running from a source checkout: the interpreter must have venvsense installed itself.
            delete env.PYTHONPATH;
            this.log.warn(`no bundled libraries at ${path.join('bundled', 'libs')}: using the interpreter's own venvsense`);
        }
        const [command, ...prefix] = interpreter.command;
        const serverOptions: ServerOptions = {
            command,
            args: [...prefix, '-m', 'venvsense', 'serve'],
            // Not a workspace folder: `python -m` puts the working directory first on sys.path, and a workspace
            // could hold a `venvsense` folder of its own.
            options: { cwd: this.context.extensionPath, env },
        };
        const trusted = vscode.workspace.isTrusted;
        const settings = readServerSettings(
            vscode.workspace.getConfiguration('venvsense', vscode.workspace.workspaceFolders?.[0]?.uri),
            vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
            os.homedir(),
        );
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: 'file', language: 'python' },
                { scheme: 'file', language: 'pip-requirements' },
                { scheme: 'file', pattern: '**/{pyproject.toml,setup.cfg,.python-version,Pipfile}' },
                // The Python cells of Jupyter notebooks: the server declares notebook document sync for them (LSP
                // 3.17), so they are synced as one notebook and get their diagnostics and code actions per cell.
                { notebook: { notebookType: 'jupyter-notebook', scheme: 'file' }, language: 'python' },
            ],
            outputChannel: this.log,
            traceOutputChannel: this.log,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: initializationOptions(settings, trusted),
            initializationFailedHandler: (error) => {
                this.log.error(`the language server failed to initialize: ${String(error)}`);
                return false;
            },
            errorHandler: {
                error: () => ({ action: ErrorAction.Continue }),
                closed: () => {
                    if (this.disposed) return { action: CloseAction.DoNotRestart, handled: true };
                    const now = Date.now();
                    this.crashes = [...this.crashes.filter((time) => now - time < CRASH_WINDOW_MS), now];
                    if (this.crashes.length > MAX_CRASHES) {
                        return {
                            action: CloseAction.DoNotRestart,
                            message: `The venvsense language server stopped ${this.crashes.length} times in 3 minutes and will not be restarted: see "venvsense: Show output", then run "venvsense: Restart the language server".`,
                        };
                    }
                    return { action: CloseAction.Restart, handled: true };
                },
            },
            middleware: {
                workspace: {
                    // When the server pulls its settings (workspace/configuration), for the workspace or for one
                    // folder (`scopeUri`), answer as `initializationOptions` are made: paths expanded for that
                    // folder, and whether the workspace is trusted.
                    configuration: async (params, token, next) => {
                        const answer = await next(params, token);
                        if (!Array.isArray(answer)) return answer;
                        return answer.map((value, index) => {
                            const item = params.items[index];
                            return configurationAnswer(item?.section, value, () => {
                                const scope = item?.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
                                const folder = (scope && vscode.workspace.getWorkspaceFolder(scope))
                                    ?? vscode.workspace.workspaceFolders?.[0];
                                return readServerSettings(
                                    vscode.workspace.getConfiguration('venvsense', scope ?? folder?.uri),
                                    folder?.uri.fsPath,
                                    os.homedir(),
                                );
                            }, vscode.workspace.isTrusted);
                        });
                    },
                },
                executeCommand: async (command, args, next) => {
                    if (PROCESS_COMMANDS.includes(command) && !vscode.workspace.isTrusted) {
                        this.refuseUntrusted(command);
                        return undefined;
                    }
                    let callArgs = args;
                    const first = args[0] as { project?: unknown } | undefined;
                    if (!first || typeof first !== 'object' || typeof first.project !== 'string') {
                        // From the command palette: the project of the active editor.
                        const project = this.host.currentProjectRoot();
                        if (!project) {
                            void vscode.window.showInformationMessage(
                                'venvsense: open a file of a Python project first, then run the command again.',
                            );
                            return undefined;
                        }
                        callArgs = [{ ...(first && typeof first === 'object' ? first : {}), project }, ...args.slice(1)];
                    }
                    const project = (callArgs[0] as { project: string }).project;
                    const done = Promise.resolve(next(command, callArgs));
                    this.host.commandStarted(command, project, done);
                    try {
                        return await done;
                    } catch (error) {
                        this.reportCommandFailure(command, error);
                        return undefined;
                    }
                },
                provideCodeActions: async (document, range, context, token, next) => {
                    const actions = await next(document, range, context, token);
                    if (!actions || vscode.workspace.isTrusted) return actions;
                    // Restricted Mode: never offer what would run a process, whatever the server sent.
                    return actions.filter((action) => {
                        const command = action instanceof vscode.CodeAction ? action.command?.command : action.command;
                        const offered = !command || !PROCESS_COMMANDS.includes(command);
                        if (!offered) this.log.warn(`dropped the code action "${action.title}": the workspace is not trusted`);
                        return offered;
                    });
                },
            },
        };

        const client = new LanguageClient('venvsense', 'venvsense', serverOptions, clientOptions);
        client.onDidChangeState((event) => {
            void vscode.commands.executeCommand('setContext', RUNNING_CONTEXT, event.newState === State.Running);
            if (event.newState === State.Stopped) this.host.serverStopped();
        });
        client.onNotification(STATUS_NOTIFICATION, (status: StatusNotification) => this.host.statusChanged(status));
        registerConfirmIndex(client); // the modal consent for index URLs set by a project's file
        this.client = client;
        this.log.info(
            `starting the language server with ${interpreter.command.join(' ')} (Python ${interpreter.version}, from ${interpreter.source})` +
                `${libs ? `, libraries from ${libs}` : ''}; workspace ${trusted ? 'trusted' : 'not trusted'}`,
        );
        await client.start();
        // Not awaited: a server that never answers must not hold up restarts (the notification follows anyway).
        // The empty params object is needed: pygls rejects a request without params.
        client.sendRequest<StatusNotification | null>(GET_STATUS_REQUEST, {}).then(
            (status) => {
                if (status && this.client === client) this.host.statusChanged(status);
            },
            (error) => this.log.warn(`${GET_STATUS_REQUEST} failed: ${String(error)}`),
        );
    }

    private async stopClient(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (!client) return;
        try {
            if (client.needsStop()) {
                await client.stop(5000);
            }
        } catch (error) {
            this.log.warn(`stopping the language server: ${String(error)}`);
        }
        try {
            await client.dispose();
        } catch {
            // Already stopped.
        }
        this.host.serverStopped();
    }
}
