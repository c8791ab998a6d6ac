// Renders media/icon.svg to media/icon.png (128×128, transparent corners) with the Chromium the end-to-end
// test drives (playwright-core from e2e/setup-tools.sh's cache): no image tool needed.
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { extensionDir, launchBrowser } from '../e2e/harness.mjs';

const svg = readFileSync(path.join(extensionDir, 'media', 'icon.svg'), 'utf8');
const browser = await launchBrowser();
try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: path.join(extensionDir, 'media', 'icon.png'), omitBackground: true });
} finally {
    await browser.close();
}
console.log('media/icon.png written');
