// The journeys of issue 4 in a real Chromium (Debian's, via playwright-core):
// a citizen on a phone, a clerk and a handling officer at their desks, a
// reviewer at the superior unit. Screenshots of each main page go to
// artifacts/. The server is started by scripts/browser-tests.sh (XINFANG_BASE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, api, token, staffPage, shot, submitRegistration } from './lib.mjs';

let number, code;

test('a citizen submits on a phone with the region picker, then tracks, rates and asks for 复查', async () => {
  const context = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(BASE + '/');
  await shot(page, 'portal-home-375');
  await page.getByRole('link', { name: '我要信访' }).first().click();
  await page.getByLabel('姓名（名称）').fill('浏览器测试');
  await page.getByLabel('公民身份号码').fill('440304197503150015');
  await page.getByLabel('联系电话').fill('13800138000');
  // The cascade: the district loads its streets over htmx.
  await page.getByLabel('区（县）').selectOption({ label: '福田区' });
  await page.waitForFunction(() => document.querySelectorAll('#township option').length > 5);
  await page.getByLabel('街道（乡镇）').selectOption({ label: '华强北街道' });
  await page.getByRole('radio', { name: /申诉求决/ }).check();
  await page.getByLabel('标题').fill('装修公司拖欠工资');
  await page.getByLabel('您的诉求').fill('请求督促公司支付拖欠的工资');
  await shot(page, 'portal-submit-375');
  // Forgetting the facts gives a message next to the field, in Chinese.
  await page.getByRole('button', { name: '提交' }).click();
  await assert.doesNotReject(page.locator('#facts-error').waitFor());
  assert.match(await page.locator('#facts-error').innerText(), /事实和理由/);
  await page.getByLabel('事实和理由').fill('公司自今年7月起拖欠工资，多次讨要未果。');
  await page.getByRole('button', { name: '提交' }).click();
  await page.getByRole('heading', { name: '提交成功' }).waitFor();
  const cells = await page.locator('td.code').allInnerTexts();
  [number, code] = cells.map((c) => c.trim());
  assert.match(number, /^XF-440304-\d{8}-\d{6}$/);
  assert.equal(code.length, 8);
  await shot(page, 'portal-receipt-375');

  // Staff handle it (over the API, as their own tests do) and deliver a decision.
  const clerk = await token('ft_clerk');
  // Unpaid wages of a renovation crew take the green channel straight to
  // the district's labour inspection (issue 14); the bureau forwards only
  // what is still with it.
  const held = await api(`/api/v1/petitions/${number}`, { token: clerk });
  assert.equal(held.green_channel, true);
  assert.equal(held.current_unit?.code, '440304-RST');
  const officer = await token('ft_rst_officer');
  await api(`/api/v1/petitions/${number}/actions/accept`, { method: 'POST', token: officer, body: { route: 6 } });
  await api(`/api/v1/petitions/${number}/actions/conclude`, { method: 'POST', token: officer, body: { outcome: 'rejected', request: '支付工资', facts_and_reasons: '经查不存在劳动关系', decision: '不予支持', legal_basis: '劳动合同法' } });
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  await api(`/api/v1/petitions/${number}/actions/deliver`, { method: 'POST', token: officer, body: { method: 'online', delivered_on: today } });

  await page.getByRole('link', { name: '办理查询' }).first().click();
  await page.getByLabel('信访件编号').fill(number);
  await page.getByLabel('查询码').fill(code);
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('heading', { name: '办理进度' }).waitFor();
  // Routed at intake by the green channel: no separate 转送 step.
  assert.match(await page.locator('ol.timeline').innerText(), /网上提交[\s\S]*受理[\s\S]*送达/);
  assert.match(await page.locator('main').innerText(), /还剩\s*30\s*天/);
  // Beside the days left, the article on 复查 (issue 15).
  assert.equal(await page.locator('#review-law').getAttribute('href'), '/law/35');
  await shot(page, 'portal-track-375');
  await page.getByRole('radio', { name: '满意', exact: true }).check();
  await page.getByRole('button', { name: '提交评价' }).click();
  await page.getByText('感谢您的评价').waitFor();
  await page.getByLabel('申请理由').fill('我有劳动合同，请求复查');
  await page.getByRole('button', { name: '申请复查' }).click();
  await page.getByRole('status').filter({ hasText: /申请已提交，复查（复核）机关将自收到之日起30日内提出意见/ }).waitFor();
  await context.close();
});

