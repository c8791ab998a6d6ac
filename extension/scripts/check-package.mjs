// What the .vsix ships, checked: `vsce ls` lists only what runs or what the Marketplace page shows (the
// .vscodeignore allow-list), everything that must be there is, and the .vsix stays within its size budget.
//   node scripts/check-package.mjs [path/to.vsix]     (run-tests runs it after `npm run package`)
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The budget: about 1.1 MB of code and Python libraries, plus the README's images (about 0.3 MB). Raised from
 *  1536 KiB on 2026-11-30, when lock files, scripts, notebooks and the manifest editor features (issues 15-17)
 *  brought the server's own code past it by 5 KiB; it still fails on a stray file or a library nobody asked for. */
export const VSIX_BUDGET_KIB = 1600;

const SHIPPED = [
    /^package\.json$/,
    /^README\.md$/,
    /^CHANGELOG\.md$/,
    /^LICENSE$/,
    /^language-configuration\.json$/,
    /^dist\/extension\.js$/,
    /^syntaxes\/[\w.-]+\.tmLanguage\.json$/,
    /^media\/(icon|screenshot|walkthrough)\.png$/,
    /^bundled\/libs\/(?!bin\/)[^]*$/, // the server and its pure-Python dependencies, no console scripts
];
const REQUIRED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'media/icon.png',
    'bundled/libs/venvsense/__init__.py'];

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vsce = path.join(extensionDir, 'node_modules', '.bin', 'vsce');
const listed = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: extensionDir, encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
const problems = [];
for (const file of listed) {
    if (!SHIPPED.some((pattern) => pattern.test(file))) problems.push(`ships ${file}, which the allow-list does not name`);
    if (/(^|\/)__pycache__\/|\.pyc$/.test(file)) problems.push(`ships compiled Python: ${file}`);
}
for (const file of REQUIRED) {
    if (!listed.includes(file)) problems.push(`does not ship ${file}`);
}
const vsix = process.argv[2];
if (vsix) {
    const kib = Math.ceil(statSync(vsix).size / 1024);
    console.log(`check-package: ${path.basename(vsix)} is ${kib} KiB (budget ${VSIX_BUDGET_KIB} KiB), ${listed.length} files`);
    if (kib > VSIX_BUDGET_KIB) problems.push(`${path.basename(vsix)} is ${kib} KiB, over the ${VSIX_BUDGET_KIB} KiB budget`);
}
if (problems.length) {
    for (const problem of problems) console.error(`check-package: ${problem}`);
    process.exit(1);
}
