/**
 * Browser tests run JupyterLab from the repository's .venv against Debian's
 * Chromium: build machines reach package registries only, so Playwright
 * cannot download a browser of its own. A second server runs with the
 * JupyterLab extension disabled, as VS Code shows the widget.
 */
import { defineConfig } from '@playwright/test';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const server = (port: number, disabled: boolean) => ({
  command: `bash ./start-lab.sh ${port} ${disabled ? 1 : 0}`,
  url: `http://localhost:${port}/lab`,
  timeout: 180_000,
  reuseExistingServer: false
});

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  timeout: 240_000,
  expect: { timeout: 90_000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    viewport: { width: 1440, height: 1000 },
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
    }
  },
  projects: [
    {
      name: 'lab',
      testIgnore: /without-extension|gateway/,
      use: { baseURL: 'http://localhost:8899' }
    },
    {
      name: 'without-extension',
      testMatch: /without-extension/,
      use: { baseURL: 'http://localhost:8898' }
    }
  ],
  webServer: [server(8899, false), server(8898, true)]
});
