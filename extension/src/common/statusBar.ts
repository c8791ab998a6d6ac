// The status-bar item: the health of the venv of the active editor's project, and its quick pick of fixes.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { CREATE_ENVIRONMENT, FIX_VERSIONS, INSTALL_MISSING, RECHECK, RECREATE_ENVIRONMENT, SYNC_LOCK, UPDATE_LOCK } from './constants';
import {
    CodeCounts,
    Fix,
    fixesFor,
    fixGroups,
    SHOW_OUTPUT_ITEM,
    mergeStatus,
    projectForFile,
    ProjectStatus,
    StatusNotification,
    statusView,
    toFsPath,
} from './status';

const COMMAND_LABELS: Record<string, string> = {
    [CREATE_ENVIRONMENT]: 'Creating .venv',
    [INSTALL_MISSING]: 'Installing missing packages',
    [FIX_VERSIONS]: 'Fixing versions',
    [RECREATE_ENVIRONMENT]: 'Recreating the venv',
    [RECHECK]: 'Checking',
    [SYNC_LOCK]: 'Syncing with the lock',
    [UPDATE_LOCK]: 'Updating the lock',
};

export class StatusBar implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    private projects = new Map<string, ProjectStatus>();
    /** Roots of the projects a command was sent for and not yet answered, with what runs. */
    private readonly running = new Map<string, string>();
    private shownRoot: string | undefined;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(runActionsCommand: string) {
        this.item = vscode.window.createStatusBarItem('venvsense.status', vscode.StatusBarAlignment.Left, 100);
        this.item.name = 'venvsense';
        this.item.command = runActionsCommand;
        this.disposables.push(
            this.item,
            vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
            vscode.languages.onDidChangeDiagnostics(() => this.refresh()),
            vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
        );
    }

    dispose(): void {
        for (const disposable of this.disposables) disposable.dispose();
    }

    update(status: StatusNotification): void {
        this.projects = mergeStatus(this.projects, status);
        this.refresh();
    }

    clear(): void {
        this.projects.clear();
        this.refresh();
    }

    /** Shows a spinner for the project until `done` settles (the server's own `busy` state may come later). */
    commandStarted(command: string, project: string, done: Promise<unknown>): void {
        const root = this.rootFor(project);
        this.running.set(root, COMMAND_LABELS[command] ?? 'Working');
        this.refresh();
        const finish = () => {
            this.running.delete(root);
            this.refresh();
        };
        done.then(finish, finish);
    }

    /** The project the user is looking at: the active editor's, else the one shown last. */
    currentProject(): ProjectStatus | undefined {
        const editor = vscode.window.activeTextEditor;
        if (editor && editor.document.uri.scheme === 'file') {
            const project = projectForFile([...this.projects.values()], editor.document.uri.fsPath);
            if (project) return project;
        }
        if (this.shownRoot) return this.projects.get(this.shownRoot);
        if (this.projects.size === 1) return [...this.projects.values()][0];
        return undefined;
    }

    private rootFor(project: string): string {
        // The server's spelling of the root (URIs may differ in escaping from what a command carried).
        const fsPath = toFsPath(project);
        for (const root of this.projects.keys()) {
            if (toFsPath(root) === fsPath) return root;
        }
        return project;
    }

    /** How many diagnostics of each code venvsense reports for files of this project. */
    codesFor(project: ProjectStatus): CodeCounts {
        const codes = new Map<string, number>();
        const projects = [...this.projects.values()];
        for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
            if (uri.scheme !== 'file' || projectForFile(projects, uri.fsPath)?.root !== project.root) continue;
            for (const diagnostic of diagnostics) {
                if (diagnostic.source !== 'venvsense') continue;
                const code = typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code ?? '');
                if (code) codes.set(code, (codes.get(code) ?? 0) + 1);
            }
        }
        return codes;
    }

    refresh(): void {
        const editor = vscode.window.activeTextEditor;
        let project: ProjectStatus | undefined;
        if (editor && editor.document.uri.scheme === 'file') {
            // An editor of a file outside every project (not a Python project): nothing to show.
            project = projectForFile([...this.projects.values()], editor.document.uri.fsPath);
        } else {
            project = this.currentProject();
        }
        if (!project) {
            this.shownRoot = undefined;
            this.item.hide();
            return;
        }
        this.shownRoot = project.root;
        const runningLabel = this.running.get(project.root);
        const shown: ProjectStatus =
            runningLabel && project.state !== 'busy' ? { ...project, state: 'busy', summary: `${runningLabel}…` } : project;
        const view = statusView(shown, this.codesFor(project), vscode.workspace.isTrusted);
        this.item.text = view.text;
        const tooltip = new vscode.MarkdownString(view.tooltip);
        tooltip.supportThemeIcons = true;
        this.item.tooltip = tooltip;
        this.item.accessibilityInformation = { label: `venvsense: ${view.text.replace(/\$\([^)]*\)\s*/g, '')}` };
        this.item.backgroundColor =
            view.emphasis === 'error'
                ? new vscode.ThemeColor('statusBarItem.errorBackground')
                : view.emphasis === 'warning'
                  ? new vscode.ThemeColor('statusBarItem.warningBackground')
                  : undefined;
        this.item.show();
    }

    /**
     * The quick pick of the fixes that apply now: the current project's, or — with several projects (a
     * multi-root workspace, nested projects) — every project's under its name, the current one first.
     */
    async pickFix(): Promise<{ fix: Fix; project: ProjectStatus } | undefined> {
        const project = this.currentProject();
        const projects = [...this.projects.values()];
        if (projects.length > 1) return this.pickGroupedFix(projects, project);
        if (!project) {
            void vscode.window.showInformationMessage('venvsense: open a file of a Python project to see its fixes.');
            return undefined;
        }
        const shown = this.running.has(project.root) ? { ...project, state: 'busy' as const } : project;
        const fixes = fixesFor(shown, vscode.workspace.isTrusted);
        const picked = await vscode.window.showQuickPick(
            fixes.map((fix) => ({ label: fix.label, detail: fix.detail, fix })),
            {
                title: `venvsense — ${path.basename(toFsPath(project.root))}`,
                placeHolder: project.summary || 'Fixes for this project',
            },
        );
        return picked ? { fix: picked.fix, project } : undefined;
    }

    private async pickGroupedFix(
        projects: ProjectStatus[],
        current: ProjectStatus | undefined,
    ): Promise<{ fix: Fix; project: ProjectStatus } | undefined> {
        type Item = vscode.QuickPickItem & { fix?: Fix; project?: ProjectStatus };
        const items: Item[] = [];
        for (const group of fixGroups(projects, current, vscode.workspace.isTrusted, new Set(this.running.keys()))) {
            items.push({ label: `${group.label} — ${group.project.summary}`, kind: vscode.QuickPickItemKind.Separator });
            for (const fix of group.fixes) items.push({ label: fix.label, detail: fix.detail, fix, project: group.project });
        }
        items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
        items.push({ label: SHOW_OUTPUT_ITEM.label, detail: SHOW_OUTPUT_ITEM.detail, fix: SHOW_OUTPUT_ITEM, project: current ?? projects[0] });
        const picked = await vscode.window.showQuickPick(items, {
            title: `venvsense — ${projects.length} projects`,
            placeHolder: 'Fixes per project',
            matchOnDetail: true,
        });
        return picked?.fix && picked.project ? { fix: picked.fix, project: picked.project } : undefined;
    }
}
