// What the status-bar item says about a project, and how the fixes the server lists for it are offered, from
// the server's `venvsense/status` notification. Pure logic (no `vscode` import) so the node test runner can
// test it. Which fixes apply is the server's decision (its fix policy); this only presents them.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    CREATE_ENVIRONMENT,
    FIX_VERSIONS,
    INSTALL_MISSING,
    PROCESS_COMMANDS,
    RECHECK,
    RECREATE_ENVIRONMENT,
} from './constants';

export type ProjectState = 'ok' | 'problems' | 'missing' | 'broken' | 'busy';

export interface Environment {
    path: string;
    python: string | null;
    source: string;
}

export interface Counts {
    error: number;
    warning: number;
    information: number;
    hint: number;
}

/** A fix the server offers for a whole project: an LSP `Command`, to run as it is. */
export interface ServerFix {
    title: string;
    command: string;
    arguments?: unknown[];
}

/** One of the project's most severe findings, with the title of its first fix (`null`: none offered). */
export interface Problem {
    code: string;
    severity: 'error' | 'warning' | 'information' | 'hint';
    message: string;
    uri: string;
    line: number;
    fix: string | null;
}

export interface ProjectStatus {
    root: string;
    environment: Environment | null;
    state: ProjectState;
    counts: Counts;
    summary: string;
    /** Most relevant first; absent from servers older than this field. */
    fixes?: ServerFix[];
    /** The top three findings, errors first; absent from servers older than this field. */
    problems?: Problem[];
    /** The uv workspace the project belongs to; absent from servers older than this field, null for none. */
    workspace?: WorkspaceStatus | null;
}

export interface WorkspaceStatus {
    root: string;
    /** The member's name, null for the workspace's root. */
    member: string | null;
    /** Whether the project's venv is the one at the workspace's root. */
    shared: boolean;
}

export interface StatusNotification {
    projects: ProjectStatus[];
}

/** How loud the status-bar item is: its background colour. */
export type Emphasis = 'none' | 'warning' | 'error';

export interface StatusView {
    text: string;
    tooltip: string; // Markdown
    emphasis: Emphasis;
}

/** A filesystem path from a `file:` URI or a plain path. */
export function toFsPath(uriOrPath: string): string {
    if (uriOrPath.startsWith('file:')) {
        return fileURLToPath(uriOrPath);
    }
    return uriOrPath;
}

/** The name a person calls the environment by: its folder's name (`.venv`). */
export function environmentName(environment: Environment): string {
    const fsPath = toFsPath(environment.path).replace(/[\\/]+$/, '');
    return path.basename(fsPath) || fsPath;
}

function plural(n: number, one: string, many: string = one + 's'): string {
    return `${n} ${n === 1 ? one : many}`;
}

export function countsPhrase(counts: Counts): string {
    const parts: string[] = [];
    if (counts.error) parts.push(plural(counts.error, 'error'));
    if (counts.warning) parts.push(plural(counts.warning, 'warning'));
    if (counts.information) parts.push(plural(counts.information, 'info', 'infos'));
    if (counts.hint) parts.push(plural(counts.hint, 'hint'));
    return parts.length ? parts.join(', ') : 'no problems';
}

/** Diagnostic codes of a project and how many of each (from the editor's diagnostics). */
export type CodeCounts = ReadonlyMap<string, number>;

/** "3 missing, 1 mismatched" when the diagnostics say so, else the counts per severity. */
export function problemsPhrase(counts: Counts, codes: CodeCounts = new Map()): string {
    const count = (...wanted: string[]) => wanted.reduce((sum, code) => sum + (codes.get(code) ?? 0), 0);
    const missing = count('VS201', 'VS203');
    const mismatched = count('VS202');
    const parts: string[] = [];
    if (missing) parts.push(`${missing} missing`);
    if (mismatched) parts.push(`${mismatched} mismatched`);
    return parts.length ? parts.join(', ') : countsPhrase(counts);
}

const SOURCE_LABELS: Record<string, string> = {
    'in-project': 'in-project',
    VIRTUAL_ENV: 'VIRTUAL_ENV',
    configured: 'configured (venvsense.venv)',
};

/** How the status bar names the venv: `.venv`, or `.venv (workspace) · api` for a uv workspace member using the
 * workspace's shared venv. */
