// End-to-end: manifests as an editor experience (issue 17), the packaged .vsix in real VS Code (code-server), driven
// from Chromium. A project with a real venv (two of its three declarations installed, one at another version):
// the inlay hints after each line of requirements.txt, the code lens above them (`venvsense.codeLens`), and the
// hover on a declaration. Screenshots go to test-artifacts/e2e-manifest/ at the repository root (beside the main
// e2e test's folder, which that test empties when it starts).
//
// Needs what e2e/setup-tools.sh installs (run-tests does that) and a .vsix from `npm run package`.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
    buildWheels,
    findVsix,
    installExtension,
    launchBrowser,
    openWorkbenchPage,
    quickOpen,
    repoRoot,
    serverPython,
    startCodeServer,
    waitFor,
    writeUserSettings,
} from './harness.mjs';

const shots = path.join(repoRoot, 'test-artifacts', 'e2e-manifest');
const work = mkdtempSync(path.join(os.tmpdir(), 'venvsense-e2e-manifest-'));
const wheelhouse = path.join(work, 'wheelhouse');
const project = path.join(work, 'shop');
const userDataDir = path.join(work, 'user-data');
let browser;
let server;
let page;

async function shot(name) {
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** Runs a step; on failure leaves a screenshot named after it. */
async function step(name, body) {
    try {
        await body();
    } catch (error) {
        await page?.screenshot({ path: path.join(shots, `FAILED-${name}.png`) }).catch(() => {});
        throw error;
    }
}

/**
 * The text of the editor's lines as shown, one line each, inlay hints included: VS Code draws a hint as injected
 * text, either a span's text or its CSS `content` (::before/::after), so both are read.
 */
async function editorText() {
    return page.evaluate(() => {
        const pseudo = (element, which) => {
            const content = getComputedStyle(element, which).content;
            if (!content || content === 'none' || content === 'normal') return '';
            try {
                return JSON.parse(content);
            } catch {
                return content.replace(/^["']|["']$/g, '');
            }
        };
        const lines = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')];
        lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
        return lines
            .map((line) =>
                [...line.querySelectorAll('span')]
                    .filter((span) => span.children.length === 0)
                    .map((span) => pseudo(span, '::before') + span.textContent + pseudo(span, '::after'))
                    .join('')
                    .replace(/\u00a0/g, ' '),
            )
            .join('\n');
    });
}

before(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    assert.equal(buildWheels(wheelhouse, ['vsalpha==1.0', 'vsbeta==2.1']).length, 2);
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'requirements.txt'), 'vsalpha==1.0\nvsbeta==2.0\nvsgamma\n');
    writeFileSync(path.join(project, 'app.py'), 'import vsalpha\nimport vsbeta\n');
    writeFileSync(path.join(project, 'report.py'), 'import vsalpha\n');
    // the venv, as a person would have made it: vsalpha 1.0 and vsbeta 2.1 from the wheelhouse, vsgamma missing
    execFileSync(serverPython, ['-m', 'venv', '--without-pip', path.join(project, '.venv')], { stdio: 'inherit' });
    execFileSync(
        serverPython,
        ['-m', 'pip', '--python', path.join(project, '.venv', 'bin', 'python'), 'install', '--quiet', '--no-index',
            '--find-links', wheelhouse, 'vsalpha==1.0', 'vsbeta==2.1'],
        { stdio: 'inherit', env: { ...process.env, PIP_CONFIG_FILE: os.devnull, PIP_DISABLE_PIP_VERSION_CHECK: '1' } },
    );
    writeUserSettings(userDataDir, {
        'venvsense.server.interpreter': serverPython,
        'venvsense.codeLens': true,
        'editor.inlayHints.enabled': 'on',
    });
    installExtension(userDataDir, findVsix());
    server = await startCodeServer({ userDataDir, folder: project, trusted: true, logFile: path.join(shots, 'code-server.log') });
    browser = await launchBrowser();
    page = await openWorkbenchPage(browser, server.url, 700);
    await quickOpen(page, 'requirements.txt');
    await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: 20_000 });
});

after(async () => {
    await browser?.close().catch(() => {});
    server?.stop();
    const logs = path.join(userDataDir, 'logs');
    if (existsSync(logs)) cpSync(logs, path.join(shots, 'logs'), { recursive: true });
    if (!process.env.VENVSENSE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
});

describe('manifests in VS Code', () => {
    test('inlay hints after each declaration: the installed version, a mismatch, not installed', async () => {
        await step('01-inlay-hints', async () => {
            await waitFor(
                async () => {
                    const text = await editorText();
                    return /vsalpha==1\.0\s*1\.0/.test(text) && /vsbeta==2\.0\s*2\.1 ≠ ==2\.0/.test(text) && /vsgamma\s*not installed/.test(text);
                },
                'the inlay hints "1.0", "2.1 ≠ ==2.0" and "not installed" in requirements.txt',
                120_000,
            ).catch(async (error) => {
                throw new Error(`${error.message}; the editor shows:\n${await editorText()}`);
            });
            await page.waitForTimeout(300);
            await shot('01-inlay-hints');
        });
    });

    test('code lens above each declaration: importers and the installed version', async () => {
        await step('02-code-lens', async () => {
            const lenses = page.locator('.editor-instance .monaco-editor .codelens-decoration');
            await waitFor(async () => (await lenses.count()) >= 3, 'three code lenses', 60_000);
            const titles = (await lenses.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
            assert.deepEqual(titles.slice(0, 3), [
                'imported by 2 files · installed 1.0',
                'imported by 1 file · installed 2.1 ≠ ==2.0',
                'not imported · not installed',
            ]);
            await shot('02-code-lens');
        });
    });

    test('hover on a declaration: installed version, where, and who imports it', async () => {
        await step('03-hover', async () => {
            await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'vsbeta' }).first().locator('span').first().hover();
            const hover = page.locator('.monaco-hover', { hasText: 'vsbeta' }).first();
            await hover.waitFor({ state: 'visible', timeout: 20_000 });
            const text = (await hover.innerText()).replace(/\s+/g, ' ');
            assert.match(text, /installed: 2\.1/);
            assert.match(text, /does not satisfy ==2\.0/);
            assert.match(text, /imported by 1 file: app\.py/);
            await page.waitForTimeout(300);
            await shot('03-hover');
        });
    });
});
