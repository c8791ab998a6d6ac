// End-to-end: completion in a requirements file, in real VS Code (code-server), from a package index the test
// serves on 127.0.0.1 (PEP 691 JSON pages and wheels written by tests/support/index.py, served by node:http).
// The project's venv holds vsalpha 1.0; the index has vsalpha 1.0, 2.0, 2.1, 3.0rc1 and vsalphabet.
// Screenshots go to test-artifacts/e2e-completion/ (vscode.e2e.mjs owns test-artifacts/e2e/ and empties it).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
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

const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e-completion');
const work = mkdtempSync(path.join(os.tmpdir(), 'venvsense-e2e-completion-'));
const indexFolder = path.join(work, 'index');
const project = path.join(work, 'shop');
const userDataDir = path.join(work, 'user-data');
const requests = [];
let httpServer;
let codeServer;
let browser;
let page;

const INDEX_SCRIPT = String.raw`
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from support.index import LocalIndex
index = LocalIndex(Path(sys.argv[2]))
for version in ("1.0", "2.0", "2.1", "3.0rc1"):
    index.add("vsalpha", version, upload_time=f"2025-0{len(version)}-01T00:00:00Z")
index.add("vsalphabet", "0.3")
index.add("vsbeta", "1.0")
`;

function serveIndex() {
    return new Promise((resolve) => {
        const server = createServer((request, response) => {
            requests.push(request.url);
            let file = path.join(indexFolder, decodeURIComponent(request.url.split('?')[0]));
            let type = 'application/octet-stream';
            if (file.endsWith('/')) {
                file = path.join(file, 'index.json');
                type = 'application/vnd.pypi.simple.v1+json';
            }
            if (!file.startsWith(indexFolder) || !existsSync(file) || !statSync(file).isFile()) {
                response.writeHead(404).end();
                return;
            }
            response.writeHead(200, { 'Content-Type': type }).end(readFileSync(file));
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

async function shot(name) {
    await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

/** The rows of the suggest widget (their text), after asking for suggestions until `wanted` holds. */
async function suggestions(wanted, message) {
    let rows = [];
    await waitFor(
        async () => {
            await page.keyboard.press('Escape');
            await page.keyboard.press('Control+Space');
            const widget = page.locator('.editor-widget.suggest-widget.visible');
            await widget.waitFor({ state: 'visible', timeout: 5_000 });
            await page.waitForTimeout(300); // the list settles (a second answer replaces an incomplete one)
            rows = await widget.locator('.monaco-list-row').evaluateAll((nodes) =>
                nodes
                    .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
                    .map((node) => (node.querySelector('.label-name')?.textContent ?? '').trim()),
            );
            return wanted(rows);
        },
        `${message} (last: ${JSON.stringify(rows)})`,
        60_000,
        1000,
    );
    return rows;
}

before(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    execFileSync(serverPython, ['-c', INDEX_SCRIPT, path.join(repoRoot, 'tests'), indexFolder], { stdio: 'inherit' });
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'requirements.txt'), 'vsalpha==1.0\n');
    writeFileSync(path.join(project, 'app.py'), 'import vsalpha\n');
    execFileSync(serverPython, ['-m', 'venv', '--without-pip', path.join(project, '.venv')]);
    execFileSync(serverPython, ['-m', 'pip', '--python', path.join(project, '.venv', 'bin', 'python'), 'install', '-q',
        '--no-index', '--find-links', path.join(indexFolder, 'files'), 'vsalpha==1.0'], { stdio: 'inherit' });
    httpServer = await serveIndex();
    // the language server inherits code-server's environment: the index, a cache of its own, no user config
    process.env.PIP_INDEX_URL = `http://127.0.0.1:${httpServer.address().port}/simple/`;
    process.env.VENVSENSE_CACHE_DIR = path.join(work, 'cache');
    process.env.PIP_CONFIG_FILE = os.devNull;
    process.env.UV_NO_CONFIG = '1';
    delete process.env.PIP_NO_INDEX;
    delete process.env.UV_NO_INDEX;
    writeUserSettings(userDataDir, { 'venvsense.server.interpreter': serverPython, 'venvsense.trace.server': 'messages' });
    installExtension(userDataDir, findVsix());
    // the server of this checkout, whatever .vsix is installed (run-tests packages this checkout: then the same)
    const installed = path.join(userDataDir, 'ext', readdirSync(path.join(userDataDir, 'ext')).find((n) => n.startsWith('venvsense.')));
    const bundled = path.join(installed, 'bundled', 'libs', 'venvsense');
    rmSync(bundled, { recursive: true, force: true });
    cpSync(path.join(repoRoot, 'server', 'venvsense'), bundled, { recursive: true, filter: (from) => !from.includes('__pycache__') });
    codeServer = await startCodeServer({ userDataDir, folder: project, trusted: true,
        logFile: path.join(artifacts, 'code-server.log') });
    browser = await launchBrowser();
    page = await openWorkbenchPage(browser, codeServer.url, 700);
    await quickOpen(page, 'requirements.txt');
    await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: 20_000 });
    // the server is up and has checked the project: the status bar names the venv
    await waitFor(async () => {
        const item = page.locator('.part.statusbar [aria-label^="venvsense: "]').first();
        return (await item.count()) > 0 && /\.venv/.test((await item.textContent()) ?? '');
    }, 'the status bar to name .venv', 120_000);
});

after(async () => {
    await browser?.close().catch(() => {});
    codeServer?.stop();
    httpServer?.close();
    if (!process.env.VENVSENSE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
});

/** Runs a test's body; on failure leaves a screenshot named after it. */
async function step(name, body) {
    try {
        await body();
    } catch (error) {
        await page?.screenshot({ path: path.join(artifacts, `FAILED-${name}.png`) }).catch(() => {});
        throw error;
    }
}

describe('completion in a requirements file', () => {
    test('names: the installed distribution first, then the index', () => step('names', async () => {
        await page.locator('.editor-instance .view-lines').click();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('vsal');
        const rows = await suggestions((r) => r.includes('vsalpha') && r.includes('vsalphabet'), 'vsalpha and vsalphabet');
        await shot('01-names');
        assert.equal(rows[0], 'vsalpha');
        assert.ok(requests.includes('/simple/'), `the index's project list was read: ${JSON.stringify(requests)}`);
    }));

    test('versions: newest first, no pre-release', () => step('versions', async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.type('pha==');
        const rows = await suggestions((r) => r.includes('2.1'), 'the versions of vsalpha');
        await shot('02-versions');
        assert.deepEqual(rows.slice(0, 3), ['2.1', '2.0', '1.0']);
        assert.ok(!rows.includes('3.0rc1'), JSON.stringify(rows));
        await page.keyboard.press('Enter');
        await waitFor(async () => /vsalpha==2\.1/.test(await page.locator('.editor-instance .view-lines').innerText()),
            'the chosen version in the editor', 10_000);
        await shot('03-chosen');
    }));
});
