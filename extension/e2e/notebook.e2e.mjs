// End-to-end: a Jupyter notebook in real VS Code (code-server 4.139.1 = VS Code 1.139, its built-in ipynb
// support), with the packaged .vsix. The server declares notebook document sync, the client syncs the notebook's
// Python cells, and each finding shows on its cell: the missing import in cell 3 (VS301, an error squiggle in
// that cell's editor) and the `%pip install` of cell 2 (VS305, information), both in the Problems panel.
// Screenshots in test-artifacts/e2e-notebook/ at the repository root (vscode.e2e.mjs empties test-artifacts/e2e/).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
    buildWheels,
    ensureDir,
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

const started = Date.now();
const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e-notebook');
const work = mkdtempSync(path.join(os.tmpdir(), 'venvsense-e2e-notebook-'));
const wheelhouse = path.join(work, 'wheelhouse');
const project = path.join(work, 'lab');
const userDataDir = path.join(work, 'user-data');
let browser;
let server;
let page;

function elapsed() {
    return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

async function step(name, body) {
    try {
        await body();
        await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
        console.log(`e2e notebook: ${name} done at ${elapsed()}`);
    } catch (error) {
        await page?.screenshot({ path: path.join(artifacts, `FAILED-${name}.png`) }).catch(() => {});
        throw error;
    }
}

const cell = (kind, lines) => ({
    cell_type: kind,
    metadata: {},
    source: lines,
    ...(kind === 'code' ? { execution_count: null, outputs: [] } : {}),
});

/** A project declaring vsalpha (installed in its .venv) and a notebook: a markdown cell, a `%pip install` cell,
 * and a cell importing vsalpha and a module nothing provides. */
function writeLab() {
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'requirements.txt'), 'vsalpha==1.0\n');
    const notebook = {
        cells: [
            cell('markdown', ['# Exploring the data\n']),
            cell('code', ['%pip install -q vsbeta==2.1\n']),
            cell('code', ['import vsalpha\n', 'import vsmissing\n', '\n', 'print(vsalpha.__version__)\n']),
        ],
        metadata: {
            kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
            language_info: { name: 'python' },
        },
        nbformat: 4,
        nbformat_minor: 5,
    };
    writeFileSync(path.join(project, 'analysis.ipynb'), JSON.stringify(notebook, null, 1));
    execFileSync(serverPython, ['-m', 'venv', '--without-pip', path.join(project, '.venv')]);
    execFileSync(serverPython, ['-m', 'pip', '--python', path.join(project, '.venv', 'bin', 'python'), 'install',
        '--quiet', '--no-index', '--find-links', wheelhouse, 'vsalpha==1.0'], { stdio: 'inherit' });
}

async function problemsText() {
    const panel = page.locator('.markers-panel');
    if ((await panel.count()) === 0) return '';
    return (await panel.first().innerText()) ?? '';
}

before(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    ensureDir(artifacts);
    assert.equal(buildWheels(wheelhouse, ['vsalpha==1.0']).length, 1);
    writeLab();
    writeUserSettings(userDataDir, {
        'venvsense.server.interpreter': serverPython,
        'venvsense.trace.server': 'messages',
        'notebook.output.textLineLimit': 10,
    });
    installExtension(userDataDir, findVsix());
    server = await startCodeServer({
        userDataDir, folder: project, trusted: true, logFile: path.join(artifacts, 'code-server.log'),
    });
    browser = await launchBrowser();
    page = await openWorkbenchPage(browser, server.url);
    console.log(`e2e notebook: fixtures in ${work}; .vsix ${findVsix()}`);
});

