// End-to-end: a uv project whose venv drifted from its uv.lock, in real VS Code (code-server 4.139.1 = VS Code
// 1.139) with the packaged .vsix. The status bar says ".venv · 2 out of sync with uv.lock", its quick pick offers
// "Sync .venv with uv.lock" first, picking it runs `uv sync --frozen` (offline: the lock's wheels are files) and
// the status bar turns to the check; then `uv lock` run "in a terminal" after a manifest edit makes the drift show
// again without any editor event. Screenshots in test-artifacts/e2e-lock/ at the repository root.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e-lock');
const work = mkdtempSync(path.join(os.tmpdir(), 'venvsense-e2e-lock-'));
const wheelhouse = path.join(work, 'wheelhouse');
const project = path.join(work, 'shop');
const userDataDir = path.join(work, 'user-data');
const uv = path.join(path.dirname(serverPython), 'uv');
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
        console.log(`e2e lock: ${name} done at ${elapsed()}`);
    } catch (error) {
        await page?.screenshot({ path: path.join(artifacts, `FAILED-${name}.png`) }).catch(() => {});
        throw error;
    }
}

function pyproject(...dependencies) {
    const listed = dependencies.map((d) => `"${d}"`).join(', ');
    return `[project]\nname = "shop"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = [${listed}]\n`;
}

const offline = { ...process.env, UV_OFFLINE: '1', UV_NO_CONFIG: '1', UV_PYTHON_DOWNLOADS: 'never' };

function lock() {
    execFileSync(uv, ['lock', '--offline', '--find-links', wheelhouse], { cwd: project, env: offline, stdio: 'inherit' });
}

/** What the venv holds: name → version, from its dist-info folders. */
function installed() {
    const lib = path.join(project, '.venv', 'lib');
    const python = readdirSync(lib).find((name) => name.startsWith('python'));
    const site = path.join(lib, python, 'site-packages');
    return Object.fromEntries(
        readdirSync(site)
            .filter((name) => name.endsWith('.dist-info'))
            .map((name) => name.slice(0, -'.dist-info'.length).split('-')),
    );
}

async function statusText() {
    const item = page.locator('.part.statusbar [aria-label^="venvsense: "]').first();
    if ((await item.count()) === 0 || !(await item.isVisible())) return '';
    return ((await item.textContent()) ?? '').trim();
}

before(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    ensureDir(artifacts);
    assert.ok(existsSync(uv), `uv next to ${serverPython}`);
    assert.equal(buildWheels(wheelhouse, ['vsalpha==1.0', 'vsalpha==2.0', 'vsbeta==1.0']).length, 3);
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'pyproject.toml'), pyproject('vsalpha==1.0', 'vsbeta'));
    lock();
    // the venv drifted: another vsalpha, no vsbeta
    execFileSync(serverPython, ['-m', 'venv', '--without-pip', path.join(project, '.venv')]);
    execFileSync(serverPython, ['-m', 'pip', '--python', path.join(project, '.venv', 'bin', 'python'), 'install',
        '--quiet', '--no-index', '--find-links', wheelhouse, 'vsalpha==2.0'], { stdio: 'inherit' });
    writeUserSettings(userDataDir, {
        'venvsense.server.interpreter': serverPython,
        'venvsense.install.findLinks': [wheelhouse], // the lock's own registry: the person's folder, no consent asked
        'venvsense.trace.server': 'messages',
    });
    installExtension(userDataDir, findVsix());
    server = await startCodeServer({ userDataDir, folder: project, trusted: true, logFile: path.join(artifacts, 'code-server.log') });
    browser = await launchBrowser();
    page = await openWorkbenchPage(browser, server.url);
    await quickOpen(page, 'pyproject.toml');
    await page.waitForSelector('.tabs-container .tab[aria-label*="pyproject.toml"]', { timeout: 20_000 });
    console.log(`e2e lock: fixtures in ${work}; .vsix ${findVsix()}`);
});

after(async () => {
    await browser?.close().catch(() => {});
    server?.stop();
    if (!process.env.VENVSENSE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
    console.log(`e2e lock: total ${elapsed()}`);
});

describe('a venv that drifted from its uv.lock', () => {
    test('the status bar says how many packages are out of sync with uv.lock', async () => {
        await step('01-out-of-sync', async () => {
            await waitFor(async () => (await statusText()) === '.venv · 2 out of sync with uv.lock',
                'the status bar to say ".venv · 2 out of sync with uv.lock"', 120_000);
        });
    });

    test('its quick pick offers the sync first, and the sync brings the venv in line', async () => {
        await step('02-sync', async () => {
            await page.locator('.part.statusbar [aria-label^="venvsense: "]').first().click();
            await page.waitForSelector('.quick-input-widget:visible .quick-input-list .monaco-list-row');
            const picks = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
            assert.ok(picks[0]?.startsWith('Sync .venv with uv.lock'), `status-bar fixes: ${JSON.stringify(picks)}`);
            await page.screenshot({ path: path.join(artifacts, '02a-quick-pick.png') });
            await page.locator('.quick-input-list .monaco-list-row').first().click();
            // the check's text: the venv and its Python (3.11.7), no drift left
            await waitFor(async () => /^\.venv · \d+\.\d+(\.\d+)?$/.test(await statusText()), 'the status bar to show the synced venv', 120_000);
            assert.deepEqual(installed(), { vsalpha: '1.0', vsbeta: '1.0' });
        });
    });

    test('uv lock in a terminal after a manifest edit shows the drift again', async () => {
        await step('03-lock-changed', async () => {
            writeFileSync(path.join(project, 'pyproject.toml'), pyproject('vsalpha==2.0', 'vsbeta'));
            lock();
            await waitFor(async () => (await statusText()) === '.venv · 1 out of sync with uv.lock',
                'the status bar to say ".venv · 1 out of sync with uv.lock"', 30_000);
        });
    });
});
