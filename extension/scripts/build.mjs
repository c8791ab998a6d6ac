// Bundles the extension (src/extension.ts and what it imports, vscode-languageclient included) into
// dist/extension.js with esbuild. `--production` minifies and drops the source map.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

await esbuild.build({
    entryPoints: ['src/extension.ts'],
    bundle: true,
    outfile: 'dist/extension.js',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
});
console.log(`build: dist/extension.js${production ? ' (production)' : ''}`);
