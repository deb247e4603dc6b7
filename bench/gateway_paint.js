/**
 * Browser half of bench/gateway_bench.py: one headless Chromium, one page per
 * JupyterLab (local kernels, and kernels on a gateway). Both run the same
 * notebook; then each run opens every graph from the panel in one lab, then
 * in the other, the order swapped every run, so the two share the machine's
 * drift. Not meant to be run by hand.
 *
 * Reads a JSON job from argv[2]: {labs: {kind: url}, notebook, chromium, runs,
 * rowCount, runTimeoutMs, opens: [name]}.
 * Prints one JSON object: {kind: {name: [ms...]}, parts: {kind: {name: [part...]}}},
 * where a part splits one open by the clocks of the panel's comm messages
 * (one machine, one clock): `kernel` from the request's date to the reply's,
 * `relay` from the reply's date to its arrival in the page, `browser` from
 * there to the paint, and `chars` the reply's size as JSON.
 */
'use strict';

const { chromium } = require('playwright-core');
const { clickToPaint, closeDocuments, rowSelector, runNotebook } = require('./panel_paint');

const log = (...args) => process.stderr.write(args.join(' ') + '\n');

/** In the page: note every panel reply (`graph`, `layout`, or either packed) the notebook's kernel delivers. */
async function installProbe(page) {
  await page.evaluate(() => {
    const shell = window.jupyterapp.shell;
    const notebook = Array.from(shell.widgets('main')).find(w => w.sessionContext);
    const kernel = notebook.sessionContext.session.kernel;
    window.__tgReplies = [];
    kernel.iopubMessage.connect((_, msg) => {
      const type = msg.header.msg_type === 'comm_msg' && msg.content.data && msg.content.data.type;
      if (type === 'graph' || type === 'layout' || type === 'packed') {
        window.__tgReplies.push({ arrived: Date.now(), msg });
      }
    });
  });
}

/** In the page: split the last open (clicked at `clicked`, epoch ms) with the replies it waited for. */
async function lastParts(page, clicked, ms) {
  return page.evaluate(
    ([clickedAt, total]) => {
      const replies = window.__tgReplies.filter(
        r => Date.parse(r.msg.parent_header.date) >= clickedAt - 1
      );
      window.__tgReplies = [];
      if (!replies.length) {
        return null;
      }
      const last = replies[replies.length - 1];
      const sent = Date.parse(last.msg.header.date);
      const chars = replies.reduce((n, r) => {
        const buffers = r.msg.buffers || [];
        return (
          n + JSON.stringify(r.msg.content).length + buffers.reduce((b, x) => b + x.byteLength, 0)
        );
      }, 0);
      return {
        kernel: sent - Date.parse(replies[0].msg.parent_header.date),
        relay: last.arrived - sent,
        browser: clickedAt + total - last.arrived,
        chars,
        replies: replies.length
      };
    },
    [clicked, ms]
  );
}

async function main() {
  const job = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: job.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
  const kinds = Object.keys(job.labs);
  const pages = {};
  const result = {};
  const parts = {};
  try {
    for (const kind of kinds) {
      pages[kind] = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      log(kind);
      await runNotebook(pages[kind], { ...job, url: job.labs[kind] });
      await installProbe(pages[kind]);
      result[kind] = {};
      parts[kind] = {};
    }
    for (let run = 0; run < job.runs; run++) {
      const order = run % 2 ? [...kinds].reverse() : kinds;
      for (const name of job.opens) {
        for (const kind of order) {
          const page = pages[kind];
          await page.bringToFront();
          await page.evaluate(() => window.jupyterapp.shell.activateById('jupyter-tgraph-panel'));
          const row = await rowSelector(page, name);
          const clicked = await page.evaluate(() => Date.now());
          const ms = await clickToPaint(page, row, '.tg-document');
          (result[kind][name] = result[kind][name] || []).push(ms);
          const part = await lastParts(page, clicked, ms);
          (parts[kind][name] = parts[kind][name] || []).push(part);
          log(`${kind} open ${name}: ${ms.toFixed(0)} ms ${JSON.stringify(part)}`);
          await closeDocuments(page);
        }
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify({ ...result, parts }) + '\n');
}

main().catch(error => {
  log(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
