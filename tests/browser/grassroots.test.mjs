// The grass roots (issue 14): a village's grid reporter records a dispute
// on a 375 px phone in under a minute; the street's clerk resolves it with
// an agreement; another dispute climbs to the district and becomes a
// petition whose page names the dispute; the weekly round lists the
// villages that did not report; the district's dispatch board shows the
// street. axe checks each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, PASSWORD, api, token, newPage, shot, axe } from './lib.mjs';

const stamp = String(Date.now()).slice(-6);

async function login(username, width) {
  const { context, page } = await newPage(width, 800);
  await page.goto(BASE + '/staff/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForLoadState('load');
  return { context, page };
}

test('a grid reporter records a dispute on a phone in under a minute; the street resolves it with an agreement', async () => {
  const started = Date.now();
  const { context, page } = await login('ft_spt_reporter', 375);
  assert.match(page.url(), /\/staff\/disputes$/, 'a grid reporter lands on the ledger');
  // Grid reporters sit the exams too (they are counted in the participation).
  assert.equal(await page.getByRole('link', { name: '学法考法' }).count(), 1, 'the exams are in the reporter\'s menu');
  await page.getByRole('link', { name: '登记纠纷' }).click();
  await page.getByLabel('纠纷类型').selectOption('neighbour');
  await page.getByRole('radio', { name: '较大' }).check();
  await page.getByLabel('简要情况').fill(`楼上${stamp}号装修漏水，楼下住户要求赔偿，双方争吵`);
  await page.getByLabel('当事人一姓名').fill('王秀兰');
  await page.getByLabel('当事人一电话').fill('13912345678');
  await page.getByLabel('当事人二姓名').fill('赵建国');
  await shot(page, 'dispute-new-375');
  await axe(page, 'dispute form');
  await page.getByRole('button', { name: '登记' }).click();
  await page.getByText('已登记').waitFor();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 60_000, `recorded in ${elapsed} ms`);
  const number = (await page.locator('h1').innerText()).replace('矛盾纠纷 ', '').trim();
  assert.match(number, /^JF\d{4}-\d{6}$/);
  // The phone is masked on the page.
  assert.ok(!(await page.locator('#parties').innerText()).includes('13912345678'));
  await shot(page, 'dispute-detail-375');
  await axe(page, 'dispute page');
  const url = page.url().split('?')[0];
  await context.close();

  // The street's clerk mediates and resolves it with a mediation agreement.
  const street = await login('ft_ny_clerk', 1280);
  await street.page.goto(url);
  await street.page.getByLabel('调解情况').fill('组织双方面谈，查明为防水层老化');
  await street.page.getByRole('button', { name: '保存调解记录' }).click();
  await street.page.getByText('已记录调解情况').waitFor();
  await street.page.getByText('化解（达成协议）').click();
  await street.page.getByLabel('化解结果（协议内容）').fill('楼上住户重做防水层并赔偿三千元');
  await street.page.getByLabel('出具调解协议书').check();
  await street.page.getByRole('button', { name: '记为已化解' }).click();
  await street.page.getByText('已记为化解').waitFor();
  assert.match(await street.page.locator('#dispute-state').innerText(), /已化解/);
  assert.ok(await street.page.getByRole('link', { name: '下载调解协议书' }).count() === 1);
  await street.context.close();
});

test('a dispute escalated to the district becomes a petition that names it; the round lists the villages that did not report', async () => {
  const reporter = await token('ft_spt_reporter');
  const d = await api('/api/v1/disputes', { method: 'POST', token: reporter, body: {
    kind: 'wages', risk: 'high', summary: `装修队${stamp}拖欠十二名工人工资八万六千元`,
    parties: [{ name: '刘大强', phone: '13711112222' }],
  } });
  await api(`/api/v1/disputes/${d.id}/escalate`, { method: 'POST', token: reporter, body: { unit: '440304001-XFB', reason: '涉及人数多' } });
  const street = await token('ft_ny_clerk');
  await api(`/api/v1/disputes/${d.id}/escalate`, { method: 'POST', token: street, body: { unit: '440304-XFJ', reason: '需区人社局介入' } });

  const county = await login('ft_clerk', 1280);
  await county.page.goto(`${BASE}/staff/disputes/${d.id}`);
  await county.page.locator('summary', { hasText: '转为信访事项' }).click();
  await county.page.getByRole('button', { name: '转为信访事项' }).click();
  await county.page.locator('#dispute-origin').waitFor();
  assert.match(await county.page.locator('#dispute-origin').innerText(), new RegExp(d.number));
  await shot(county.page, 'petition-from-dispute');

  // The district's dispatch board: 南园街道 has open disputes.
  await county.page.goto(BASE + '/staff/dispatch');
  const row = county.page.locator('#board tr[data-code="440304001"]');
  assert.match(await row.innerText(), /南园/);
  await axe(county.page, 'dispatch board');
  await county.context.close();

  // The street's round: villages that neither recorded nor reported are listed.
  const s = await login('ft_ny_clerk', 375);
  await s.page.goto(BASE + '/staff/disputes/rounds');
  const missing = Number(await s.page.locator('#round-missing').innerText());
  assert.ok(missing > 0, 'some villages have not reported');
  assert.match(await s.page.locator('#round').innerText(), /未报告/);
  assert.match(await s.page.locator('#round').innerText(), /沙埔头社区[\s\S]*已登记/);
  await shot(s.page, 'round-375');
  await axe(s.page, 'round');
  await s.context.close();
});
