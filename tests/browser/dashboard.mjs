// The dashboard in a real headless Chromium: log in, see the failed job, click Retry, see it succeed;
// see where a SKU stands and re-check it; a screenshot of every page goes to SHOTS_DIR. Started by the Rust test
// operations::the_dashboard_in_headless_chromium_retries_a_failed_job, which sets up the hub and the shop.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('BASE_URL');
const token = env('ADMIN_TOKEN');
const failedId = env('FAILED_ID');
const subject = env('SUBJECT');
const shots = env('SHOTS_DIR');
mkdirSync(shots, { recursive: true });

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
const fail = (message) => {
  throw new Error(message);
};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const shot = (name) => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });

  await page.goto(`${base}/dashboard`);
  if (!page.url().endsWith('/dashboard/login')) fail(`not sent to the login form: ${page.url()}`);
  await page.fill('#token', 'not-the-admin-token-000');
  await page.click('button[type=submit]');
  if (!(await page.isVisible('text=That token is not the admin token'))) fail('a wrong token was not refused');
  await shot('login');
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/dashboard`);
  await page.waitForSelector('svg[aria-label*="last hour"]');
  await shot('overview');
  console.log('logged in; overview shown');

  await page.click('header >> text=Jobs');
  const row = page.locator(`tr[data-failed-id="${failedId}"]`);
  await row.waitFor();
  if (!(await row.innerText()).includes(subject)) fail(`failed job ${failedId} does not show ${subject}`);
  await shot('jobs-failed');
  console.log(`failed job ${failedId} listed`);

  await row.locator('button', { hasText: 'Retry' }).click();
  await page.waitForSelector('#flash');
  const flash = await page.innerText('#flash');
  if (!flash.includes('queued again')) fail(`unexpected answer to Retry: ${flash}`);
  const success = `tr[data-subject="${subject}"][data-outcome="succeeded"]`;
  const deadline = Date.now() + 30_000;
  while (!(await page.locator(success).count())) {
    if (Date.now() > deadline) fail('the retried job did not succeed within 30 s');
    await page.waitForTimeout(500);
    await page.goto(`${base}/dashboard/jobs`);
  }
  if (await page.locator(`tr[data-failed-id="${failedId}"]`).count()) fail('the retried job is still listed as failed');
  await shot('jobs-retried');
  console.log('retried job succeeded');

  await page.click('header >> text=Stores');
  await page.waitForSelector('#stores');
  await shot('stores');
  await page.click('header >> text=Orders');
  await page.waitForSelector('#orders');
  await shot('orders');
  console.log('stores and orders shown');

  // Where is my SKU: the ambiguous one, with the ids of the products sharing its reference; then Re-check now.
  await page.click('header >> text=SKUs');
  await page.fill('input[name=reference]', 'BROWSER-02');
  await page.click('#sku-search button');
  const sku = page.locator('tr[data-store="retail-1"]');
  await sku.waitFor();
  if ((await sku.getAttribute('data-status')) !== 'ambiguous') fail(`BROWSER-02 on retail-1: ${await sku.innerText()}`);
  await shot('skus');
  await sku.locator('button', { hasText: 'Re-check now' }).click();
  await page.waitForSelector('#flash');
  const rechecked = await page.innerText('#flash');
  if (!rechecked.includes('is queued')) fail(`unexpected answer to Re-check now: ${rechecked}`);
  console.log('sku page shown; re-check queued');
} finally {
  await browser.close();
}
