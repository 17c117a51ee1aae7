// Screenshots of the run-analysis section (issue 13) for looking at it:
// `node analysis-shots.js` writes tests/artifacts/analysis-{desktop,phone}-{light,dark}.png
// (the default Raft cluster with client operations and a partition) and
// analysis-figure8-{light,dark}.png (the gallery's Figure 8 at its conflicting moment).
import { serve, launch, open, until, screenshot } from './e2e/harness.js';

const server = await serve('/');
const browser = await launch();
const only = process.argv[2];
try {
  for (const scheme of ['light', 'dark']) {
    for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
      if (only && !`${name}-${scheme}`.includes(only)) continue;
      const { page } = await open(browser, server.url, viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
      // The analysis region is closed on a fresh page: open it, and give the keys back.
      await page.click('.an-toggle');
      await page.evaluate(() => document.activeElement?.blur());
      // Faster, a few client operations and a partition.
      for (let i = 0; i < 20; i++) await page.keyboard.press(']');
      await page.waitForTimeout(1500);
      await page.keyboard.press(' ');
      await page.waitForTimeout(300);
      await page.keyboard.press(' ');
      await page.waitForTimeout(2500);
      await page.keyboard.press(' ');
      console.log(await screenshot(page, `analysis-${name}-${scheme}.png`));
      if (name === 'phone') {
        await page.evaluate(() => document.querySelector('.analysis').scrollIntoView());
        await page.screenshot({ path: `artifacts/analysis-${name}-${scheme}-section.png`, fullPage: false });
        const box = await page.evaluate(() => { const r = document.querySelector('.analysis').getBoundingClientRect(); return [r.top + window.scrollY, r.height]; });
        await page.screenshot({ path: `artifacts/analysis-${name}-${scheme}-full.png`, fullPage: true });
        console.log('phone section', box);
      }
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
