// End-to-end: the packaged .vsix in real VS Code (code-server 4.139.1 = VS Code 1.139), driven from Chromium.
// A fixture project without a venv; a wheelhouse built here; installs with --no-index --find-links.
// Screenshots of every step go to test-artifacts/e2e/ at the repository root.
//
// Needs what e2e/setup-tools.sh installs (run-tests does that) and a .vsix from `npm run package`.
// It also makes the images the extension's README shows (test-artifacts/e2e/media/): the tooltip screenshot
// and an animated walk-through assembled from the trusted run's screenshots; VENVSENSE_E2E_UPDATE_MEDIA=1
// copies them into extension/media/.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeApng } from './apng.mjs';
import {
    artifactsDir,
    extensionDir,
    buildWheels,
    copyProject,
    ensureDir,
    findVsix,
    GiveUp,
    installExtension,
    launchBrowser,
    serverPython,
    startCodeServer,
    waitFor,
    writeProject,
    writeUserSettings,
} from './harness.mjs';

const started = Date.now();
/** Titles of actions that run a process: quick fixes, status-bar fixes, palette commands. */
const RUNS_A_PROCESS = /^(venvsense: )?(Create|Install|Recreate|Fix)\b/;
const work = mkdtempSync(path.join(os.tmpdir(), 'venvsense-e2e-'));
const wheelhouse = path.join(work, 'wheelhouse');
const trustedProject = path.join(work, 'trusted', 'shop');
const untrustedProject = path.join(work, 'untrusted', 'shop');
let browser;
const servers = [];

function elapsed() {
    return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

async function shot(page, name) {
    await page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });
}

/** Runs a step; on failure leaves a screenshot named after it, and the error. */
async function step(page, name, body) {
    try {
        await body();
        console.log(`e2e: ${name} done at ${elapsed()}`);
    } catch (error) {
        await page?.screenshot({ path: path.join(artifactsDir, `FAILED-${name}.png`) }).catch(() => {});
        throw error;
    }
}

/** The README's images: made from these screenshots (and checked against README.md's links). */
const MEDIA = {
    'screenshot.png': '12-status-tooltip',
    'walkthrough.png': ['01-problems-vs101', '02b-status-fixes', '03-quick-fix-menu', '05-healthy'],
};
const WALKTHROUGH_DELAYS_MS = [3000, 3000, 3000, 4000];

