// The module's Configure page on a REAL PrestaShop back office (the kit in ../shared/realshop), in headless
// Chromium: log in, open the page, save the form unchanged, press "Test connection", take screenshots.
// Not part of the suite (CI has no real shop): run by hand, results in docs/real-shops.md.
//
//   SHOP_URL=http://127.0.0.1:8112 ADMIN_EMAIL=admin@client.test ADMIN_PASSWORD='Admin123456!' \
//   SHOTS_DIR=docs/screenshots SHOT_PREFIX=realshop-client node tests/browser/realshop-configure.mjs
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
const email = env('ADMIN_EMAIL');
const password = env('ADMIN_PASSWORD');
const shots = env('SHOTS_DIR');
const prefix = env('SHOT_PREFIX', 'realshop');
mkdirSync(shots, { recursive: true });

const fail = (message) => {
  throw new Error(message);
};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const shot = (name) => page.screenshot({ path: join(shots, `${prefix}-${name}.png`), fullPage: true });

  await page.goto(`${shop}/${adminDir}/index.php?controller=AdminLogin`);
  await page.fill('#email', email);
  await page.fill('#passwd', password);
  await page.click('#submit_login');
  await page.waitForURL((url) => !url.toString().includes('controller=AdminLogin'), { timeout: 30_000 });
  console.log(`logged in: ${page.url()}`);

  // A legacy controller URL without its token shows PrestaShop's "invalid token" page, whose link carries it.
  const answer = await page.goto(
    `${shop}/${adminDir}/index.php?controller=AdminModules&configure=fulfillment_connector`,
  );
  const withToken = page.locator('a[href*="configure=fulfillment_connector"][href*="token="]').first();
  if (await withToken.count()) {
    await Promise.all([page.waitForLoadState('load'), withToken.click()]);
  }
  const status = answer ? answer.status() : 0;
  console.log(`configure page: ${page.url()} (first answer HTTP ${status})`);
  const body = await page.content();
  if (/Fatal error|Call to protected method|Oops|An error occurred/i.test(body)) {
    await shot('configure-error');
    fail('the Configure page shows an error (screenshot configure-error)');
  }
  await page.waitForSelector('form', { timeout: 15_000 });
  await shot('configure');
  console.log('configure page rendered');

  const save = page.locator('button[name="submitFulfillmentConnector"], button[type=submit]:has-text("Save")').first();
  if (!(await save.count())) fail('no Save button on the Configure page');
  await Promise.all([page.waitForLoadState('load'), save.click()]);
  const afterSave = await page.content();
  if (/Fatal error|Call to protected method/i.test(afterSave)) fail('saving the form crashed');
  const saved = await page.locator('.alert-success, .module_confirmation').count();
  console.log(`saved: ${saved ? 'confirmation shown' : 'no confirmation shown'}`);
  if (!saved) {
    await shot('configure-save-error');
    fail('saving showed no confirmation (screenshot configure-save-error)');
  }
  await shot('configure-saved');

  const test = page.locator('button:has-text("Test connection"), a:has-text("Test connection"), input[value="Test connection"]').first();
  if (!(await test.count())) fail('no "Test connection" control on the Configure page');
  await Promise.all([page.waitForLoadState('load'), test.click()]);
  await page.waitForTimeout(1500);
  const alerts = await page.locator('.alert').allInnerTexts();
  console.log(`test connection: ${alerts.map((a) => a.replace(/\s+/g, ' ').trim()).join(' | ')}`);
  await shot('configure-tested');
} finally {
  await browser.close();
}