let visit;

test('a clerk registers a collective visit (a 6th representative is refused) and forwards it; the officer accepts, asks for an extension', async () => {
  const { context, page } = await staffPage('ft_clerk');
  await page.getByRole('link', { name: '登记' }).click();
  await page.getByLabel('渠道').selectOption('visit');
  await page.getByLabel('集体访（多人）').check();
  await page.getByLabel('人数').fill('30');
  const six = ['代表一 13900000001', '代表二 13900000002', '代表三 13900000003', '代表四 13900000004', '代表五 13900000005', '代表六 13900000006'];
  await page.getByLabel(/推选代表/).fill(six.join('\n'));
  await page.getByLabel('标题').fill('旧改回迁安置延期');
  await page.getByLabel('诉求').fill('请求明确回迁时间');
  await page.getByLabel('事实和理由').fill('项目已延期两年，临时安置费停发。');
  await submitRegistration(page);
  await page.locator('#representatives-error').waitFor();
  assert.match(await page.locator('#representatives-error').innerText(), /不得超过5人/);
  await page.getByLabel(/推选代表/).fill(six.slice(0, 5).join('\n'));
  await submitRegistration(page);
  await page.getByText('已办理：登记').waitFor();
  visit = page.url().split('/staff/p/')[1].split('?')[0];
  await page.locator('summary', { hasText: /^转送$/ }).click();
  await page.locator('#forward-unit').selectOption('440304-RST');
  await page.locator('form[action$="/act/forward"] button').click();
  // Forwarding cannot be undone: it is confirmed first (issue 10).
  await page.getByRole('button', { name: '确认转送' }).click();
  await page.getByText('已办理：转送').waitFor();
  await shot(page, 'staff-petition-1440');
  // A petitioner who lost the query code: the registering bureau reissues
  // it after checking who asks; it is shown once (Art. 21).
  await page.locator('summary', { hasText: /^补发查询码$/ }).click();
  await page.locator('#reissue_query_code-reason').fill('信访人持身份证原件到接待窗口申请，已核对');
  await page.locator('form[action$="/act/reissue_query_code"] button').click();
  await page.getByRole('button', { name: '确认补发查询码' }).click();
  await page.getByText(/已办理：补发查询码。查询码：[0-9A-Z]{8}/).waitFor();
  await page.reload();
  assert.doesNotMatch(await page.locator('body').innerText(), /查询码：[0-9A-Z]{8}/, 'shown once');
  await context.close();

  const officer = await staffPage('ft_rst_officer');
  // The inbox may hold older, overdue items first (the demo's history).
  const first = officer.page.locator('table.grid tbody tr', { hasText: visit });
  assert.match(await first.innerText(), new RegExp(visit));
  assert.equal(await first.locator('.due').getAttribute('class'), 'due green', 'a fresh 15-day notice is green');
  await shot(officer.page, 'staff-inbox-1440');
  await first.getByRole('link').click();
  await officer.page.locator('summary', { hasText: /^受理$/ }).click();
  await officer.page.locator('#accept-route').selectOption('6');
  await officer.page.locator('form[action$="/act/accept"] button').click();
  await officer.page.getByText('已办理：受理').waitFor();
  // The extension is the head's (Art. 34): the officer's act becomes a request.
  await officer.page.locator('summary', { hasText: /^延期$/ }).click();
  assert.match(await officer.page.locator('form[action$="/act/extend"]').innerText(), /须经单位负责人批准/);
  await officer.page.locator('#extend-reason').fill('涉及人数多，需逐户核实');
  await officer.page.locator('form[action$="/act/extend"] button').click();
  const flash = await officer.page.getByRole('status').innerText();
  assert.match(flash, /已提交单位负责人审批（审批期限：\d{4}-\d{2}-\d{2}）/);
  assert.match(await officer.page.locator('#approvals').innerText(), /延期[\s\S]*待审批[\s\S]*福田区人社局承办人[\s\S]*30日/);
  await shot(officer.page, 'staff-petition-requested-1440');
  await officer.context.close();
});

