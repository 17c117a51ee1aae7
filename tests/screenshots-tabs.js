// Screenshots of every side-panel tab, of presentation mode and of the split-vote scenario's
// explanation at 1920×1080, 1280×800, 1024×768 and 390×844, light and dark: `node screenshots-tabs.js [filter]` writes
// tests/artifacts/tabs/<size>-<scheme>-<view>.png (only views whose name contains `filter`).
import { serve, launch, until, ARTIFACTS } from './e2e/harness.js';
import fs from 'node:fs';
import path from 'node:path';

const filter = process.argv[2] || '';
const dir = path.join(ARTIFACTS, 'tabs');
fs.mkdirSync(dir, { recursive: true });
const sizes = [
  ['1920x1080', { width: 1920, height: 1080 }],
  ['1280x800', { width: 1280, height: 800 }],
  ['1024x768', { width: 1024, height: 768 }],
  ['390x844', { width: 390, height: 844 }],
];
const server = await serve('/');
const browser = await launch();

async function shot(page, name, full = false) {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: full });
  console.log(file);
}

async function tab(page, name) {
  await page.click(`.tab[data-tab="${name}"]`);
  await until(page, (n) => document.querySelector(`.tab[data-tab="${n}"]`)?.getAttribute('aria-selected') === 'true', `tab ${name}`, 5000, name);
}

try {
  for (const [size, viewport] of sizes) {
    for (const scheme of ['light', 'dark']) {
      const base = `${size}-${scheme}`;
      const ctx = await browser.newContext({ viewport, colorScheme: scheme });
      const page = await ctx.newPage();
      await page.goto(server.url);
      await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
      await page.waitForTimeout(700);
      await page.keyboard.press(' ');
      const phone = viewport.width < 800;
      const views = [
        ['node', async () => { await page.keyboard.press('3'); }],
        ['clients', async () => { await tab(page, 'clients'); }],
        ['settings', async () => { await tab(page, 'settings'); }],
        ['protocol', async () => { await tab(page, 'protocol'); }],
        ['present', async () => { await page.keyboard.press('f'); await page.waitForTimeout(300); }],
      ];
      for (const [name, act] of views) {
        if (!`${base}-${name}`.includes(filter)) continue;
        await act();
        await page.waitForTimeout(250);
        if (phone && name !== 'present') await page.locator('.side').scrollIntoViewIfNeeded();
        await shot(page, `${base}-${name}`);
        if (name === 'present') await page.keyboard.press('f');
      }
      // The split-vote scenario, explained beside the graph, then in presentation mode.
      if (`${base}-splitvote`.includes(filter)) {
        const title = 'Raft: a split vote, then a winner';
        await page.selectOption('select.gallery', { label: title });
        await until(page, (t) => document.querySelector('.scenario-name')?.textContent === t, title, 10000, title);
        for (let i = 0; i < 6; i++) await page.keyboard.press(']');
        await until(page, () => document.querySelector('.explain-strip .explanation[data-kind="won"]'), 'the election explained', 30000);
        await page.keyboard.press(' ');
        await page.waitForTimeout(250);
        await shot(page, `${base}-splitvote`);
        await page.keyboard.press('f');
        await page.waitForTimeout(300);
        await shot(page, `${base}-splitvote-present`);
        await page.keyboard.press('f');
      }
      // Other protocols' own tabs.
      for (const [protocol, label] of [['2pc', 'commit'], ['dynamo', 'store']]) {
        if (!`${base}-${label}`.includes(filter)) continue;
        await page.selectOption('select[aria-label="Protocol"]', protocol);
        await until(page, (p) => document.querySelector('select[aria-label="Protocol"]').value === p, protocol, 10000, protocol);
        await page.waitForTimeout(500);
        if (protocol === '2pc') {
          await tab(page, 'clients');
          await page.click('form.txn-form button[type="submit"]');
          await page.waitForTimeout(1500);
        }
        await page.keyboard.press(' ');
        await tab(page, 'protocol');
        if (phone) await page.locator('.side').scrollIntoViewIfNeeded();
        await shot(page, `${base}-${label}`);
      }
      await ctx.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
