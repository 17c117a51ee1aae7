// Accessibility audit with axe-core: no serious or critical violations, light and dark, with
// a node selected, with the help overlay open, and with the timeline's mark editor and manual
// mode open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serve, launch, until } from './harness.js';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function audit(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const scheme of ['light', 'dark']) {
  test(`no serious accessibility violations (${scheme})`, async () => {
    // The audit script is injected inline, which the page's CSP rightly forbids: bypass it here.
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
    await page.keyboard.press(' '); // pause so the page holds still while audited
    await page.keyboard.press('2');
    await until(page, () => document.querySelector('[data-inspecting="n2"]'), 'n2 selected');
    const main = await audit(page);
    assert.deepEqual(main, [], JSON.stringify(main, null, 2));
    await page.keyboard.press('?');
    await until(page, () => document.querySelector('[role="dialog"]'), 'help');
    const help = await audit(page);
    assert.deepEqual(help, [], JSON.stringify(help, null, 2));
    // The timeline with a mark being edited and manual mode's list of next events.
    await page.keyboard.press('Escape');
    await page.keyboard.press('c');
    await page.check('.tl-manual input');
    await until(page, () => document.querySelectorAll('.tl-picks li').length > 0, 'manual mode');
    await page.focus('.tl-mark');
    await page.keyboard.press('Enter');
    await until(page, () => document.querySelector('.tl-edit'), 'the mark editor');
    const timeline = await audit(page);
    assert.deepEqual(timeline, [], JSON.stringify(timeline, null, 2));
    await context.close();
  });
}

test('no serious accessibility violations in every protocol\'s panel', async () => {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await until(page, () => document.querySelector('.node[data-node="n1"]'), 'the page');
  for (const protocol of ['dynamo', '2pc', '3pc', 'pbft']) {
    await page.selectOption('select[aria-label="Protocol"]', protocol);
    await until(page, (p) => document.querySelector('select[aria-label="Protocol"]').value === p && document.querySelector('.node[data-node="n3"]'), `${protocol} running`, 10000, protocol);
    await page.keyboard.press(' ');
    await page.keyboard.press('2');
    const found = await audit(page);
    assert.deepEqual(found, [], `${protocol}: ${JSON.stringify(found, null, 2)}`);
  }
  // Raft with a client selected (the client view and the clients' panel).
  await page.selectOption('select[aria-label="Protocol"]', 'raft');
  await until(page, () => document.querySelector('.node.client'), 'clients');
  await page.click('.node.client[data-node="c1"]');
  const raft = await audit(page);
  assert.deepEqual(raft, [], JSON.stringify(raft, null, 2));
  await context.close();
});
