/**
 * Browser half of bench/bench_panel.py: in headless Chromium, time from a
 * click to the first paint of the picture it asks for, in the JupyterLab
 * that bench_panel.py started. Not meant to be run by hand.
 *
 * Reads a JSON job from argv[2]: {url, notebook, chromium, runs, opens, expands}
 *   opens:   [{name}]                    panel rows to click (by graph name)
 *   expands: [{label, name, boxes}]      open graph `name`, click the first collapsed
 *                                        box matching each selector of `boxes` in turn
 * Prints one JSON object: {opens: {name: [ms...]}, expands: {label: [ms...]}, ...}.
 * A "paint" is the frame after the new `.tg-document .tg-graph svg` is in the
 * DOM: two requestAnimationFrame callbacks after the mutation that added it.
 * bench/gateway_paint.js reuses its helpers.
 */
'use strict';

const { chromium } = require('playwright-core');

const log = (...args) => process.stderr.write(args.join(' ') + '\n');

/** In the page: click `selector`, resolve with ms until the new svg is painted. */
async function clickToPaint(page, clickSelector, scopeSelector) {
  return page.evaluate(
    ([clickSel, scopeSel]) =>
      new Promise((resolve, reject) => {
        const target = document.querySelector(clickSel);
        if (!target) {
          reject(new Error(`nothing matches ${clickSel}`));
          return;
        }
        const old = document.querySelector(`${scopeSel} .tg-graph svg`);
        let start = 0;
        const done = () => {
          observer.disconnect();
          requestAnimationFrame(() =>
            requestAnimationFrame(() => resolve(performance.now() - start))
          );
        };
        const check = () => {
          const svg = document.querySelector(`${scopeSel} .tg-graph svg`);
          if (svg && svg !== old) {
            done();
            return true;
          }
          return false;
        };
        const observer = new MutationObserver(() => check());
        observer.observe(document.body, { childList: true, subtree: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error('no new svg within 120 s'));
        }, 120000);
        start = performance.now();
        // The panel's rows and the graph's boxes listen for plain clicks.
        target.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      }),
    [clickSelector, scopeSelector]
  );
}

async function closeDocuments(page) {
  await page.evaluate(() => {
    const app = window.jupyterapp;
    for (const w of Array.from(app.shell.widgets('main'))) {
      if (w.id.startsWith('tgraph-')) {
        w.dispose();
      }
    }
  });
}

async function rowSelector(page, name) {
  const id = await page.evaluate(n => {
    for (const row of Array.from(document.querySelectorAll('.tg-panel-row'))) {
      const label = row.querySelector('.tg-panel-name');
      if (label && label.textContent.split(' · ')[0] === n) {
        return row.dataset.id;
      }
    }
    return null;
  }, name);
  if (!id) {
    throw new Error(`no panel row for ${name}`);
  }
  return `.tg-panel-row[data-id="${id}"]`;
}

/** Open the notebook in `page`, run every cell, wait until the panel lists `rowCount` graphs. */
async function runNotebook(page, job) {
  await page.goto(`${job.url}/lab/tree/${job.notebook}`);
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.started, null, {
    timeout: 120000
  });
  await page.locator('.jp-Notebook').first().waitFor({ timeout: 120000 });
  // Wait for the kernel, then run every cell (the big graphs take a while).
  const kernelIdle = () => {
    const widget = window.jupyterapp.shell.currentWidget;
    const kernel = widget && widget.sessionContext && widget.sessionContext.session?.kernel;
    return !!kernel && kernel.status === 'idle';
  };
  await page.waitForFunction(kernelIdle, null, { timeout: 120000 });
  log('running the notebook');
  const begun = Date.now();
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  await page.evaluate(() => window.jupyterapp.shell.activateById('jupyter-tgraph-panel'));
  await page.waitForFunction(
    count => document.querySelectorAll('.tg-panel-row').length >= count,
    job.rowCount,
    { timeout: job.runTimeoutMs, polling: 500 }
  );
  await page.waitForFunction(kernelIdle, null, { timeout: job.runTimeoutMs, polling: 500 });
  log(`notebook ran in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
}

async function main() {
  const job = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: job.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const result = { opens: {}, expands: {}, rows: [] };
  try {
    await runNotebook(page, job);
    result.rows = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.tg-panel-row')).map(r =>
        Array.from(r.cells)
          .map(c => c.textContent)
          .join(' | ')
      )
    );
    for (let run = 0; run < job.runs; run++) {
      for (const { name } of job.opens) {
        await page.evaluate(() => window.jupyterapp.shell.activateById('jupyter-tgraph-panel'));
        const ms = await clickToPaint(page, await rowSelector(page, name), '.tg-document');
        (result.opens[name] = result.opens[name] || []).push(ms);
        log(`open ${name}: ${ms.toFixed(0)} ms`);
        await closeDocuments(page);
      }
      for (const { label, name, boxes } of job.expands) {
        await page.evaluate(() => window.jupyterapp.shell.activateById('jupyter-tgraph-panel'));
        await clickToPaint(page, await rowSelector(page, name), '.tg-document');
        for (const [i, box] of boxes.entries()) {
          const sel = `.tg-document .tg-graph svg ${box}`;
          const ms = await clickToPaint(page, sel, '.tg-document');
          if (i === boxes.length - 1) {
            (result.expands[label] = result.expands[label] || []).push(ms);
            log(`expand ${label}: ${ms.toFixed(0)} ms`);
          }
        }
        result.visible = result.visible || {};
        result.visible[label] = await page.evaluate(
          () => document.querySelectorAll('.tg-document .tg-graph svg g.node').length
        );
        await closeDocuments(page);
      }
    }
  } catch (error) {
    // Leave a picture and the panel's state beside the lab log for whoever debugs.
    if (job.debugDir) {
      await page.screenshot({ path: `${job.debugDir}/failure.png` }).catch(() => undefined);
      const state = await page
        .evaluate(() => ({
          panel: document.querySelector('#jupyter-tgraph-panel')?.textContent,
          outputs: Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(
            o => o.textContent
          )
        }))
        .catch(() => null);
      log(JSON.stringify(state));
    }
    throw error;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

module.exports = { clickToPaint, closeDocuments, rowSelector, runNotebook };

if (require.main === module) {
  main().catch(error => {
    log(String(error && error.stack ? error.stack : error));
    process.exit(1);
  });
}