test('the unit head approves the extension in 待我审批; the petition shows the extended T6 and the officer concludes', async () => {
  assert.ok(visit, 'the clerk journey ran first');
  const { context, page } = await staffPage('ft_rst_head');
  const t6 = (d) => d.deadlines.find((t) => t.kind === 'T6' && !t.met_at);
  const officer = await token('ft_rst_officer');
  const before = t6(await api(`/api/v1/petitions/${visit}`, { token: officer }));
  await page.getByRole('link', { name: '待我审批' }).click();
  await page.waitForURL(BASE + '/staff/approvals');
  const row = page.locator('li.approval', { hasText: visit });
  assert.match(await row.innerText(), /延期[\s\S]*待审批[\s\S]*福田区人社局承办人[\s\S]*延长天数[\s\S]*30日[\s\S]*涉及人数多，需逐户核实/);
  await shot(page, 'staff-approvals-1440');
  // Refusing needs a reason: the browser does not send an empty one.
  await row.getByRole('button', { name: '不予批准' }).click();
  assert.equal(await row.locator('textarea').evaluate((t) => t.validity.valueMissing), true);
  assert.equal(page.url(), BASE + '/staff/approvals');
  await row.getByRole('button', { name: '批准', exact: true }).click();
  await page.getByRole('status').filter({ hasText: `已批准：延期（${visit}）` }).waitFor();
  assert.equal(await page.locator('li.approval', { hasText: visit }).count(), 0, 'the queue is empty of it');
  await page.getByLabel('含已处理的事项').check();
  await page.getByRole('button', { name: '筛选' }).click();
  assert.match(await page.locator('li.approval', { hasText: visit }).innerText(), /已批准[\s\S]*福田区人社局负责人/);
  await context.close();

  const after = t6(await api(`/api/v1/petitions/${visit}`, { token: officer }));
  assert.equal(after.extension_days, 30);
  assert.notEqual(after.due_on, before.due_on);
  const o = await staffPage('ft_rst_officer');
  await o.page.goto(`${BASE}/staff/p/${visit}`);
  assert.match(await o.page.locator('table.grid', { hasText: 'T6' }).innerText(), new RegExp(`T6[\\s\\S]*${after.due_on}(（预计）)?（已延长30日）`));
  assert.match(await o.page.locator('#approvals').innerText(), /延期[\s\S]*已批准/);
  assert.match(await o.page.locator('#documents').innerText(), /延期告知书/, 'the notice of extension is among the documents');
  // Within the extended limit the officer concludes.
  await o.page.locator('summary', { hasText: /^出具信访处理意见书$/ }).click();
  await o.page.locator('#conclude-outcome').selectOption('explained');
  await o.page.locator('#conclude-request').fill('明确回迁时间');
  await o.page.locator('#conclude-facts_and_reasons').fill('项目因规划调整延期，已责成开发商恢复支付临时安置费');
  await o.page.locator('#conclude-decision').fill('作出解释说明');
  await o.page.locator('#conclude-legal_basis').fill('《国有土地上房屋征收与补偿条例》');
  await o.page.locator('form[action$="/act/conclude"] button').click();
  await o.page.getByRole('button', { name: '确认出具信访处理意见书' }).click();
  await o.page.getByText('已办理：出具信访处理意见书').waitFor();
  assert.match(await o.page.locator('#documents').innerText(), /信访处理意见书[\s\S]*作出解释说明/);
  await o.context.close();
});