export function venvLabel(project: ProjectStatus): string | undefined {
    const env = project.environment;
    if (!env) return undefined;
    const name = environmentName(env);
    const workspace = project.workspace;
    if (!workspace?.shared) return name;
    return workspace.member ? `${name} (workspace) · ${workspace.member}` : `${name} (workspace)`;
}

export function statusText(project: ProjectStatus, codes: CodeCounts = new Map()): string {
    const env = project.environment;
    const name = venvLabel(project);
    switch (project.state) {
        case 'busy':
            return `$(sync~spin) ${project.summary?.trim() || 'Working…'}`;
        case 'ok':
            if (!env) return '$(check) venvsense';
            return env.python ? `$(check) ${name} · ${env.python}` : `$(check) ${name}`;
        case 'problems': {
            const detail = problemsPhrase(project.counts, codes);
            return name ? `$(warning) ${name} · ${detail}` : `$(warning) ${detail}`;
        }
        case 'missing':
            return '$(error) No venv';
        case 'broken':
            return name ? `$(error) ${name} broken` : '$(error) Broken venv';
        default:
            return `$(question) ${project.summary || 'venvsense'}`;
    }
}

export function statusEmphasis(project: ProjectStatus): Emphasis {
    switch (project.state) {
        case 'problems':
        case 'missing':
            return project.counts.error > 0 ? 'error' : 'warning';
        case 'broken':
            return 'error';
        default:
            return 'none';
    }
}

