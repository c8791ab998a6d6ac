// Compiles the unit tests (test/*.test.ts and the pure modules they import) to out/test/ for `node --test`.
// The modules under test import no `vscode`, so they run in plain Node.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';

const tests = readdirSync('test').filter((name) => name.endsWith('.test.ts')).map((name) => `test/${name}`);
rmSync('out/test', { recursive: true, force: true });
await esbuild.build({
    entryPoints: tests,
    bundle: true,
    outdir: 'out/test',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
});
