// The server's `venvsense/confirmIndex` request: before the first install that uses an index option set by one of
// the project's requirements files (`-i`, `--extra-index-url`, `--find-links`), the person sees the URL in a modal
// dialog and says yes or no. A requirements file in a cloned repository must not decide alone where packages (and
// the code their builds run) come from. Answers `{ allow: boolean }`; closing the dialog is a no.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export const CONFIRM_INDEX_REQUEST = 'venvsense/confirmIndex';

export interface IndexSetting {
    option: string;
    value: string;
    origin: string;
}

export interface ConfirmIndexParams {
    project: string;
    message: string;
    settings: IndexSetting[];
}

const ALLOW = 'Allow and install';

export async function confirmIndex(params: ConfirmIndexParams): Promise<{ allow: boolean }> {
    const detail = (params.settings ?? []).map((s) => `${s.option} ${s.value}   (${s.origin})`).join('\n');
    const answer = await vscode.window.showWarningMessage(
        params.message || 'The project chooses where packages come from.',
        { modal: true, detail },
        ALLOW,
    );
    return { allow: answer === ALLOW };
}

/** Answer the server's consent requests in this client (call once, before or after `start()`). */
export function registerConfirmIndex(client: LanguageClient): void {
    client.onRequest(CONFIRM_INDEX_REQUEST, confirmIndex);
}
