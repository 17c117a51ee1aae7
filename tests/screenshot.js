// Take screenshots of the built page at desktop and phone sizes: `node screenshot.js [out-dir]`.
import { serve, launch, open, until, screenshot, ARTIFACTS } from './e2e/harness.js';

const server = await serve('/');
const browser = await launch();
try {
  for (const [name, viewport] of [['desktop.png', { width: 1280, height: 800 }], ['phone.png', { width: 390, height: 844 }]]) {
    const { page } = await open(browser, server.url, viewport);
    await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
    await page.waitForTimeout(1200);
    await page.keyboard.press('2');
    const file = await screenshot(page, name);
    console.log(file);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
