// Choosing the Python that runs the language server: the `venvsense.server.interpreter` setting, else the
// Python extension's interpreter, else `python3`/`python` on PATH; the first one that is Python 3.10 or
// newer wins. No `vscode` import: the sources are handed in, so the order is testable with node alone.

import { execFile } from 'node:child_process';

export const MINIMUM_PYTHON: readonly [number, number] = [3, 10];

export interface InterpreterSource {
    /** Where the candidate comes from, for messages: "setting venvsense.server.interpreter". */
    label: string;
    /** An explicit choice by the user: when it is unusable, say so rather than quietly use another. */
    explicit: boolean;
    /** The command (executable and any leading arguments), or undefined when this source has none. */
    find(): Promise<string[] | undefined>;
}

/** Runs a candidate and returns its `X.Y.Z` version, or throws with a reason a person can read. */
export type Probe = (command: string[]) => Promise<string>;

export interface Interpreter {
    command: string[];
    version: string;
    source: string;
}

export interface Rejection {
    source: string;
    command: string[] | undefined;
    reason: string;
}

export interface InterpreterChoice {
    interpreter?: Interpreter;
    rejected: Rejection[];
    /** True when an explicit choice was unusable and the search stopped there. */
    stoppedAtExplicit: boolean;
}

export function parseVersion(text: string): [number, number, number] | undefined {
    const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
    if (!match) return undefined;
    return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function isRecentEnough(version: string, minimum: readonly [number, number] = MINIMUM_PYTHON): boolean {
    const parsed = parseVersion(version);
    if (!parsed) return false;
    return parsed[0] > minimum[0] || (parsed[0] === minimum[0] && parsed[1] >= minimum[1]);
}

export async function chooseInterpreter(
    sources: readonly InterpreterSource[],
    probe: Probe,
    minimum: readonly [number, number] = MINIMUM_PYTHON,
): Promise<InterpreterChoice> {
    const rejected: Rejection[] = [];
    for (const source of sources) {
        let command: string[] | undefined;
        try {
            command = await source.find();
        } catch (error) {
            rejected.push({ source: source.label, command: undefined, reason: errorText(error) });
            if (source.explicit) return { rejected, stoppedAtExplicit: true };
            continue;
        }
        if (!command || command.length === 0 || !command[0]) {
            continue;
        }
        let version: string;
        try {
            version = await probe(command);
        } catch (error) {
            rejected.push({ source: source.label, command, reason: errorText(error) });
            if (source.explicit) return { rejected, stoppedAtExplicit: true };
            continue;
        }
        if (!isRecentEnough(version, minimum)) {
            rejected.push({ source: source.label, command, reason: `Python ${version} is older than ${minimum.join('.')}` });
            if (source.explicit) return { rejected, stoppedAtExplicit: true };
            continue;
        }
        return { interpreter: { command, version, source: source.label }, rejected, stoppedAtExplicit: false };
    }
    return { rejected, stoppedAtExplicit: false };
}

function errorText(error: unknown): string {
    if (error instanceof Error) return error.message;
    return String(error);
}

/** The message for a person when no usable Python was found, naming what was tried and the fix. */
export function noInterpreterMessage(choice: InterpreterChoice, minimum: readonly [number, number] = MINIMUM_PYTHON): string {
    const wanted = `Python ${minimum.join('.')} or newer`;
    const tried = choice.rejected.map((r) => `${r.source}${r.command ? ` (${r.command.join(' ')})` : ''}: ${r.reason}`);
    if (choice.stoppedAtExplicit) {
        return (
            `venvsense cannot start its language server: the interpreter in the setting venvsense.server.interpreter ` +
            `is not usable — ${tried[tried.length - 1] ?? 'unknown reason'}. Point the setting at ${wanted}, or clear it.`
        );
    }
    const triedText = tried.length ? ` Tried: ${tried.join('; ')}.` : '';
    return (
        `venvsense needs ${wanted} to run its language server and found none.${triedText} ` +
        `Install ${wanted} (on PATH as python3), or set venvsense.server.interpreter to one.`
    );
}

const VERSION_SCRIPT = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';

/** Asks an interpreter for its version by running it (argument list, no shell). */
export function probeInterpreter(command: string[], timeoutMs = 15000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(
            command[0],
            [...command.slice(1), '-c', VERSION_SCRIPT],
            { timeout: timeoutMs, windowsHide: true, env: { ...process.env, PYTHONPATH: '' } },
            (error, stdout) => {
                if (error) {
                    const code = (error as NodeJS.ErrnoException).code;
                    reject(new Error(code === 'ENOENT' ? 'not found' : `does not run (${error.message.split('\n')[0]})`));
                    return;
                }
                const version = stdout.trim();
                if (!parseVersion(version)) {
                    reject(new Error(`answered ${JSON.stringify(version)} when asked its version`));
                    return;
                }
                resolve(version);
            },
        );
    });
}

/** The candidates on PATH, in order. */
export function pathSources(platform: NodeJS.Platform = process.platform): InterpreterSource[] {
    const names = platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
    return names.map((name) => ({ label: `${name} on PATH`, explicit: false, find: async () => [name] }));
}