async function openWorkbench(url) {
    // Small enough for the README's images (the walk-through ships in the .vsix), big enough for the menus.
    const context = await browser.newContext({ viewport: { width: 1120, height: 700 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The workbench takes keys only once an editor part is there.
    await page.waitForSelector('.part.editor', { timeout: 60_000 });
    return page;
}

async function openFile(page, name) {
    await page.locator('.part.editor').click();
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget:visible');
    await page.keyboard.type(name);
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.tabs-container .tab[aria-label*="${name}"]`, { timeout: 20_000 });
    await page.waitForSelector('.editor-instance .monaco-editor .view-lines');
}

/** The text of venvsense's status-bar item ('' while hidden). */
async function statusText(page) {
    const item = page.locator('.part.statusbar [aria-label^="venvsense: "]').first();
    if ((await item.count()) === 0 || !(await item.isVisible())) return '';
    return ((await item.textContent()) ?? '').trim();
}

async function statusIcon(page) {
    const item = page.locator('.part.statusbar [aria-label^="venvsense: "]').first();
    const icon = item.locator('.codicon').first();
    if ((await icon.count()) === 0) return '';
    return (await icon.getAttribute('class')) ?? '';
}

/** Hovers venvsense's status-bar item and returns its tooltip's text (left shown). */
async function statusTooltipText(page) {
    await page.mouse.move(700, 300);
    await page.locator('.part.statusbar [aria-label^="venvsense: "]').first().hover();
    const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: 'venvsense' }).first();
    await hover.waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(300); // the fade-in, before a screenshot
    return ((await hover.innerText()) ?? '').trim();
}

async function showProblems(page) {
    await page.keyboard.press('Control+Shift+M');
    await page.waitForSelector('.markers-panel', { timeout: 20_000 });
}

async function problemsText(page) {
    const panel = page.locator('.markers-panel');
    if ((await panel.count()) === 0) return '';
    return (await panel.first().innerText()) ?? '';
}

/** Opens the quick fix menu at the start of the active editor and returns the titles it lists. */
async function quickFixTitles(page) {
    await page.locator('.editor-instance .monaco-editor .view-line').first().click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('Control+.');
    let titles = [];
    await waitFor(
        async () => {
            if (await page.locator('.monaco-editor-overlaymessage:visible').count()) {
                titles = []; // "No code actions available"
                return true;
            }
            const rows = page.locator('.action-widget .monaco-list-row.action');
            if ((await rows.count()) === 0) return false;
            titles = (await rows.allInnerTexts()).map((t) => t.trim());
            return true;
        },
        'the quick fix menu to open',
        20_000,
    );
    return titles;
}

async function paletteTitles(page, query) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget:visible');
    await page.keyboard.type(query);
    await page.waitForTimeout(800); // the list filters as it is typed; also lets the fade-in finish
    return (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Clicks venvsense's status-bar item and returns the fixes its quick pick offers (left open). */
async function statusBarFixes(page) {
    await page.locator('.part.statusbar [aria-label^="venvsense: "]').first().click();
    await page.waitForSelector('.quick-input-widget:visible .quick-input-list .monaco-list-row');
    await page.waitForTimeout(400); // let the quick pick finish its fade-in before a screenshot
    return (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Runs a command by its title from the command palette. */
async function runCommand(page, title) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget:visible');
    await page.keyboard.type(title);
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${title}"]`, { timeout: 10_000 });
    await page.keyboard.press('Enter');
}

/** Stops a wait when VS Code shows an error notification from venvsense (the action failed). */
async function failOnErrorNotification(page) {
    const errors = page.locator('.notification-toast', { has: page.locator('.codicon-error') });
    const count = await errors.count();
    for (let i = 0; i < count; i++) {
        const text = ((await errors.nth(i).innerText()) ?? '').replace(/\s+/g, ' ').trim();
        if (/venvsense/i.test(text)) throw new GiveUp(`VS Code showed an error: ${text}`);
    }
}

/** Fails when VS Code shows a warning from venvsense about a setting (the server refused a value). */
async function assertNoSettingWarnings(page) {
    const toasts = await page.locator('.notification-toast', { hasText: 'venvsense: setting' }).allInnerTexts();
    assert.deepEqual(toasts.map((t) => t.replace(/\s+/g, ' ').trim()), [], 'settings the server refused');
}

/** The Python the extension started the server with, from its log ("starting the language server with …"). */
function serverStartedWith(userDataDir) {
    const logs = path.join(userDataDir, 'logs');
    const found = [];
    const walk = (folder) => {
        for (const entry of readdirSync(folder, { withFileTypes: true })) {
            const full = path.join(folder, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.name === 'venvsense.log') found.push(readFileSync(full, 'utf8'));
        }
    };
    if (existsSync(logs)) walk(logs);
    return found.join('\n').match(/starting the language server with (\S+)/)?.[1];
}

function saveLogs(userDataDir, name) {
    const logs = path.join(userDataDir, 'logs');
    if (existsSync(logs)) cpSync(logs, path.join(artifactsDir, `logs-${name}`), { recursive: true });
}

before(() => {
    rmSync(artifactsDir, { recursive: true, force: true });
    ensureDir(artifactsDir);
    const wheels = buildWheels(wheelhouse, ['vsalpha==1.0', 'vsbeta==2.1', 'vsgamma==0.3']);
    assert.equal(wheels.length, 3);
    writeProject(trustedProject);
    copyProject(trustedProject, untrustedProject);
    console.log(`e2e: fixtures in ${work}; .vsix ${findVsix()}; server Python ${serverPython}`);
});

after(async () => {
    await browser?.close().catch(() => {});
    for (const server of servers) server.stop();
    if (!process.env.VENVSENSE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
    console.log(`e2e: total ${elapsed()}`);
});

describe('venvsense in VS Code, trusted workspace', () => {
    const userDataDir = path.join(work, 'trusted', 'user-data');
    let page;
    let created = false;

    before(async () => {
        writeUserSettings(userDataDir, {
            'venvsense.server.interpreter': serverPython,
            'venvsense.install.findLinks': [wheelhouse],
            'venvsense.install.noIndex': true,
            'venvsense.trace.server': 'messages',
        });
        installExtension(userDataDir, findVsix());
        const server = await startCodeServer({
            userDataDir,
            folder: trustedProject,
            trusted: true,
            logFile: path.join(artifactsDir, 'code-server-trusted.log'),
        });
        servers.push(server);
        browser = await launchBrowser();
        page = await openWorkbench(server.url);
        await openFile(page, 'requirements.txt');
    });

    after(() => saveLogs(userDataDir, 'trusted'));

    test('(a) the Problems panel lists VS101 for requirements.txt', async () => {
        await step(page, '01-problems-vs101', async () => {
            await showProblems(page);
            await waitFor(async () => /VS101/.test(await problemsText(page)), 'VS101 in the Problems panel', 90_000);
            const text = await problemsText(page);
            assert.match(text, /requirements\.txt/);
            assert.match(text, /no virtual environment|has no venv|no venv/i);
            await shot(page, '01-problems-vs101');
        });
    });

    test('(b) the status bar says there is no venv', async () => {
        await step(page, '02-status-no-venv', async () => {
            await waitFor(async () => (await statusText(page)) === 'No venv', 'the status bar item to say "No venv"', 30_000);
            assert.match(await statusIcon(page), /codicon-error/);
            await shot(page, '02-status-no-venv');
            const picks = await statusBarFixes(page);
            await shot(page, '02b-status-fixes');
            await page.keyboard.press('Escape');
            assert.ok(picks[0]?.startsWith('Create .venv here'), `status-bar fixes: ${JSON.stringify(picks)}`);
            await assertNoSettingWarnings(page);
        });
    });

    test('(c) the "Create .venv here" quick fix creates .venv from the local wheelhouse', async () => {
        await step(page, '03-quick-fix', async () => {
            const titles = await quickFixTitles(page);
            await shot(page, '03-quick-fix-menu');
            assert.ok(titles.some((t) => t.includes('Create .venv here')), `quick fixes offered: ${JSON.stringify(titles)}`);
            await page.locator('.action-widget .monaco-list-row.action', { hasText: 'Create .venv here' }).first().click();
            await waitFor(async () => /Creating|Installing|Checking|sync/i.test(await statusText(page)) || existsSync(path.join(trustedProject, '.venv')), 'the action to start', 30_000, 100);
            await shot(page, '04-creating');
            const sitePackages = () => {
                const lib = path.join(trustedProject, '.venv', 'lib');
                if (!existsSync(lib)) return undefined;
                const python = readdirSync(lib).find((name) => name.startsWith('python'));
                return python ? path.join(lib, python, 'site-packages') : undefined;
            };
            await waitFor(
                async () => {
                    await failOnErrorNotification(page);
                    const site = sitePackages();
                    return site && ['vsalpha', 'vsbeta', 'vsgamma'].every((name) => existsSync(path.join(site, name, '__init__.py')));
                },
                'vsalpha, vsbeta and vsgamma installed in .venv',
                180_000,
                500,
            );
            assert.ok(existsSync(path.join(trustedProject, '.venv', 'pyvenv.cfg')));
            const installed = readdirSync(sitePackages()).filter((name) => name.endsWith('.dist-info'));
            assert.ok(installed.includes('vsbeta-2.1.dist-info'), `installed: ${installed.join(', ')}`);
            created = true;
        });
    });

    test('(d) the diagnostics clear and the status bar turns healthy', async () => {
        assert.ok(created, '(c) did not create the venv, so there is nothing to turn healthy');
        await step(page, '05-healthy', async () => {
            await waitFor(async () => /^\.venv · 3\.\d+\.\d+$/.test(await statusText(page)), 'the status bar to say ".venv · 3.x.y"', 90_000);
            assert.match(await statusIcon(page), /codicon-check/);
            await waitFor(
                async () => /No problems have been detected/.test(await problemsText(page)),
                'the Problems panel to be empty',
                60_000,
            );
            await shot(page, '05-healthy');
        });
    });

    test('(d2) the tooltip names the venv, the counts per severity and the top problems with their fixes', async () => {
        assert.ok(created, '(c) did not create the venv');
        await step(page, '12-status-tooltip', async () => {
            // A package the wheelhouse does not have, and a pin the installed vsbeta 2.1 does not meet.
            writeFileSync(path.join(trustedProject, 'requirements.txt'), 'vsalpha==1.0\nvsbeta==2.0\nvsgamma\nvsdelta==1.2\n');
            await waitFor(async () => /^\.venv · 1 missing, 1 mismatched$/.test(await statusText(page)), 'the status bar to say "1 missing, 1 mismatched"', 60_000);
            assert.match(await statusIcon(page), /codicon-warning/);
            let tooltip = '';
            await waitFor(
                async () => {
                    tooltip = await statusTooltipText(page);
                    return /VS201/.test(tooltip) && /VS202/.test(tooltip);
                },
                'the tooltip to list VS201 and VS202',
                30_000,
                1000,
            );
            await shot(page, '12-status-tooltip');
            const flat = tooltip.replace(/\s+/g, ' ');
            assert.match(flat, new RegExp(`Environment: ${path.join(trustedProject, '.venv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), flat);
            assert.match(flat, /Python: 3\.\d+\.\d+/, flat);
            assert.match(flat, /Source: in-project/, flat);
            assert.match(flat, /Problems: \d+ errors?, \d+ warnings?, \d+ information, \d+ hints?/, flat);
            assert.match(flat, /requirements\.txt:4 VS201 vsdelta==1\.2 is declared but not installed .* fix: Install vsdelta==1\.2/, flat);
            assert.match(flat, /requirements\.txt:2 VS202 .*vsbeta.* fix: Install vsbeta==2\.0/, flat);
            await page.mouse.move(700, 300);
            await assertNoSettingWarnings(page);
            assert.equal(serverStartedWith(userDataDir), serverPython, 'the server runs on venvsense.server.interpreter');
        });
    });
});

/** Chromium's own decoder on an animated PNG: how many frames, and each one's width and duration (µs). */
async function decodeAnimation(file) {
    const page = await browser.newPage();
    try {
        await page.goto(`file://${path.dirname(file)}/`); // a secure context, for ImageDecoder
        return await page.evaluate(async (base64) => {
            const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
            const decoder = new ImageDecoder({ data: bytes, type: 'image/png' });
            await decoder.tracks.ready;
            const frames = [];
            for (let i = 0; i < decoder.tracks.selectedTrack.frameCount; i++) {
                const { image } = await decoder.decode({ frameIndex: i });
                frames.push({ width: image.displayWidth, duration: image.duration });
            }
            return frames;
        }, readFileSync(file).toString('base64'));
    } finally {
        await page.close();
    }
}

test('the README shows the images this test makes', async () => {
    const mediaDir = ensureDir(path.join(artifactsDir, 'media'));
    copyFileSync(path.join(artifactsDir, `${MEDIA['screenshot.png']}.png`), path.join(mediaDir, 'screenshot.png'));
    const frames = MEDIA['walkthrough.png'].map((name) => path.join(artifactsDir, `${name}.png`));
    writeApng(path.join(mediaDir, 'walkthrough.png'), frames, WALKTHROUGH_DELAYS_MS);
    const decoded = await decodeAnimation(path.join(mediaDir, 'walkthrough.png'));
    assert.deepEqual(decoded.map((frame) => frame.duration / 1000), WALKTHROUGH_DELAYS_MS, 'Chromium plays every frame');
    const readme = readFileSync(path.join(extensionDir, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/!\[[^\]]*\]\((media\/[^)\s]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(linked.sort(), Object.keys(MEDIA).map((name) => `media/${name}`).sort(), 'README.md links these images');
    for (const name of Object.keys(MEDIA)) {
        const made = path.join(mediaDir, name);
        console.log(`e2e: ${name} ${Math.round(statSync(made).size / 1024)} KiB`);
        if (process.env.VENVSENSE_E2E_UPDATE_MEDIA === '1') copyFileSync(made, path.join(extensionDir, 'media', name));
        assert.ok(existsSync(path.join(extensionDir, 'media', name)), `extension/media/${name} (VENVSENSE_E2E_UPDATE_MEDIA=1 writes it)`);
    }
});


describe('venvsense in VS Code, untrusted workspace (Restricted Mode)', () => {
    const userDataDir = path.join(work, 'untrusted', 'user-data');
    let page;

    before(async () => {
        writeUserSettings(userDataDir, {
            'venvsense.server.interpreter': serverPython,
            'venvsense.install.findLinks': [wheelhouse],
            'venvsense.install.noIndex': true,
        });
        installExtension(userDataDir, findVsix());
        const server = await startCodeServer({
            userDataDir,
            folder: untrustedProject,
            trusted: false,
            logFile: path.join(artifactsDir, 'code-server-untrusted.log'),
        });
        servers.push(server);
        browser ??= await launchBrowser();
        page = await openWorkbench(server.url);
        await openFile(page, 'requirements.txt');
    });

    after(() => saveLogs(userDataDir, 'untrusted'));

    test('(e) diagnostics still work but no create or install action is offered', async () => {
        await step(page, '06-untrusted', async () => {
            await waitFor(
                async () => (await page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).count()) > 0,
                'the Restricted Mode indicator',
                30_000,
            );
            await showProblems(page);
            await waitFor(async () => /VS101/.test(await problemsText(page)), 'VS101 in the Problems panel (untrusted)', 90_000);
            await waitFor(async () => (await statusText(page)) === 'No venv', 'the status bar item to say "No venv" (untrusted)', 30_000);
            await shot(page, '06-untrusted-problems');

            const titles = await quickFixTitles(page);
            await shot(page, '07-untrusted-quick-fix');
            await page.keyboard.press('Escape');
            const running = titles.filter((t) => RUNS_A_PROCESS.test(t));
            assert.deepEqual(running, [], `quick fixes offered in Restricted Mode: ${JSON.stringify(titles)}`);

            const picks = await statusBarFixes(page);
            await shot(page, '08-untrusted-status-fixes');
            await page.keyboard.press('Escape');
            assert.ok(picks.some((t) => t.includes('Re-check')), `status-bar fixes: ${JSON.stringify(picks)}`);
            assert.deepEqual(picks.filter((t) => RUNS_A_PROCESS.test(t)), []);

            const commands = await paletteTitles(page, 'venvsense: ');
            await shot(page, '09-untrusted-palette');
            await page.keyboard.press('Escape');
            assert.ok(commands.some((t) => t.includes('venvsense: Re-check')), `palette: ${JSON.stringify(commands)}`);
            assert.deepEqual(commands.filter((t) => RUNS_A_PROCESS.test(t)), [], `palette: ${JSON.stringify(commands)}`);
            assert.ok(!existsSync(path.join(untrustedProject, '.venv')), 'no .venv was created');
        });
    });

    test('(f) trusting the workspace offers the fixes without a reload', async () => {
        await step(page, '10-trust', async () => {
            await runCommand(page, 'Manage Workspace Trust');
            const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
            await trust.waitFor({ timeout: 20_000 });
            await trust.click();
            await waitFor(
                async () => (await page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).count()) === 0,
                'Restricted Mode to end',
                20_000,
            );
            await shot(page, '10-trust-granted');
            // The trust editor opens over the workbench (a modal editor in 1.139): close it, back to requirements.txt.
            await runCommand(page, 'View: Close Editor');
            await page.waitForSelector('.workspace-trust-editor', { state: 'hidden', timeout: 10_000 });
            await openFile(page, 'requirements.txt');
            let titles = [];
            await waitFor(
                async () => {
                    titles = await quickFixTitles(page);
                    if (titles.some((t) => t.includes('Create .venv here'))) return true;
                    await page.keyboard.press('Escape');
                    return false;
                },
                'the "Create .venv here" quick fix once trusted',
                45_000,
                1000,
            );
            await shot(page, '11-trusted-quick-fix');
            await page.keyboard.press('Escape');
        });
    });
});

describe('venvsense in VS Code, a multi-root workspace', () => {
    const userDataDir = path.join(work, 'multi', 'user-data');
    const workspaceFile = path.join(work, 'multi', 'shops.code-workspace');
    let page;

    before(async () => {
        for (const name of ['api', 'web']) writeProject(path.join(work, 'multi', name));
        writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: 'api' }, { path: 'web' }] }));
        writeUserSettings(userDataDir, { 'venvsense.server.interpreter': serverPython });
        installExtension(userDataDir, findVsix());
        const server = await startCodeServer({
            userDataDir,
            workspace: workspaceFile,
            trusted: true,
            logFile: path.join(artifactsDir, 'code-server-multi.log'),
        });
        servers.push(server);
        browser ??= await launchBrowser();
        page = await openWorkbench(server.url);
        await openFile(page, 'app.py');
    });

    after(() => saveLogs(userDataDir, 'multi'));

    test('(g) the status-bar menu groups the fixes per project', async () => {
        await step(page, '13-multi-root-fixes', async () => {
            await waitFor(async () => (await statusText(page)) === 'No venv', 'the status bar item to say "No venv"', 90_000);
            let picks = [];
            await waitFor(
                async () => {
                    picks = await statusBarFixes(page);
                    if (picks.filter((t) => t.includes('Create .venv here')).length === 2) return true;
                    await page.keyboard.press('Escape'); // the second project is not checked yet
                    return false;
                },
                'a "Create .venv here" for each project',
                60_000,
                1000,
            );
            await shot(page, '13-multi-root-fixes');
            await page.keyboard.press('Escape');
            const text = picks.join('\n');
            const api = text.indexOf('api — no venv');
            const web = text.indexOf('web — no venv');
            assert.ok(api >= 0 && web >= 0, `status-bar fixes: ${JSON.stringify(picks)}`);
            assert.equal(picks.filter((t) => t.includes('Re-check')).length, 2, JSON.stringify(picks));
            assert.equal(picks.filter((t) => t.includes('Show output')).length, 1, JSON.stringify(picks));
            assert.ok(picks.at(-1).includes('Show output'), JSON.stringify(picks));
            await assertNoSettingWarnings(page);
        });
    });
});
