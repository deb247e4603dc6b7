// Drives code-server for bench/vscode_list.py: opens the test notebook, runs
// it, opens the tgraph view, then re-runs the %%tgraph cell RUNS times and
// reads, for each run, when the list showed the new graph against when the
// cell's reply came (the stand-in ends the cell's execution on its reply; the
// list webview records both clocks: renderedAt and cellEndedAt).
// Usage: node vscode_list.js URL RUNS  (prints one JSON line of milliseconds)
const { chromium } = require('../tests/vscode/node_modules/playwright-core');

const [url, runs] = [process.argv[2], Number(process.argv[3] || 10)];

async function frameWith(page, selector) {
  for (let i = 0; i < 600; i++) {
    for (const frame of page.frames()) {
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no webview shows ${selector}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.setDefaultTimeout(120000);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor();
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('graphs.ipynb');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'graphs.ipynb' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.notebook-toolbar-container [aria-label^="Run All"]').first().click();
  await page.locator('.activitybar a.action-label[aria-label^="tgraph"]').click();
  const list = await frameWith(page, 'body.tg-sidebar .tg-panel-row');
  const rows = list.locator('.tg-panel-row');
  while ((await rows.count()) < 2) await page.waitForTimeout(200);
  const cell = page.locator('.notebook-editor .code-cell-row').nth(2);
  const delays = [];
  for (let run = 0; run < runs; run++) {
    const before = await rows.count();
    await cell.hover();
    await cell.locator('.run-button-container [aria-label^="Execute Cell"]').first().click();
    while ((await rows.count()) <= before) await page.waitForTimeout(5);
    const { renderedAt, cellEndedAt } = await list.locator('.tg-panel').evaluate(e => ({ ...e.dataset }));
    delays.push(Number(renderedAt) - Number(cellEndedAt));
    await page.waitForTimeout(1500); // the widget's own timing run settles
  }
  console.log(JSON.stringify(delays));
  await browser.close();
})().catch(error => {
  console.error(error);
  process.exit(1);
});
