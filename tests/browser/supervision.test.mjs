// Leaders' cases and spot checks in the browser (issue 12, items 3 and 6):
// the owner leader finds the case under 我的包案; a supervisor sets the
// track from the petition page; a spot check is drawn and scored from the
// workbench. axe on each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, api, token, shot, axe } from './lib.mjs';

const stamp = String(Date.now()).slice(-8);
const tokens = new Map();
async function tok(user) {
  if (!tokens.has(user)) tokens.set(user, await token(user));
  return tokens.get(user);
}
async function asStaff(user) {
  const context = await b.browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
  await context.addCookies([{ name: 'xf_session', value: await tok(user), url: BASE }]);
  return { context, page: await context.newPage() };
}

let number;

test('the owner leader sees the case under 我的包案 and the three roles on its page', async () => {
  const sub = await api('/api/v1/petitions', { method: 'POST', body: {
    jurisdiction: '440304', category: 'claim', topic: '0202', title: `包案${stamp}`,
    request: '请求支付工资', facts_and_reasons: '公司拖欠工资。',
    petitioners: [{ name: `包案人${stamp.slice(-3)}`, phone: `135${stamp}`, address: '深圳市福田区' }],
  } });
  number = sub.number;
  await api(`/api/v1/petitions/${number}/actions/forward`, { method: 'POST', token: await tok('ft_clerk'), body: { unit: '440304-RST' } });
  await api(`/api/v1/petitions/${number}/actions/accept`, { method: 'POST', token: await tok('ft_rst_officer'), body: { route: 6 } });
  await api(`/api/v1/petitions/${number}/actions/conclude`, { method: 'POST', token: await tok('ft_rst_officer'), body: {
    outcome: 'explained', request: '支付工资', facts_and_reasons: '经查', decision: '作出解释说明', legal_basis: '《劳动合同法》' } });
  await api(`/api/v1/petitions/${number}/lead`, { method: 'PUT', token: await tok('ft_supervisor'), body: { leader: 'ft_head', note: '本周内协调' } });
  const { context, page } = await asStaff('ft_head');
  await page.goto(`${BASE}/staff`);
  await page.locator('nav a', { hasText: '我的包案' }).click();
  await page.locator('#leads').waitFor();
  assert.match(await page.locator('#leads').innerText(), new RegExp(number));
  await axe(page, 'staff-leads');
  await page.locator('#leads a', { hasText: number }).click();
  const roles = await page.locator('#roles').innerText();
  assert.match(roles, /福田区信访局/);
  assert.match(roles, /福田区信访局负责人/);
  assert.match(roles, /福田区人力资源和社会保障局/);
  await context.close();
});

test('a supervisor sets 限时办 from the petition page; a missing date is refused in Chinese', async () => {
  const { context, page } = await asStaff('ft_supervisor');
  await page.goto(`${BASE}/staff/p/${number}`);
  await page.locator('summary', { hasText: '确定处置方式' }).click();
  await page.locator('#track-track').selectOption('time_limited');
  await page.locator('form[action$="/track"] button[type=submit]').click();
  assert.match(await page.locator('[role=alert]').first().innerText(), /限时办须填写办结时限/);
  await page.locator('summary', { hasText: '确定处置方式' }).click();
  await page.locator('#track-track').selectOption('time_limited');
  const due = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  await page.locator('#track-due').fill(due);
  await page.locator('form[action$="/track"] button[type=submit]').click();
  await page.locator('[role=status]').waitFor();
  assert.match(await page.locator('#roles').innerText(), new RegExp(`限时办（${due}前办结）`));
  await axe(page, 'staff-petition-lead');
  await shot(page, 'staff-petition-lead');
  await context.close();
});

test('a spot check is drawn, scored and shows its pass rate', async () => {
  const { context, page } = await asStaff('ft_supervisor');
  await page.goto(`${BASE}/staff`);
  await page.locator('nav a', { hasText: '网上抽查' }).click();
  await page.locator('#sc-rule').selectOption('random_per_unit');
  await page.locator('#sc-n').fill('5');
  await page.locator('form[action="/staff/spot-checks"] button[type=submit]').click();
  await page.locator('h1', { hasText: '抽查第' }).waitFor();
  const items = page.locator('section.spot-item');
  assert.ok(await items.count() >= 1, 'the concluded petition is sampled');
  await axe(page, 'staff-spotcheck');
  const first = items.first();
  await first.locator('input[name=procedure_ok]').check();
  await first.locator('input[name=notice_on_time]').check();
  await first.locator('input[name=letter_complete]').check();
  await first.locator('input[name=evaluation_obtained]').uncheck();
  await first.locator('button[type=submit]').click();
  await page.locator('h1', { hasText: '抽查第' }).waitFor();
  assert.match(await page.locator('main').innerText(), /抽查合格率 0\.0%/);
  assert.match(await page.locator('section.spot-item').first().innerText(), /不合格/);
  await page.goto(`${BASE}/staff/spot-checks`);
  await axe(page, 'staff-spotchecks');
  await shot(page, 'staff-spotchecks');
  await context.close();
});

test('the 督办 page lists the watch and the cases; axe finds nothing serious', async () => {
  const { context, page } = await asStaff('ft_supervisor');
  await page.goto(`${BASE}/staff`);
  await page.locator('nav a', { hasText: '督办' }).first().click();
  await page.locator('h1').waitFor();
  assert.match(await page.locator('h1').innerText(), /督办/);
  await axe(page, 'staff-supervision');
  await shot(page, 'staff-supervision');
  await context.close();
});
