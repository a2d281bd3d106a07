// The retailer's back-office order page on a REAL PrestaShop (the kit in ../shared/realshop), in headless
// Chromium: log in, open order ORDER_ID, read the module's replication panel, take a screenshot.
// Not part of the suite (CI has no real shop): run by hand, results in docs/real-shops.md.
//
//   SHOP_URL=http://127.0.0.1:8112 ADMIN_EMAIL=admin@client.test ADMIN_PASSWORD='Admin123456!' ORDER_ID=8 \
//   SHOTS_DIR=docs/screenshots SHOT_PREFIX=realshop-client node tests/browser/realshop-order-page.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const shop = env('SHOP_URL');
const adminDir = env('ADMIN_DIR', 'admin-kit');
const orderId = env('ORDER_ID');
const shots = env('SHOTS_DIR');
const prefix = env('SHOT_PREFIX', 'realshop');
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${shop}/${adminDir}/index.php?controller=AdminLogin`);
  await page.fill('#email', env('ADMIN_EMAIL'));
  await page.fill('#passwd', env('ADMIN_PASSWORD'));
  await page.click('#submit_login');
  await page.waitForURL((url) => !url.toString().includes('controller=AdminLogin'), { timeout: 30_000 });

  // The legacy URL redirects to the Symfony order page; without a token PrestaShop asks to confirm the link.
  await page.goto(`${shop}/${adminDir}/index.php?controller=AdminOrders&id_order=${orderId}&vieworder=1`);
  const confirm = page.locator('a[href*="token"]:has-text("Use this link"), a.btn:has-text("Use this link")').first();
  if (await confirm.count()) await Promise.all([page.waitForLoadState('load'), confirm.click()]);
  const panel = page.locator('#fulfillment-order-replication').first();
  await panel.waitFor({ timeout: 15_000 });
  console.log(`order ${orderId}: ${(await panel.innerText()).replace(/\s+/g, ' ').trim()}`);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, `${prefix}-order-${orderId}.png`), fullPage: false });
} finally {
  await browser.close();
}
