/**
 * Opens an exported HTML page in headless Chromium with every network request
 * refused, and reports, for each code cell, what each SVG picture looks like on
 * screen. tests/python/test_export_browser.py runs it and judges the numbers.
 *
 * Usage: node offline-page.cjs PAGE.html  (prints JSON on stdout)
 */
const fs = require('fs');
const { chromium } = require('@playwright/test');

// The page is served from a made-up origin so that every other request, the
// CDN's widget manager included, goes through the same refusing route.
const ORIGIN = 'http://export.invalid';

async function main() {
  const page_html = fs.readFileSync(process.argv[2]);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
  const blocked = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 }
    });
    await context.route('**/*', route => {
      const url = route.request().url();
      if (url === `${ORIGIN}/page.html`) {
        return route.fulfill({ body: page_html, contentType: 'text/html' });
      }
      blocked.push(url);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`${ORIGIN}/page.html`, { waitUntil: 'load' });
    await page.waitForTimeout(1000); // scripts that would hide the copy
    const cells = [];
    for (const cell of await page.locator('.jp-CodeCell').all()) {
      const pictures = [];
      const imgs = cell.locator('.jp-OutputArea-output img[src^="data:image/svg+xml"]');
      for (const img of await imgs.all()) {
        await img.scrollIntoViewIfNeeded();
        const shown = await img.evaluate(el => {
          const box = el.getBoundingClientRect();
          return {
            width: box.width,
            height: box.height,
            naturalWidth: el.naturalWidth,
            loaded: el.complete && el.naturalWidth > 0,
            visible: el.checkVisibility({
              checkOpacity: true,
              checkVisibilityCSS: true
            }),
            svg: new TextDecoder().decode(
              Uint8Array.from(atob(el.src.split(',')[1]), c => c.charCodeAt(0))
            )
          };
        });
        // The pixels Chromium painted: share of them unlike the background.
        const png = (await img.screenshot()).toString('base64');
        const ink = await page.evaluate(async data => {
          const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
          const bitmap = await createImageBitmap(new Blob([bytes]));
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
          const ctx = canvas.getContext('2d');
          ctx.drawImage(bitmap, 0, 0);
          const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
          const [r, g, b] = [px[0], px[1], px[2]];
          let inked = 0;
          for (let i = 0; i < px.length; i += 4) {
            const d = Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b);
            if (d > 60) {
              inked++;
            }
          }
          return inked / (px.length / 4);
        }, png);
        pictures.push({ ...shown, ink });
      }
      cells.push(pictures);
    }
    process.stdout.write(JSON.stringify({ cells, blocked, errors }));
  } finally {
    await browser.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
