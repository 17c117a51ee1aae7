// Screenshots of the built page for the README and for looking at the UI:
// `node screenshot.js` writes tests/artifacts/{desktop,phone,dark}.png.
import { serve, launch, open, until, screenshot } from './e2e/harness.js';

const server = await serve('/');
const browser = await launch();
try {
  const shots = [
    ['desktop.png', { width: 1280, height: 800 }, 'light'],
    ['phone.png', { width: 390, height: 844 }, 'light'],
    ['dark.png', { width: 1280, height: 800 }, 'dark'],
  ];
  for (const [name, viewport, scheme] of shots) {
    const { page } = await open(browser, server.url, viewport);
    await page.emulateMedia({ colorScheme: scheme });
    await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
    await page.waitForTimeout(800);
    // An interesting moment: one follower crashed, one link cut, another node selected.
    const follower = await page.evaluate(() => document.querySelector('.node[data-role="follower"]').dataset.node);
    await page.keyboard.press(follower.slice(1));
    await page.keyboard.press('c');
    await page.locator('.link[data-link="n1-n2"] .link-hit').click();
    const other = await page.evaluate((f) => [...document.querySelectorAll('.node[data-role="follower"][data-status="up"]')].map((n) => n.dataset.node).find((n) => n !== f), follower);
    await page.keyboard.press(other.slice(1));
    await page.waitForTimeout(700);
    console.log(await screenshot(page, name));
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
