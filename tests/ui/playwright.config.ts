/**
 * Browser tests run JupyterLab from the repository's .venv against Debian's
 * Chromium: build machines reach package registries only, so Playwright
 * cannot download a browser of its own.
 */
import { defineConfig } from '@playwright/test';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL: 'http://localhost:8899',
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
    }
  },
  webServer: {
    command: 'bash ./start-lab.sh',
    url: 'http://localhost:8899/lab',
    timeout: 180_000,
    reuseExistingServer: false
  }
});
