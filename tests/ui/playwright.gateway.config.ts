/**
 * Browser tests of remote kernels: JupyterLab started with --gateway-url,
 * its kernels on a Jupyter Kernel Gateway, both on localhost. The rest of the
 * settings are the main suite's (playwright.config.ts).
 */
import { defineConfig } from '@playwright/test';

import main from './playwright.config';

export const LAB_PORT = 8897;
export const GATEWAY_PORT = 8896;

export default defineConfig({
  ...main,
  projects: [
    {
      name: 'gateway',
      testMatch: /gateway\.spec/,
      use: { baseURL: `http://localhost:${LAB_PORT}` }
    }
  ],
  webServer: {
    command: `bash ./start-gateway-lab.sh ${LAB_PORT} ${GATEWAY_PORT}`,
    url: `http://localhost:${LAB_PORT}/lab`,
    timeout: 180_000,
    reuseExistingServer: false,
    // Let both servers shut their kernels down instead of killing them.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 }
  }
});