function escapeMarkdown(text: string): string {
    return text.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

const SEVERITY_ICONS: Record<Problem['severity'], string> = {
    error: '$(error)',
    warning: '$(warning)',
    information: '$(info)',
    hint: '$(lightbulb)',
};

/** `- $(error) requirements.txt:2 VS201 requests==2.32.3 is declared but not installed — fix: Install requests==2.32.3` */
export function problemLine(project: ProjectStatus, problem: Problem): string {
    const root = toFsPath(project.root);
    const file = toFsPath(problem.uri);
    const where = `${isInside(file, root) ? path.relative(root, file) : file}:${problem.line + 1}`;
    const icon = SEVERITY_ICONS[problem.severity] ?? '';
    const fix = problem.fix ? ` — fix: *${escapeMarkdown(problem.fix)}*` : '';
    return `- ${icon} ${escapeMarkdown(where)} ${problem.code} ${escapeMarkdown(problem.message)}${fix}`;
}

export function statusTooltip(project: ProjectStatus, trusted = true): string {
    const lines: string[] = [];
    const root = toFsPath(project.root);
    lines.push(`**venvsense** — ${escapeMarkdown(path.basename(root) || root)}`);
    lines.push('');
    const env = project.environment;
    if (env) {
        lines.push(`Environment: \`${toFsPath(env.path)}\`  `);
        lines.push(`Python: ${env.python ? escapeMarkdown(env.python) : 'unknown'}  `);
        lines.push(`Source: ${escapeMarkdown(SOURCE_LABELS[env.source] ?? env.source)}  `);
    } else {
        lines.push('Environment: none — this project has no virtual environment  ');
    }
    const c = project.counts;
    lines.push(
        `Problems: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ` +
            `${c.information} information, ${c.hint} hint${c.hint === 1 ? '' : 's'}`,
    );
    const problems = project.problems ?? [];
    if (problems.length) {
        lines.push('');
        const total = c.error + c.warning + c.information + c.hint;
        lines.push(total > problems.length ? `Top ${problems.length} of ${total}:` : 'All of them:');
        lines.push('');
        for (const problem of problems) lines.push(problemLine(project, problem));
    }
    if (project.summary) {
        lines.push('');
        lines.push(escapeMarkdown(project.summary));
    }
    lines.push('');
    lines.push(trusted ? 'Click for fixes.' : 'Restricted Mode: fixes that run programs are off until you trust this workspace.');
    return lines.join('\n');
}

export function statusView(project: ProjectStatus, codes: CodeCounts = new Map(), trusted = true): StatusView {
    return { text: statusText(project, codes), tooltip: statusTooltip(project, trusted), emphasis: statusEmphasis(project) };
}

function isInside(child: string, parent: string): boolean {
    const relative = path.relative(parent, child);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The project a file belongs to: the one with the deepest root containing it (nested projects win). */
export function projectForFile(projects: readonly ProjectStatus[], fileUriOrPath: string): ProjectStatus | undefined {
    const file = toFsPath(fileUriOrPath);
    let best: ProjectStatus | undefined;
    let bestLength = -1;
    for (const project of projects) {
        const root = toFsPath(project.root);
        if (isInside(file, root) && root.length > bestLength) {
            best = project;
            bestLength = root.length;
        }
    }
    return best;
}

/** Merges a notification into what is known: projects are keyed by root; a newer entry replaces an older. */
export function mergeStatus(known: ReadonlyMap<string, ProjectStatus>, update: StatusNotification): Map<string, ProjectStatus> {
    const merged = new Map(known);
    for (const project of update.projects ?? []) {
        merged.set(project.root, project);
    }
    return merged;
}

export interface Fix {
    /** The command's name without `venvsense.` (`installMissing`), or `showOutput`. */
    id: string;
    label: string;
    detail: string;
    /** The server command (`workspace/executeCommand`) it runs, with its arguments; none for `showOutput`. */
    command?: string;
    arguments?: unknown[];
    /** Runs a process (creates a venv, installs): never offered in an untrusted workspace. */
    runsProcess: boolean;
}

/** How a server command is shown: its icon and a sentence on what it does. */
const PRESENTATION: Record<string, { icon: string; detail: string }> = {
    [CREATE_ENVIRONMENT]: { icon: 'add', detail: 'Create a virtual environment in the project and install its dependencies' },
    [INSTALL_MISSING]: { icon: 'cloud-download', detail: 'Install the declared packages that are not installed' },
    [FIX_VERSIONS]: { icon: 'versions', detail: 'Reinstall packages whose installed version does not match the declaration' },
    [RECREATE_ENVIRONMENT]: { icon: 'refresh', detail: 'Build the venv anew (with the right Python) and install the dependencies' },
    [RECHECK]: { icon: 'search', detail: 'Read the project and its venv again' },
};

const SHOW_OUTPUT_FIX: Fix = {
    id: 'showOutput',
    label: '$(output) Show output',
    detail: "The language server's log and the installers' output",
    runsProcess: false,
};

function fromServer(fix: ServerFix): Fix {
    const shown = PRESENTATION[fix.command] ?? { icon: 'wrench', detail: '' };
    return {
        id: fix.command.replace(/^venvsense\./, ''),
        label: `$(${shown.icon}) ${fix.title}`,
        detail: shown.detail,
        command: fix.command,
        arguments: fix.arguments,
        runsProcess: PROCESS_COMMANDS.includes(fix.command),
    };
}

/**
 * The fixes to offer for a project now: those the server lists for it, in its order, then "Show output".
 * Nothing that runs a process is offered in an untrusted workspace; while an action runs, only the output.
 */
export function fixesFor(project: ProjectStatus, trusted: boolean): Fix[] {
    const busy = project.state === 'busy';
    const fixes = busy ? [] : (project.fixes ?? []).map(fromServer).filter((fix) => trusted || !fix.runsProcess);
    return [...fixes, SHOW_OUTPUT_FIX];
}

/** The fixes of one project, for a quick pick that lists several projects. */
export interface FixGroup {
    project: ProjectStatus;
    /** The project folder's name, as the group's heading. */
    label: string;
    fixes: Fix[];
}

/**
 * The fixes of every known project, the current one first, then by root; "Show output" is left to the caller
 * (it is not about one project). Names that repeat (two `api` folders) get their parent folder added.
 */
export function fixGroups(projects: readonly ProjectStatus[], current: ProjectStatus | undefined, trusted: boolean, busyRoots: ReadonlySet<string> = new Set()): FixGroup[] {
    const ordered = [...projects].sort((a, b) => {
        if (current && a.root === current.root) return -1;
        if (current && b.root === current.root) return 1;
        return toFsPath(a.root).localeCompare(toFsPath(b.root));
    });
    const names = ordered.map((project) => path.basename(toFsPath(project.root)));
    return ordered.map((project, index) => {
        const root = toFsPath(project.root);
        const repeated = names.filter((name) => name === names[index]).length > 1;
        const label = repeated ? path.join(path.basename(path.dirname(root)), names[index]) : names[index] || root;
        const shown = busyRoots.has(project.root) ? { ...project, state: 'busy' as const } : project;
        return { project, label, fixes: fixesFor(shown, trusted).filter((fix) => fix.id !== SHOW_OUTPUT_FIX.id) };
    });
}

export const SHOW_OUTPUT_ITEM: Fix = SHOW_OUTPUT_FIX;
