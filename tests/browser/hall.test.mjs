// Issue 14, item 3: a citizen books a visit on a 375 px phone without
// JavaScript-only steps; at the hall the receptionist checks the booking
// in by its code, prints the queue number, calls it, and turns it into a
// visit registration with the citizen's details already filled; the
// waiting screen shows numbers only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, api, token, staffPage, shot, axe, submitRegistration } from './lib.mjs';

/** A valid identity number (GB 11643 check digit) ending in `tail`. */
function idNumber(tail) {
  const body = `44030419850505${String(tail).padStart(3, '0').slice(-3)}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}

const UNIT = '440304-XFJ';

test('a citizen books at 375 px, checks in with the code, gets a number, and the visit is registered with the details filled', async (t) => {
  // Today's slot runs through office hours (07:00–21:00, the most a hall
  // may publish), so the booking can be used at once.
  const clerk = await token('ft_clerk');
  const cal = await api(`/api/v1/appointments/calendar/${UNIT}`, { method: 'PUT', token: clerk, body: { slots: [{ starts: '07:00', ends: '21:00', capacity: 1 }] } });
  const beijing = new Date(Date.now() + 8 * 3600 * 1000);
  const now = beijing.toISOString().slice(0, 10);
  if (!cal.days.some((d) => d.day === now && d.slots.length > 0)) {
    t.skip(`today (${now}) is not a working day: no same-day booking to check in`);
    return;
  }
  if (beijing.getUTCHours() >= 21) {
    t.skip('after office hours: the slot of today has ended');
    return;
  }
  const tail = Date.now() % 1000;
  const id = idNumber(tail);
  const phone = `137${String(Date.now() % 1e8).padStart(8, '0')}`;

  const context = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${BASE}/appointment`);
  await page.getByLabel('接访单位', { exact: true }).selectOption(UNIT);
  await page.getByRole('button', { name: '查看可预约时段' }).click();
  await page.locator(`input[name="slot"][value="${now}|07:00"]`).check();
  await page.getByLabel('姓名').fill('预约测试');
  await page.getByLabel('公民身份号码').fill(id);
  await page.getByLabel('手机号码').fill(phone);
  await page.getByLabel('问题类别').selectOption('0202');
  await page.getByLabel('主要诉求和事实').fill('公司拖欠两个月工资，请求协调支付');
  await shot(page, 'hall-booking-375');
  await axe(page, 'appointment');
  await page.getByRole('button', { name: '预约', exact: true }).click();
  await page.waitForURL(`${BASE}/appointment/receipt`);
  const number = (await page.locator('#booking-number').innerText()).trim();
  const code = (await page.locator('#booking-code').innerText()).trim();
  assert.match(number, /^YY440304/);
  assert.equal(code.length, 8);
  await shot(page, 'hall-receipt-375');
  await axe(page, 'appointment-receipt');
  // The slot is now full for the next person.
  await page.goto(`${BASE}/appointment?unit=${UNIT}`);
  assert.ok(await page.locator(`input[name="slot"][value="${now}|07:00"]`).isDisabled());
  await context.close();

  // The receptionist.
  const staff = await staffPage('ft_clerk');
  const desk = staff.page;
  await desk.getByRole('link', { name: '接访大厅' }).click();
  await desk.getByLabel('预约码').fill(code);
  await desk.getByRole('button', { name: '预约签到' }).click();
  await desk.locator('#queue-number').waitFor();
  const queue = (await desk.locator('#queue-number').innerText()).trim();
  assert.match(queue, /^A\d{3}$/);
  await shot(desk, 'hall-ticket');
  await axe(desk, 'hall-ticket');

  // The waiting screen: the number, no personal data.
  const screen = await b.browser.newPage();
  await screen.goto(`${BASE}/hall/${UNIT}`);
  await axe(screen, 'waiting-screen');
  const shown = await screen.locator('main').innerText();
  assert.ok(shown.includes(queue), shown);
  assert.ok(!shown.includes('预约测试') && !shown.includes(phone) && !shown.includes(id), shown);
  await screen.close();

  await desk.getByRole('link', { name: '返回接访大厅' }).click();
  const row = desk.locator('#tickets tbody tr', { hasText: queue });
  await row.getByRole('button', { name: '叫号' }).click();
  await desk.getByText(`已叫号：${queue}`).waitFor();
  assert.match(await desk.locator('#average-wait').innerText(), /分钟/);
  await desk.locator('#tickets tbody tr', { hasText: queue }).getByRole('link', { name: '转为来访登记' }).click();
  assert.equal(await desk.getByLabel('渠道').inputValue(), 'visit');
  assert.equal(await desk.getByLabel('姓名（名称）').inputValue(), '预约测试');
  assert.equal(await desk.getByLabel('公民身份号码').inputValue(), id);
  assert.equal(await desk.getByLabel('联系电话').inputValue(), phone);
  assert.match(await desk.getByLabel('诉求').inputValue(), /拖欠两个月工资/);
  await desk.waitForFunction(() => document.querySelectorAll('#township option').length > 5);
  await desk.getByLabel('街道（乡镇）').selectOption({ label: '华强北街道' });
  await submitRegistration(desk);
  await desk.getByText('已办理：登记').waitFor();
  const petition = desk.url().split('/staff/p/')[1].split('?')[0];
  await desk.goto(`${BASE}/staff/hall`);
  assert.ok((await desk.locator('#tickets tbody tr', { hasText: queue }).innerText()).includes(petition));
  await shot(desk, 'hall-desk');
  await axe(desk, 'staff-hall');
  // The duty roster page.
  await desk.getByRole('link', { name: '值班接访' }).click();
  await desk.getByRole('heading', { name: /值班接访/ }).waitFor();
  await axe(desk, 'staff-duty');
  await staff.context.close();
});