after(async () => {
    await browser?.close().catch(() => {});
    server?.stop();
    if (!process.env.VENVSENSE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
    console.log(`e2e notebook: total ${elapsed()}`);
});

describe('a notebook in VS Code', () => {
    test('the notebook opens in the notebook editor', async () => {
        await step('01-notebook-open', async () => {
            await quickOpen(page, 'analysis.ipynb');
            await page.waitForSelector('.notebook-editor .cell-list-container', { timeout: 60_000 });
            await waitFor(
                async () => (await page.locator('.notebook-editor .code-cell-row').count()) === 2,
                'the two code cells of the notebook',
                60_000,
            );
        });
    });

    test('the missing import shows on cell 3, the %pip install on cell 2', async () => {
        await step('02-problems-on-cells', async () => {
            const cells = page.locator('.notebook-editor .code-cell-row');
            // the error squiggle is in the third cell's editor (the second code cell), not in the second's
            await waitFor(
                async () => (await cells.nth(1).locator('.squiggly-error').count()) > 0,
                'an error squiggle in cell 3 (import vsmissing)',
                120_000,
            );
            assert.equal(await cells.nth(0).locator('.squiggly-error').count(), 0, 'no error in cell 2');
            await waitFor(
                async () => (await cells.nth(0).locator('.squiggly-info').count()) > 0,
                'an information squiggle in cell 2 (%pip install vsbeta)',
                60_000,
            );
            await page.keyboard.press('Control+Shift+M');
            await page.waitForSelector('.markers-panel', { timeout: 20_000 });
            await waitFor(async () => /VS301/.test(await problemsText()) && /VS305/.test(await problemsText()),
                'VS301 and VS305 in the Problems panel', 60_000);
            const text = await problemsText();
            assert.match(text, /vsmissing/);
            assert.match(text, /'vsbeta' is installed from the notebook; declare it/);
            assert.match(text, /analysis\.ipynb/);
            // each problem is placed on its cell's line: "[Ln 2, Col 8]" in the third cell, "[Ln 1, …]" in the second
            assert.match(text, /Ln 2, Col 8/);
            await page.mouse.move(10, 10);
            await page.waitForTimeout(300);
        });
    });

    test('editing the cell (unsaved) clears the missing import', async () => {
        await step('03-cell-edited', async () => {
            const third = page.locator('.notebook-editor .code-cell-row').nth(1);
            await third.locator('.view-line', { hasText: 'vsmissing' }).first().click();
            await page.keyboard.press('End');
            await page.keyboard.press('Shift+Home');
            await page.keyboard.type('import json');
            await waitFor(
                async () => (await third.locator('.squiggly-error').count()) === 0 && !/VS301/.test(await problemsText()),
                'the error to go once the cell no longer imports vsmissing',
                60_000,
            );
            assert.match(await problemsText(), /VS305/);
        });
    });

    test('the quick fix on the %pip cell declares the package in requirements.txt', async () => {
        await step('04-quick-fix-on-cell', async () => {
            const second = page.locator('.notebook-editor .code-cell-row').nth(0);
            await second.locator('.view-line', { hasText: 'vsbeta' }).first().click();
            await page.keyboard.press('End');
            await page.keyboard.press('Control+.');
            const row = page.locator('.action-widget .monaco-list-row.action', { hasText: 'Add vsbeta==2.1 to requirements.txt' });
            await row.first().waitFor({ state: 'visible', timeout: 20_000 });
            await page.screenshot({ path: path.join(artifacts, '04a-quick-fix-menu.png') });
            await row.first().click();
            await waitFor(async () => !/VS305/.test(await problemsText()), 'VS305 to go once requirements.txt declares vsbeta', 60_000);
            // the edit is in requirements.txt's buffer, as any workspace edit (saving is the person's choice)
            await page.keyboard.press('F1');
            await page.waitForSelector('.quick-input-widget:visible');
            await page.keyboard.type('File: Save All');
            await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="File: Save All"]', { timeout: 10_000 });
            await page.keyboard.press('Enter');
            await waitFor(async () => readFileSync(path.join(project, 'requirements.txt'), 'utf8') === 'vsalpha==1.0\nvsbeta==2.1\n',
                'requirements.txt saved with vsbeta==2.1', 20_000);
        });
    });
});
