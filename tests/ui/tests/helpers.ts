/** Shared steps of the browser tests: a notebook with tgraph loaded and cells run. */
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as path from 'path';

export const LOGISTIC = [
  '%%tgraph',
  'import pytensor.tensor as T',
  'from pytensor import function',
  "x = T.dmatrix('x')",
  's = 1 / (1 + T.exp(-x))',
  'logistic = function([x], s)'
].join('\n');

export const LOG1P = [
  '%%tgraph',
  "u = T.dvector('u')",
  'safe_log = function([u], T.log(1 + u))'
].join('\n');

/** A notebook file with these code cells: typed cells would be auto-indented by the editor. */
export function notebookFile(cells: string[]): string {
  const code = cells.map(source => ({
    cell_type: 'code',
    execution_count: null,
    metadata: {},
    outputs: [],
    source
  }));
  const kernel = { name: 'python3', display_name: 'Python 3', language: 'python' };
  return JSON.stringify({
    cells: code,
    metadata: { kernelspec: kernel },
    nbformat: 4,
    nbformat_minor: 5
  });
}

/** Upload a notebook of ``cells`` as ``name`` under ``dir``, open it and run every cell. */
export async function runNotebookFile(
  page: IJupyterLabPageFixture,
  dir: string,
  name: string,
  cells: string[]
): Promise<void> {
  await page.contents.uploadContent(notebookFile(cells), 'text', `${dir}/${name}`);
  await page.notebook.openByPath(`${dir}/${name}`);
  await page.notebook.activate(name);
  await page.notebook.run();
}

/** A new notebook whose first cell loads the extension, then ``cells`` run in order. */
export async function notebookWith(
  page: IJupyterLabPageFixture,
  name: string,
  cells: string[]
): Promise<void> {
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', '%load_ext tgraph');
  for (const source of cells) {
    await page.notebook.addCell('code', source);
  }
  await page.notebook.run();
}

/** The inline widget under the notebook cell at ``index``. */
export function widgetOf(page: IJupyterLabPageFixture, index: number) {
  return page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.tg-root');
}

/**
 * Where a screenshot goes: tests/ui/screenshots/ (outside Playwright's output
 * folder, which every run empties), under the name it has
 * in docs/ (`make screenshots` copies them there). Tests never write docs/.
 */
export function screenshotPath(name: string): string {
  return path.resolve(__dirname, '..', 'screenshots', name);
}

/** Rows of results in a timing table (not the "timing…" line while it runs). */
export const TIMING_ROWS = '.tg-timing-table tbody tr:not(.tg-timing-running)';
