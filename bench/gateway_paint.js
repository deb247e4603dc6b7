/**
 * Browser half of bench/gateway_bench.py: one headless Chromium, one page per
 * JupyterLab (local kernels, and kernels on a gateway). Both run the same
 * notebook; then each run opens every graph from the panel in one lab, then
 * in the other, the order swapped every run, so the two share the machine's
 * drift. Not meant to be run by hand.
 *
 * Reads a JSON job from argv[2]: {labs: {kind: url}, notebook, chromium, runs,
 * rowCount, runTimeoutMs, opens: [name]}.
 * Prints one JSON object: {kind: {name: [ms...]}}.
 */
'use strict';

const { chromium } = require('playwright-core');
const { clickToPaint, closeDocuments, rowSelector, runNotebook } = require('./panel_paint');

const log = (...args) => process.stderr.write(args.join(' ') + '\n');

async function main() {
  const job = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: job.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
  const kinds = Object.keys(job.labs);
  const pages = {};
  const result = {};
  try {
    for (const kind of kinds) {
      pages[kind] = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      log(kind);
      await runNotebook(pages[kind], { ...job, url: job.labs[kind] });
      result[kind] = {};
    }
    for (let run = 0; run < job.runs; run++) {
      const order = run % 2 ? [...kinds].reverse() : kinds;
      for (const name of job.opens) {
        for (const kind of order) {
          const page = pages[kind];
          await page.bringToFront();
          await page.evaluate(() => window.jupyterapp.shell.activateById('jupyter-tgraph-panel'));
          const ms = await clickToPaint(page, await rowSelector(page, name), '.tg-document');
          (result[kind][name] = result[kind][name] || []).push(ms);
          log(`${kind} open ${name}: ${ms.toFixed(0)} ms`);
          await closeDocuments(page);
        }
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(error => {
  log(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
