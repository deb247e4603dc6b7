/** tgraph in VS Code without Microsoft's Jupyter extension: the view says what to install. */
import { expect, test } from '@playwright/test';

import { openNotebook, openWorkbench, tgraphView } from './workbench';

test('without the Jupyter extension the tgraph view says to install it', async ({ page }) => {
  await openWorkbench(page);
  await openNotebook(page, 'graphs.ipynb'); // VS Code's own notebook editor, no kernel
  const view = await tgraphView(page);
  await expect(view.locator('.tg-panel-message')).toHaveText(
    'tgraph reaches the kernel through the Jupyter extension (ms-toolsai.jupyter): ' +
      'install it, then open a notebook.'
  );
  await expect(view.locator('.tg-panel-row')).toHaveCount(0);
});
