// Letters and the outbox in the browser (issue 11): the officer downloads
// the PDF letters of a petition from its page; the petitioner finds the
// letters addressed to them on the tracking page and downloads one; the
// administrator sees the queue and edits a message template, with the
// Chinese message beside the field when the SMS is too long.
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
  const context = await b.browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', acceptDownloads: true });
  await context.addCookies([{ name: 'xf_session', value: await tok(user), url: BASE }]);
  return { context, page: await context.newPage() };
}

let number;
let code;

test('the officer opens the petition and downloads its 受理告知书 as PDF', async () => {
  const sub = await api('/api/v1/petitions', { method: 'POST', body: {
    jurisdiction: '440304', category: 'claim', topic: '0202', title: `文书${stamp}`,
    request: '请求支付工资', facts_and_reasons: '公司拖欠工资。',
    petitioners: [{ name: `文书人${stamp.slice(-3)}`, phone: `136${stamp}`, address: '深圳市福田区' }],
  } });
  number = sub.number;
  code = sub.query_code;
  await api(`/api/v1/petitions/${number}/actions/forward`, { method: 'POST', token: await tok('ft_clerk'), body: { unit: '440304-RST' } });
  await api(`/api/v1/petitions/${number}/actions/accept`, { method: 'POST', token: await tok('ft_rst_officer'), body: { route: 6 } });
  const { context, page } = await asStaff('ft_rst_officer');
  await page.goto(`${BASE}/staff/p/${number}`);
  const table = page.locator('#letters');
  await table.waitFor();
  assert.match(await table.innerText(), /受理告知书/);
  const href = await table.locator('a', { hasText: '受理告知书' }).getAttribute('href');
  const resp = await page.request.get(BASE + href);
  assert.equal(resp.status(), 200);
  assert.equal(resp.headers()['content-type'], 'application/pdf');
  assert.ok((await resp.body()).subarray(0, 4).toString() === '%PDF');
  await axe(page, 'staff-petition-letters');
  await shot(page, 'staff-petition-letters');
  await context.close();
});

test('the petitioner sees the letters addressed to them and downloads one; the internal 转送单 is not listed', async () => {
  const context = await b.browser.newContext({ viewport: { width: 375, height: 800 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${BASE}/track`);
  await page.locator('#number').fill(number);
  await page.locator('#code').fill(code);
  await page.locator('form[action="/track"] button[type=submit]').click();
  const list = page.locator('#letters');
  await list.waitFor();
  const text = await list.innerText();
  assert.match(text, /受理告知书/);
  assert.doesNotMatch(text, /转送单/);
  const href = await list.locator('a').first().getAttribute('href');
  assert.ok(!href.includes(code), 'the query code never goes in a URL');
  const resp = await page.request.get(BASE + href);
  assert.equal(resp.status(), 200);
  assert.equal(resp.headers()['content-type'], 'application/pdf');
  await axe(page, 'track-letters');
  await shot(page, 'track-letters-375');
  await context.close();
});

test('the administrator sees the queue and edits a template; a too-long SMS is refused beside the field and the text kept', async () => {
  const { context, page } = await asStaff('admin');
  await page.goto(`${BASE}/staff/admin`);
  await page.locator('a', { hasText: '消息与后台任务' }).click();
  await page.locator('#outbox-counts').waitFor();
  assert.match(await page.locator('#outbox-counts').innerText(), /生成文书/);
  await axe(page, 'staff-outbox');
  await shot(page, 'staff-outbox');
  await page.goto(`${BASE}/staff/admin/templates`);
  const long = '很'.repeat(60) + '{number}';
  await page.locator('#t-petition_notice-body').fill(long);
  await page.locator('form[action="/staff/admin/templates/petition_notice"] button[type=submit]').first().click();
  const error = page.locator('#t-petition_notice-body-error');
  await error.waitFor();
  assert.match(await error.innerText(), /超过一条短信的70字/);
  assert.equal(await page.locator('#t-petition_notice-body').inputValue(), long, 'what was typed is kept');
  await page.locator('#t-petition_notice-body').fill('您的信访事项{number}已{action}，请凭查询码查询。');
  await page.locator('form[action="/staff/admin/templates/petition_notice"] button[type=submit]').first().click();
  await page.locator('[role=status]').waitFor();
  assert.match(await page.locator('[role=status]').innerText(), /已保存/);
  await axe(page, 'staff-templates');
  await context.close();
});