test('the approvals page fits a 375 px phone', async () => {
  const clerk = await token('ft_clerk');
  const officer = await token('ft_rst_officer');
  // A second extension request, so the queue is not empty on the phone.
  const p = await api('/api/v1/petitions', { method: 'POST', token: clerk, body: {
    channel: 'letter', category: 'claim', jurisdiction: '440304', title: '工伤认定超期',
    request: '请求尽快作出工伤认定', facts_and_reasons: '申请工伤认定已逾三个月仍无结果。',
    petitioners: [{ name: '手机测试', phone: '13800138001' }],
  } });
  await api(`/api/v1/petitions/${p.number}/actions/forward`, { method: 'POST', token: clerk, body: { unit: '440304-RST' } });
  await api(`/api/v1/petitions/${p.number}/actions/accept`, { method: 'POST', token: officer, body: { route: 6 } });
  await api(`/api/v1/petitions/${p.number}/actions/extend`, { method: 'POST', token: officer, body: { days: 15, reason: '需调取医疗记录并征求鉴定意见' } });
  const head = await token('ft_rst_head');
  const context = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  await context.addCookies([{ name: 'xf_session', value: head, url: BASE }]);
  const page = await context.newPage();
  await page.goto(BASE + '/staff/approvals');
  await page.locator('li.approval', { hasText: p.number }).waitFor();
  await shot(page, 'staff-approvals-375');
  await page.getByRole('link', { name: p.number }).click();
  await page.locator('#approvals').waitFor();
  await shot(page, 'staff-petition-requested-375');
  await context.close();
});

test('the city reviewer finds the 复查 request in the review queue and decides it', async () => {
  assert.ok(number, 'the citizen journey ran first');
  const { context, page } = await staffPage('sz_rst_reviewer');
  await page.getByRole('link', { name: '复查复核' }).click();
  await page.getByRole('link', { name: number }).click();
  assert.match(await page.locator('main').innerText(), /信访处理意见书[\s\S]*不予支持/, 'the original decision is at hand');
  await page.locator('summary', { hasText: /^作出复查意见$/ }).click();
  await page.locator('#decide_review-outcome').selectOption('uphold');
  await page.locator('#decide_review-opinion').fill('维持原处理意见');
  await page.locator('#decide_review-facts_and_reasons').fill('原处理认定事实清楚');
  await page.locator('#decide_review-legal_basis').fill('《信访工作条例》第三十五条');
  await page.locator('form[action$="/act/decide_review"] button').click();
  await page.getByText('已办理：作出复查意见').waitFor();
  await shot(page, 'staff-review-1440');
  await context.close();
});

test('every main page fits both a 375 px phone and a 1440 px desktop', async () => {
  assert.ok(number, 'the earlier journeys ran first');
  const officerToken = await token('ft_rst_officer');
  for (const width of [375, 1440]) {
    const context = await b.browser.newContext({ viewport: { width, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    for (const [name, path] of [['portal-home', '/'], ['portal-submit', '/submit'], ['portal-track', '/track'], ['portal-mailbox', '/mailbox']]) {
      await page.goto(BASE + path);
      await shot(page, `${name}-${width}`);
    }
    await context.addCookies([{ name: 'xf_session', value: officerToken, url: BASE }]);
    for (const [name, path] of [['staff-inbox', '/staff'], ['staff-petition', `/staff/p/${number}`], ['staff-register', '/staff/register']]) {
      await page.goto(BASE + path);
      await shot(page, `${name}-${width}`);
    }
    // 长者模式 on the phone: larger text, still no overflow.
    if (width === 375) {
      await page.goto(BASE + '/');
      await page.getByRole('link', { name: '长者模式' }).click();
      assert.equal(await page.locator('body').getAttribute('class'), 'elder');
      await shot(page, 'portal-home-elder-375');
    }
    await context.close();
  }
});
