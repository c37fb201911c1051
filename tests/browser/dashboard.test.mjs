// The supervisor's dashboard and the monthly ranking in the browser
// (issue 12, items 5 and 7): the charts are drawn with their numbers, the
// tables download as XLSX, the ranking shows the three warnings with their
// letters (PDF) and the annual report opens. The server runs the demo
// with a generated history (scripts/browser-tests.sh). axe on each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, staffPage, axe, shot, overflow } from './lib.mjs';

test('the city supervisor reads the dashboard: charts, metrics, exports', async () => {
  const { context, page } = await staffPage('sz_supervisor');
  await page.locator('nav a', { hasText: '统计分析' }).click();
  await page.waitForURL(`${BASE}/staff/dashboard`);
  const volume = page.locator('svg#chart-volume');
  await volume.waitFor();
  assert.equal(await volume.locator('g.bar').count(), 13, 'one bar a month over 13 months');
  assert.match(await volume.locator('title').first().textContent(), /信访量趋势/);
  for (const id of ['chart-states', 'chart-overdue', 'chart-topics', 'chart-areas']) {
    assert.equal(await page.locator(`svg#${id}`).count(), 1, id);
  }
  assert.ok(await page.locator('svg#chart-topics g.bar').count() > 0, 'topics drawn');
  assert.equal(await page.locator('#metrics-table tbody tr').count(), 7);
  assert.match(await page.locator('#metrics-table').innerText(), /及时受理率/);
  await axe(page, 'staff-dashboard');
  await shot(page, 'staff-dashboard');
  assert.equal(await overflow(page), 0, 'no sideways scrolling');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a', { hasText: '全部表格导出（XLSX）' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const report = await page.request.get(`${BASE}/staff/dashboard/annual-report?year=${new Date().getFullYear() - 1}`);
  assert.equal(report.status(), 200);
  assert.equal(report.headers()['content-type'], 'application/pdf');
  // A bad date gets a Chinese message, not a crash.
  await page.goto(`${BASE}/staff/dashboard?from=2026-02-30`);
  assert.match(await page.locator('main').innerText(), /不是有效日期/);
  await context.close();
});

test('the ranking shows red, yellow and blue with their letters', async () => {
  const { context, page } = await staffPage('sz_supervisor');
  await page.goto(`${BASE}/staff/rankings`);
  // The monthly job publishes last month's ranking at start; publish it
  // here if it has not run yet.
  if (await page.locator('#rankings').count() === 0) {
    await page.getByLabel('确认发布并向排名后三位的地区发出预警函').check();
    await page.locator('button', { hasText: '发布本单位' }).click();
  } else {
    await page.locator('#rankings a').first().click();
  }
  await page.locator('#ranking-table').waitFor();
  assert.equal(await page.locator('#ranking-table tbody tr').count(), 5, 'five districts');
  for (const colour of ['red', 'yellow', 'blue']) {
    assert.equal(await page.locator(`#ranking-table tr.warn-${colour}`).count(), 1, colour);
  }
  assert.match(await page.locator('#ranking-table tr.warn-red').innerText(), /红色预警/);
  assert.equal(await page.locator('svg#chart-scores g.bar').count(), 5);
  await axe(page, 'staff-ranking');
  const href = await page.locator('#ranking-table tr.warn-red a[href^="/staff/unit-documents/"]').getAttribute('href');
  const pdf = await page.request.get(BASE + href);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  await context.close();
});
