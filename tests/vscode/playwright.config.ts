/**
 * The VS Code extension in real VS Code (code-server, the VS Code workbench
 * in the browser with its extension host in Node), driven in Debian's
 * Chromium. Microsoft's Jupyter extension is on no registry these machines
 * reach: a test-only stand-in (stand-in/) runs the notebook's cells on a
 * real kernel, draws widgets with the widget manager the Jupyter extension
 * ships and exports its kernel API.
 */
import { defineConfig } from '@playwright/test';
import { randomUUID } from 'crypto';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CODE_PORT = 18931;
const JUPYTER_PORT = 18932;
/** VS Code with tgraph and no Jupyter extension at all. */
const BARE_PORT = 18933;
const token = process.env.JUPYTER_STAND_IN_TOKEN ?? randomUUID();
process.env.JUPYTER_STAND_IN_TOKEN = token;

export default defineConfig({
  testDir: './browser',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: '../../build/vscode-test/results',
  use: {
    viewport: { width: 1500, height: 1000 },
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
    }
  },
  projects: [
    {
      name: 'stand-in',
      testIgnore: /no-jupyter/,
      use: { baseURL: `http://127.0.0.1:${CODE_PORT}/` }
    },
    {
      name: 'no-jupyter',
      testMatch: /no-jupyter/,
      use: { baseURL: `http://127.0.0.1:${BARE_PORT}/` }
    }
  ],
  webServer: [
    {
      command: `bash ./start-jupyter.sh ${JUPYTER_PORT}`,
      url: `http://127.0.0.1:${JUPYTER_PORT}/api/status?token=${token}`,
      timeout: 120_000,
      reuseExistingServer: false
    },
    {
      command: `bash ./start-code-server.sh ${CODE_PORT} ${JUPYTER_PORT}`,
      url: `http://127.0.0.1:${CODE_PORT}/healthz`,
      timeout: 180_000,
      reuseExistingServer: false
    },
    {
      command: `bash ./start-code-server.sh ${BARE_PORT} ${JUPYTER_PORT} bare`,
      url: `http://127.0.0.1:${BARE_PORT}/healthz`,
      timeout: 180_000,
      reuseExistingServer: false
    }
  ]
});
