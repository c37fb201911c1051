// What every browser test file shares: Debian's Chromium through
// playwright-core, the API and login helpers, screenshots with the
// no-sideways-overflow check, axe-core (from npm, injected from
// node_modules, never a CDN) and the transferred size of a page.
// The server is started by scripts/browser-tests.sh (XINFANG_BASE); each
// *.test.mjs file runs in its own process against the same server.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export const BASE = process.env.XINFANG_BASE ?? 'http://127.0.0.1:18100';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const PASSWORD = 'Xinfang@2026';
export const ART = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(ART, { recursive: true });

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The shared browser of one test file (launched in `before`). */
export const b = { browser: null };
before(async () => {
  b.browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
after(async () => { await b.browser?.close(); });

export async function api(path, { method = 'GET', token, body, headers = {} } = {}) {
  const r = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return json;
}

export async function token(username) {
  return (await api('/api/v1/auth/login', { method: 'POST', body: { username, password: PASSWORD } })).token;
}

/** A new browser context (phone or desktop width), Chinese locale. */
export async function newPage(width = 1440, height = 1000) {
  const context = await b.browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  return { context, page: await context.newPage() };
}

/** A staff member logged in through the login form. */
export async function staffPage(username, width = 1440) {
  const { context, page } = await newPage(width);
  await page.goto(BASE + '/staff/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(BASE + '/staff');
  return { context, page };
}

/**
 * Send the registration form once the suggestion panel has settled: the
 * panel sits above the button and grows when its answer arrives, so a
 * click aimed while a suggestion request is in flight can land on one of
 * the panel's own buttons instead (seen once in CI).
 */
export async function submitRegistration(page) {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'));
  await page.getByRole('button', { name: '登记', exact: true }).click();
}

/** Overflow sideways in CSS pixels (0 when the page fits its viewport). */
export async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** A full-page screenshot in artifacts/; no page may overflow sideways. */
export async function shot(page, name) {
  await page.screenshot({ path: `${ART}${name}.png`, fullPage: true });
  const o = await overflow(page);
  assert.ok(o <= 1, `${name} overflows by ${o}px`);
}

/** axe-core on the current page: serious and critical violations fail. */
export async function axe(page, name) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`).join('\n');
  assert.equal(bad.length, 0, `axe on ${name}:\n${text}`);
}

/**
 * Load `path` in `page` and return the bytes transferred for the document
 * and everything it loaded (compressed sizes as they crossed the wire).
 */
export async function transferred(page, path) {
  let total = 0;
  const seen = [];
  const onResponse = async (response) => {
    seen.push((async () => {
      const sizes = await response.request().sizes().catch(() => null);
      if (sizes) total += sizes.responseBodySize + sizes.responseHeadersSize;
    })());
  };
  page.on('response', onResponse);
  await page.goto(BASE + path, { waitUntil: 'networkidle' });
  await Promise.all(seen);
  page.off('response', onResponse);
  return total;
}
