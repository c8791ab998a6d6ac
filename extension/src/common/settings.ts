// The `venvsense.*` settings: what the server is told (initializationOptions, didChangeConfiguration) and
// what the extension itself uses (the interpreter). Only a type import of `vscode`, so this stays testable.

import type * as vscode from 'vscode';

export type Installer = 'auto' | 'uv' | 'pip';

/** What the server honours, with the same names as the `venvsense.*` settings (and `[tool.venvsense]`). */
export interface ServerSettings {
    venv: string;
    installer: Installer;
    severity: Record<string, string>;
    checkImports: boolean;
    checkUnused: boolean;
    requirements: string[];
    install: {
        findLinks: string[];
        noIndex: boolean;
        /** Left out when empty: the server refuses anything but a URL, and none means the default index. */
        indexUrl?: string;
    };
    /** The installed version after each declaration of a manifest (inlay hints). */
    inlayHints: { installed: boolean };
    /** "imported by N files · installed X" above each declaration. */
    codeLens: boolean;
}

/**
 * The server's `initializationOptions`: the settings flat, as the server reads them
 * (server/venvsense/lsp/settings.py), plus whether the workspace is trusted.
 */
export interface InitializationOptions extends ServerSettings {
    /** False in an untrusted workspace: the server must not offer or run anything that starts a process. */
    trusted: boolean;
}

export function initializationOptions(settings: ServerSettings, trusted: boolean): InitializationOptions {
    return { ...settings, trusted };
}

type Reader = Pick<vscode.WorkspaceConfiguration, 'get'>;

/**
 * The answer to one item of the server's `workspace/configuration` request: for the `venvsense` section,
 * the settings of the item's scope (a workspace folder: its own values over the workspace's) read as for
 * `initializationOptions` (paths expanded for that folder) plus whether the workspace is trusted — a pulled
 * section must never read as trusted when the workspace is not; any other section as VS Code answered it.
 */
export function configurationAnswer(
    section: string | undefined,
    answered: unknown,
    settingsOfScope: () => ServerSettings,
    trusted: boolean,
): unknown {
    return section === 'venvsense' ? initializationOptions(settingsOfScope(), trusted) : answered;
}

function strings(value: unknown): string[] {
    if (typeof value === 'string') return value ? [value] : [];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/**
 * Settings for the server from one configuration scope, with `${workspaceFolder}` and `~` expanded in
 * paths so the server gets paths it can use as they are.
 */
export function readServerSettings(config: Reader, workspaceFolder?: string, home?: string): ServerSettings {
    const expand = (value: string): string => expandPath(value, workspaceFolder, home);
    const installer = config.get<string>('installer', 'auto');
    const severity = config.get<Record<string, unknown>>('severity', {}) ?? {};
    const rawIndexUrl = config.get<unknown>('install.indexUrl', '');
    const indexUrl = typeof rawIndexUrl === 'string' ? rawIndexUrl.trim() : '';
    return {
        venv: expand(config.get<string>('venv', '') ?? ''),
        installer: installer === 'uv' || installer === 'pip' ? installer : 'auto',
        severity: Object.fromEntries(
            Object.entries(severity).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        ),
        checkImports: config.get<boolean>('checkImports', true) !== false,
        checkUnused: config.get<boolean>('checkUnused', true) !== false,
        requirements: strings(config.get<unknown>('requirements', [])),
        install: {
            findLinks: strings(config.get<unknown>('install.findLinks', [])).map(expand),
            noIndex: config.get<boolean>('install.noIndex', false) === true,
            ...(indexUrl ? { indexUrl } : {}),
        },
        inlayHints: { installed: config.get<boolean>('inlayHints.installed', true) !== false },
        codeLens: config.get<boolean>('codeLens', false) === true,
    };
}

/** The interpreter setting: a path (with `${workspaceFolder}`/`~` expanded) or undefined when empty. */
export function readInterpreterSetting(config: Reader, workspaceFolder?: string, home?: string): string[] | undefined {
    const value = config.get<unknown>('server.interpreter', '');
    const parts = strings(value);
    if (parts.length === 0 || !parts[0].trim()) return undefined;
    return parts.map((part) => expandPath(part.trim(), workspaceFolder, home));
}

export function expandPath(value: string, workspaceFolder?: string, home?: string): string {
    let result = value;
    if (workspaceFolder !== undefined) {
        result = result.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    }
    if (home && (result === '~' || result.startsWith('~/'))) {
        result = home + result.slice(1);
    }
    return result;
}

