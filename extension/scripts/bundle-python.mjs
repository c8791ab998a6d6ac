// Puts venvsense and its runtime dependencies under bundled/libs, so the .vsix runs the server with any
// Python >= 3.10 that has nothing installed (the extension sets PYTHONPATH to bundled/libs).
//
// Two pip runs: venvsense itself from the repository root (built from source), then its dependencies as
// pure-Python wheels resolved for Python 3.10 — the oldest the server supports — so the backports that
// only older Pythons need (tomli, exceptiongroup, …) are bundled too. Python: $VENVSENSE_BUNDLE_PYTHON, else
// the repository's tooling venv (../.venv), else python3. $VENVSENSE_SOURCE: bundle another checkout.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(extensionDir, '..');
// The venvsense source tree to bundle: the repository root unless $VENVSENSE_SOURCE names another checkout.
const source = process.env.VENVSENSE_SOURCE ? path.resolve(process.env.VENVSENSE_SOURCE) : repoRoot;
const libs = path.join(extensionDir, 'bundled', 'libs');
const TARGET_PYTHON = '3.10';

function pickPython() {
    if (process.env.VENVSENSE_BUNDLE_PYTHON) return process.env.VENVSENSE_BUNDLE_PYTHON;
    const tooling = path.join(repoRoot, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
    return existsSync(tooling) ? tooling : 'python3';
}

function pip(python, args) {
    console.log(`bundle-python: pip ${args.join(' ')}`);
    execFileSync(python, ['-m', 'pip', '--disable-pip-version-check', '--no-input', ...args], {
        stdio: ['ignore', 'inherit', 'inherit'],
        cwd: extensionDir,
    });
}

/** The Requires-Dist lines of the venvsense distribution just installed into `libs`. */
function requirementsOfVenvsense() {
    const distInfo = readdirSync(libs).find((name) => /^venvsense-.*\.dist-info$/.test(name));
    if (!distInfo) throw new Error(`no venvsense-*.dist-info in ${libs}`);
    const metadata = readFileSync(path.join(libs, distInfo, 'METADATA'), 'utf8');
    return metadata
        .split(/\r?\n/)
        .filter((line) => line.startsWith('Requires-Dist:'))
        .map((line) => line.slice('Requires-Dist:'.length).trim())
        .filter((requirement) => !/extra\s*==/.test(requirement));
}

function sizeOf(folder) {
    let total = 0;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
    }
    return total;
}

function removeCaches(folder) {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (!entry.isDirectory()) continue;
        if (entry.name === '__pycache__') rmSync(full, { recursive: true, force: true });
        else removeCaches(full);
    }
}

// Requirements (of every distribution in libs, recursively) whose markers hold on Python 3.10 and that are
// not installed yet: pip evaluates markers for the running Python even with --python-version, so we do it.
const MISSING_FOR_TARGET = `
import sys, importlib.metadata as md
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
libs, version = sys.argv[1], sys.argv[2]
env = {"python_version": version, "python_full_version": version + ".0", "extra": ""}
dists = {canonicalize_name(d.metadata["Name"]): d for d in md.distributions(path=[libs])}
missing = {}
for dist in dists.values():
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        if name not in dists:
            requirement.marker = None
            missing.setdefault(name, str(requirement))
print("\\n".join(missing.values()))
`;

function missingForTarget(python) {
    const output = execFileSync(python, ['-c', MISSING_FOR_TARGET, libs, TARGET_PYTHON], {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: libs },
    });
    return output.split('\n').map((line) => line.trim()).filter(Boolean);
}

const python = pickPython();
rmSync(libs, { recursive: true, force: true });
mkdirSync(libs, { recursive: true });
pip(python, ['install', '-qq', '--no-compile', '--target', libs, '--no-deps', source]);
let count = 0;
for (let round = 0; round < 20; round++) {
    const missing = round === 0 ? requirementsOfVenvsense().map((r) => r.replace(/;.*$/, '').trim()) : missingForTarget(python);
    if (missing.length === 0) break;
    count += missing.length;
    pip(python, [
        'install', '-qq', '--no-compile', '--no-deps', '--target', libs,
        '--python-version', TARGET_PYTHON, '--implementation', 'py', '--abi', 'none', '--platform', 'any',
        '--only-binary=:all:',
        ...missing,
    ]);
}
rmSync(path.join(libs, 'bin'), { recursive: true, force: true });
removeCaches(libs);
if (!existsSync(path.join(libs, 'venvsense', '__main__.py'))) {
    throw new Error('bundle-python: venvsense did not land in bundled/libs');
}
console.log(`bundle-python: venvsense and ${count} distributions, ${(sizeOf(libs) / 1048576).toFixed(1)} MiB in bundled/libs`);
