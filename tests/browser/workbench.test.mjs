// The workbench as clerks, officers and an administrator use it all day
// (issue 10, points 2, 3, 5, 6 and 7): choosing a unit on purpose, forms
// that keep what was typed, what officers need to see, the inbox at
// volume, and complete administration. Every staff and admin page is also
// checked with axe-core and its transferred size printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, PASSWORD, api, token, staffPage, shot, axe, transferred, submitRegistration } from './lib.mjs';

// Logins are rate-limited per address (30 a minute, shared with the other
// files): one token per account, reused as the session cookie.
const tokens = new Map();
async function tok(user) {
  if (!tokens.has(user)) tokens.set(user, await token(user));
  return tokens.get(user);
}

/** A page of a logged-in staff member (the session cookie of `tok(user)`). */
async function asStaff(user, width = 1440) {
  const context = await b.browser.newContext({ viewport: { width, height: 1000 }, locale: 'zh-CN' });
  await context.addCookies([{ name: 'xf_session', value: await tok(user), url: BASE }]);
  const page = await context.newPage();
  await page.goto(BASE + '/staff');
  return { context, page };
}

// Unique data per run: the suite shares one server with the other files.
const stamp = String(Date.now()).slice(-8);
const phone = `139${stamp}`;
const person = `测试${['甲', '乙', '丙', '丁', '戊'][Number(stamp.slice(-1)) % 5]}${stamp.slice(-3)}`;
let number;

async function register(extra = {}) {
  const clerk = await tok('ft_clerk');
  return api('/api/v1/petitions', { method: 'POST', token: clerk, body: {
    channel: 'letter', category: 'claim', jurisdiction: '440304011', topic: '0202',
    title: `欠薪${stamp}求助`, request: '请求督促支付工资', facts_and_reasons: '公司拖欠三个月工资。',
    petitioners: [{ name: person, phone, address: '深圳市福田区华强北街道某小区1栋101', id_number: '440304197503150015' }],
    ...extra,
  } });
}

test('the forward picker starts empty, suggests the fitting unit, searches by pinyin initials; a forward without a choice is refused; forwarding is confirmed first', async () => {
  number = (await register()).number;
  const { context, page } = await asStaff('ft_clerk');
  await page.goto(`${BASE}/staff/p/${number}`);
  await page.locator('summary', { hasText: /^转送$/ }).click();
  const select = page.locator('#forward-unit');
  assert.equal(await select.inputValue(), '', 'no unit is preselected');
  assert.equal(await select.locator('option').first().innerText(), '请选择');
  // Grouped: the suggestion for 福田区 + 劳动和社会保障 first, then by level and kind.
  const groups = await select.locator('optgroup').evaluateAll((gs) => gs.map((g) => g.label));
  assert.match(groups[0], /^建议/);
  assert.ok(groups.some((g) => /县级 · 职能部门/.test(g)), groups.join('|'));
  assert.equal(await select.locator('optgroup').first().locator('option').first().getAttribute('value'), '440304-RST');
  // The search box narrows the options by pinyin initials (福田区住房和建设局 → ftqzfhjsj).
  await page.locator('#forward-unit-find').fill('ftqzf');
  const shown = await select.locator('option:not([hidden])').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.deepEqual(shown, ['440304-ZJT']);
  await page.locator('#forward-unit-find').fill('');
  // The browser asks for a unit; a request without one (no browser check) is refused in Chinese.
  await page.locator('form[action$="/act/forward"] button').click();
  assert.equal(await select.evaluate((s) => s.validity.valueMissing), true);
  await page.locator('form[action$="/act/forward"]').evaluate((f) => { f.noValidate = true; });
  await page.locator('#forward-note').fill('请依职责办理');
  await page.locator('form[action$="/act/forward"] button').click();
  await page.locator('#forward-unit-error').waitFor();
  assert.match(await page.locator('#forward-unit-error').innerText(), /转送须填写转送至/);
  assert.equal(await page.locator('#forward-note').inputValue(), '请依职责办理', 'the note is kept');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'forward-unit', 'focus on the first error');
  const clerk = await tok('ft_clerk');
  assert.equal((await api(`/api/v1/petitions/${number}`, { token: clerk })).state, 'registered', 'nothing was forwarded');
  // Chosen: a confirmation says what will happen; 返回修改 keeps the choice.
  await select.selectOption('440304-RST');
  await page.locator('form[action$="/act/forward"] button').click();
  await page.getByRole('heading', { name: /请确认：转送/ }).waitFor();
  assert.match(await page.locator('main').innerText(), /福田区人力资源和社会保障局[\s\S]*本单位不再承办[\s\S]*不能撤回/);
  await axe(page, 'staff-confirm');
  await shot(page, 'staff-confirm-1440');
  assert.equal((await api(`/api/v1/petitions/${number}`, { token: clerk })).state, 'registered', 'not yet forwarded');
  await page.getByRole('button', { name: '返回修改' }).click();
  assert.equal(await page.locator('#forward-unit').inputValue(), '440304-RST');
  await page.locator('form[action$="/act/forward"] button').click();
  await page.getByRole('button', { name: '确认转送' }).click();
  await page.getByText('已办理：转送').waitFor();
  assert.equal((await api(`/api/v1/petitions/${number}`, { token: clerk })).state, 'forwarded');
  await context.close();
});

test('协商受理 picks its units with the same grouped, searchable picker, several chosen', async () => {
  const other = (await register({ title: `协商${stamp}`, petitioners: [{ name: `协商人${stamp.slice(-3)}`, phone: `138${stamp}` }] })).number;
  const { context, page } = await asStaff('ft_clerk');
  await page.goto(`${BASE}/staff/p/${other}`);
  await page.locator('summary', { hasText: /^协商受理$/ }).click();
  const select = page.locator('#start_negotiation-units');
  assert.equal(await select.evaluate((s) => s.multiple), true);
  assert.deepEqual(await select.evaluate((s) => [...s.selectedOptions].map((o) => o.value)), [], 'nothing preselected');
  const groups = await select.locator('optgroup').evaluateAll((gs) => gs.map((g) => g.label));
  assert.match(groups[0], /^建议/);
  assert.match(await page.locator('label[for="start_negotiation-units"]').innerText(), /^协商单位/, 'labelled in words, not codes');
  // Choose one, look for another by pinyin initials: the first stays chosen.
  await select.selectOption(['440304-RST']);
  await page.locator('#start_negotiation-units-find').fill('ftqzf');
  const shown = await select.locator('option:not([hidden])').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(shown.sort(), ['440304-RST', '440304-ZJT']);
  await select.locator('option[value="440304-ZJT"]').evaluate((o) => { o.selected = true; });
  await page.locator('form[action$="/act/start_negotiation"] button').click();
  await page.getByText('已办理：协商受理').waitFor();
  const clerk = await tok('ft_clerk');
  const d = await api(`/api/v1/petitions/${other}`, { token: clerk });
  assert.equal(d.state, 'negotiating');
  assert.match(await page.locator('#history').innerText(), /协商单位[\s\S]*福田区人力资源和社会保障局、福田区住房和建设局/);
  await axe(page, 'staff-negotiation');
  await context.close();
});

test('a failed decision form keeps its text, shows every message beside its field in Chinese and focuses the first', async () => {
  const officer = await tok('ft_rst_officer');
  await api(`/api/v1/petitions/${number}/actions/accept`, { method: 'POST', token: officer, body: { route: 6 } });
  const { context, page } = await asStaff('ft_rst_officer');
  await page.goto(`${BASE}/staff/p/${number}`);
  await page.locator('summary', { hasText: /^调查核实$/ }).click();
  await page.locator('#investigate-note').fill(`约谈公司负责人${stamp}，承认拖欠`);
  await page.locator('form[action$="/act/investigate"] button').click();
  await page.getByText('已办理：调查核实').waitFor();
  await page.locator('summary', { hasText: /^出具信访处理意见书$/ }).click();
  // Two fields never share a label: 处理结论 (the outcome) and 处理意见 (the text).
  const labels = await page.locator('form[action$="/act/conclude"] label').allInnerTexts();
  assert.equal(new Set(labels).size, labels.length, labels.join('|'));
  await page.locator('#conclude-request').fill('支付拖欠工资');
  await page.locator('#conclude-facts_and_reasons').fill('经查公司确有拖欠');
  await page.locator('#conclude-decision').fill('责令公司于十日内支付');
  await page.locator('form[action$="/act/conclude"]').evaluate((f) => { f.noValidate = true; });
  await page.locator('form[action$="/act/conclude"] button').click();
  await page.locator('#conclude-legal_basis-error').waitFor();
  assert.match(await page.locator('#conclude-outcome-error').innerText(), /处理结论/);
  assert.match(await page.locator('#conclude-legal_basis-error').innerText(), /法律法规依据/);
  assert.equal(await page.locator('#conclude-decision').inputValue(), '责令公司于十日内支付');
  assert.equal(await page.locator('#conclude-facts_and_reasons').inputValue(), '经查公司确有拖欠');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'conclude-outcome');
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /（(decision|title|facts_and_reasons|outcome|legal_basis|request)）|\((decision|title|facts_and_reasons)\)/);
  assert.equal(await page.locator('[aria-invalid=true]').count(), 2);
  await shot(page, 'staff-decision-errors-1440');
  await context.close();
});

test('officers see names, units, every note, the place name, and reveal the full phone with a stated reason', async () => {
  const { context, page } = await asStaff('ft_rst_officer');
  await page.goto(`${BASE}/staff/p/${number}`);
  const history = await page.locator('#history').innerText();
  assert.match(history, /登记（福田区信访局 福田区信访局登记员）/);
  assert.match(history, /转送（福田区信访局 福田区信访局登记员）[\s\S]*转送至[\s\S]*福田区人力资源和社会保障局[\s\S]*请依职责办理/);
  assert.match(history, new RegExp(`调查核实[\\s\\S]*约谈公司负责人${stamp}`));
  assert.doesNotMatch(history, /ft_clerk|ft_rst_officer/, 'no login names');
  assert.match(await page.locator('table.info').first().innerText(), /问题属地\s+广东省深圳市福田区华强北街道/);
  assert.match(await page.locator('table.info').first().innerText(), /内容分类\s+工资福利/);
  const masked = await page.locator('#petitioners').innerText();
  assert.ok(!masked.includes(phone), 'masked at first');
  await page.locator('#unmask summary').click();
  await page.locator('#unmask form').evaluate((f) => { f.noValidate = true; });
  await page.getByRole('button', { name: '显示完整信息' }).click();
  await page.locator('#unmask-reason-error').waitFor();
  assert.match(await page.locator('#unmask-reason-error').innerText(), /事由/);
  await page.getByLabel('查看事由').fill('电话联系信访人核实欠薪金额');
  await page.getByRole('button', { name: '显示完整信息' }).click();
  await page.getByRole('status').filter({ hasText: /查看事由已记录/ }).waitFor();
  const full = await page.locator('#petitioners').innerText();
  assert.ok(full.includes(phone) && full.includes('华强北街道某小区1栋101'), full);
  await context.close();
});

test('a collective visit registered with the place cascade and the topic lists each person once; a failed registration keeps every value', async () => {
  const { context, page } = await asStaff('ft_clerk');
  await page.getByRole('link', { name: '登记' }).click();
  assert.equal(await page.getByLabel('区（县）').inputValue(), '440304', 'the clerk’s district is preselected');
  await page.waitForFunction(() => document.querySelectorAll('#township option').length > 5);
  await page.getByLabel('街道（乡镇）').selectOption({ label: '华强北街道' });
  await page.getByLabel('内容分类').selectOption('0103');
  await page.getByLabel('渠道').selectOption('visit');
  await page.getByLabel('姓名（名称）').fill('代表甲');
  await page.getByLabel('联系电话').fill('13900000011');
  await page.getByLabel('集体访（多人）').check();
  await page.getByLabel('人数').fill('12');
  await page.getByLabel(/推选代表/).fill('代表甲 13900000011\n代表乙 13900000012');
  await page.getByLabel('诉求').fill('请求明确回迁时间');
  // Title and facts forgotten: both messages at once, the rest kept.
  await submitRegistration(page);
  await page.locator('#title-error').waitFor();
  assert.match(await page.locator('#facts_and_reasons-error').innerText(), /事实和理由/);
  assert.doesNotMatch(await page.locator('main').innerText(), /（title）|（facts_and_reasons）|（request）/);
  assert.equal(await page.getByLabel('诉求').inputValue(), '请求明确回迁时间');
  assert.equal(await page.getByLabel('街道（乡镇）').inputValue(), '440304011');
  assert.equal(await page.getByLabel('内容分类').inputValue(), '0103');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'title');
  await page.getByLabel('标题').fill('旧改回迁安置延期');
  await page.getByLabel('事实和理由').fill('项目已延期两年。');
  await submitRegistration(page);
  await page.getByText('已办理：登记').waitFor();
  const people = await page.locator('#petitioners th').allInnerTexts();
  assert.deepEqual(people, ['代表甲（代表）', '代表乙（代表）'], 'each person once');
  assert.match(await page.locator('table.info').first().innerText(), /华强北街道[\s\S]*国有土地上房屋征收与补偿/);
  await context.close();
});

test('the inbox finds a petition by phone, name, number and title words; shows the colour legend; saved views are confirmed and kept on the server', async () => {
  const { context, page } = await asStaff('ft_rst_officer');
  assert.match(await page.locator('.legend').innerText(), /绿色[\s\S]*黄色[\s\S]*红色[\s\S]*逾期/);
  for (const q of [phone, person, number, `欠薪${stamp}`]) {
    await page.getByLabel('查找', { exact: true }).fill(q);
    await page.getByRole('button', { name: '查找', exact: true }).click();
    const rows = page.locator('table.inbox tbody tr');
    assert.equal(await rows.count(), 1, `search ${q}`);
    assert.match(await rows.first().innerText(), new RegExp(number));
  }
  await page.getByLabel('查找', { exact: true }).fill('13000000000');
  await page.getByRole('button', { name: '查找', exact: true }).click();
  assert.match(await page.locator('table.inbox').innerText(), /没有找到/);
  await page.getByLabel('查找', { exact: true }).fill(phone);
  await page.getByRole('button', { name: '查找', exact: true }).click();
  await page.getByLabel('保存当前条件为视图').fill(`电话${stamp.slice(-4)}`);
  await page.getByRole('button', { name: '保存视图' }).click();
  await page.getByRole('status').filter({ hasText: `已保存视图“电话${stamp.slice(-4)}”` }).waitFor();
  await context.close();
  // Another browser (no cookie from the first): the view is the account's.
  const again = await staffPage('ft_rst_officer');
  await again.page.getByRole('link', { name: `电话${stamp.slice(-4)}` }).click();
  assert.match(await again.page.locator('table.inbox tbody').innerText(), new RegExp(number));
  await shot(again.page, 'staff-inbox-search-1440');
  await again.context.close();
  // A phone shows cards, not a sideways-scrolling table.
  const phoneView = await asStaff('ft_rst_officer', 375);
  await phoneView.page.goto(`${BASE}/staff?q=${phone}`);
  assert.equal(await phoneView.page.locator('table.inbox thead').evaluate((t) => getComputedStyle(t).position), 'absolute');
  assert.equal(await phoneView.page.locator('table.inbox tbody tr').first().evaluate((r) => getComputedStyle(r).display), 'block');
  await shot(phoneView.page, 'staff-inbox-375');
  await phoneView.context.close();
});

test('the inbox header fits one line per row at 1440 px', async () => {
  const { context, page } = await asStaff('ft_rst_officer');
  const heights = await page.locator('table.inbox thead th').evaluateAll((ths) => ths.map((t) => t.getBoundingClientRect().height));
  assert.ok(Math.max(...heights) < 50, `header cells ${heights.join(',')}`);
  const numberCell = page.locator('table.inbox tbody td[data-label="编号"]').first();
  if (await numberCell.count()) {
    const h = await numberCell.evaluate((td) => td.getBoundingClientRect().height);
    const line = await numberCell.evaluate((td) => parseFloat(getComputedStyle(td).lineHeight));
    assert.ok(h < line * 2 + 16, 'the petition number does not wrap');
  }
  await context.close();
});

test('the administrator finds, disables and re-enables a department officer; the disabled officer cannot log in', async () => {
  const admin = await tok('admin');
  const username = `ft_zjt_o${stamp.slice(-5)}`;
  await api('/api/v1/users', { method: 'POST', token: admin, body: { username, display_name: '住建局临时承办人', password: PASSWORD, role: 'handling_officer', unit: '440304-ZJT' } });
  const officerToken = await token(username);
  const { context, page } = await asStaff('admin');
  await page.getByRole('link', { name: '系统管理' }).click();
  // Chinese kinds and roles; lists reachable by keyboard.
  assert.match(await page.locator('#units').innerText(), /职能部门[\s\S]*县级/);
  assert.doesNotMatch(await page.locator('#users').innerText(), /handling_officer|petition_bureau/);
  assert.equal(await page.getByRole('region', { name: '用户列表' }).getAttribute('tabindex'), '0');
  await page.getByRole('searchbox', { name: '查找用户' }).fill('住建局临时');
  await page.getByRole('button', { name: '查找' }).first().click();
  assert.equal(await page.locator('#users tbody tr').count(), 1);
  await page.getByRole('link', { name: `管理账号 ${username}` }).click();
  await page.getByRole('button', { name: '停用账号' }).click();
  await page.getByRole('status').filter({ hasText: '已停用账号' }).waitFor();
  const r = await fetch(BASE + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  assert.equal(r.status, 401, 'a disabled account cannot log in');
  const me = await fetch(BASE + '/api/v1/me', { headers: { authorization: `Bearer ${officerToken}` } });
  assert.equal(me.status, 401, 'its session ended');
  // A refused password reset keeps the message beside the field.
  await page.getByLabel('新密码').fill('short');
  await page.getByRole('button', { name: '重置密码' }).click();
  await page.locator('#u-password-error').waitFor();
  await page.getByRole('button', { name: '启用账号' }).click();
  await page.getByRole('status').filter({ hasText: '已启用账号' }).waitFor();
  assert.ok(await token(username));
  // Units: search by pinyin initials, rename.
  await page.goto(BASE + '/staff/admin?nq=ftqzf');
  assert.match(await page.locator('#units tbody').innerText(), /福田区住房和建设局/);
  // The unit selects offer the units found, not every unit of the area.
  assert.deepEqual(await page.locator('#k-unit option').evaluateAll((os) => os.map((o) => o.value)), ['440304-ZJT']);
  const userPage = await b.browser.newPage();
  await userPage.context().addCookies([{ name: 'xf_session', value: admin, url: BASE }]);
  await userPage.goto(`${BASE}/staff/admin/users/ft_rst_officer?nq=ftqzf`);
  assert.deepEqual(await userPage.locator('#u-unit option').evaluateAll((os) => os.map((o) => o.value)), ['440304-RST', '440304-ZJT']);
  assert.equal(await userPage.locator('#u-unit').inputValue(), '440304-RST', 'the current unit stays chosen');
  await userPage.close();
  // API keys: revoked from their row.
  await page.getByLabel('密钥名称').fill(`测试密钥${stamp}`);
  await page.getByRole('button', { name: '创建密钥' }).click();
  await page.getByRole('button', { name: `吊销密钥 测试密钥${stamp}` }).click();
  assert.match(await page.locator('#keys tr', { hasText: `测试密钥${stamp}` }).innerText(), /已吊销/);
  await context.close();
});

test('风险提示: the clerk sees an urgent alert with the words behind it, a too-short reason is refused beside its field, a stated one dismisses it', async () => {
  const clerk = await tok('ft_clerk');
  const threat = (await register({
    title: `讨薪${stamp}风险`, facts_and_reasons: '公司拖欠工资一年多，下周一我们全村人去堵国道讨说法。',
    petitioners: [{ name: `风险人${stamp.slice(-3)}`, phone: `136${stamp}` }],
  })).number;
  // A second one stays open for the axe check of every staff page below.
  await register({
    title: `讨薪${stamp}关注`, facts_and_reasons: '我不会跳楼，只想要回被拖欠的工资。',
    petitioners: [{ name: `关注人${stamp.slice(-3)}`, phone: `135${stamp}` }],
  });
  const alerts = await api('/api/v1/risk-alerts', { token: clerk });
  const id = alerts.find((a) => a.number === threat)?.id;
  assert.ok(id, `an alert for ${threat}`);
  const { context, page } = await asStaff('ft_clerk');
  await page.getByRole('link', { name: '风险提示' }).click();
  await page.waitForURL(`${BASE}/staff/risk-alerts`);
  const item = page.locator(`#alert-${id}`);
  assert.equal(await item.locator('.risk-level').innerText(), '紧急');
  assert.match(await item.innerText(), new RegExp(`${threat}[\\s\\S]*讨薪${stamp}风险[\\s\\S]*扬言堵路拦车[\\s\\S]*堵国道`));
  await item.getByLabel('解除理由').fill('误传');
  await item.getByRole('button', { name: '解除提示' }).click();
  await page.locator(`#alert-reason-${id}-error`).waitFor();
  assert.match(await page.locator(`#alert-reason-${id}-error`).innerText(), /请写明解除风险提示的理由/);
  assert.equal(await page.locator(`#alert-reason-${id}`).inputValue(), '误传', 'the text is kept');
  assert.equal(await page.evaluate(() => document.activeElement?.id), `alert-reason-${id}`, 'focus on the field in error');
  assert.ok((await api('/api/v1/risk-alerts', { token: clerk })).some((a) => a.id === id), 'nothing dismissed');
  await page.locator(`#alert-reason-${id}`).fill('已电话联系信访人，系一时气话，情绪稳定');
  await page.locator(`#alert-${id}`).getByRole('button', { name: '解除提示' }).click();
  await page.getByRole('status').filter({ hasText: '已解除风险提示' }).waitFor();
  assert.equal(await page.locator(`#alert-${id}`).count(), 0, 'gone from the open list');
  assert.ok(!(await api('/api/v1/risk-alerts', { token: clerk })).some((a) => a.id === id));
  await page.getByLabel('含已解除的提示').check();
  await page.getByRole('button', { name: '筛选' }).click();
  assert.match(await page.locator(`#alert-${id}`).innerText(), /已解除[\s\S]*系一时气话/);
  await shot(page, 'staff-risk-alerts-all-1440');
  await context.close();
});

test('every staff and admin page: no serious or critical axe findings; transferred size printed', async () => {
  assert.ok(number, 'the earlier tests ran first');
  // A registered petition as the clerk sees it: every routing form with its unit picker.
  const fresh = (await register({ title: `路由${stamp}`, petitioners: [{ name: `路由人${stamp.slice(-3)}`, phone: `137${stamp}` }] })).number;
  const pages = [
    ['ft_clerk', 'staff-petition-routing', `/staff/p/${fresh}`],
    ['ft_rst_officer', 'staff-inbox', '/staff'],
    ['ft_rst_officer', 'staff-reviews', '/staff/reviews'],
    ['ft_rst_officer', 'staff-all', '/staff/all'],
    ['ft_rst_officer', 'staff-petition', `/staff/p/${number}`],
    ['ft_rst_officer', 'staff-reports', '/staff/reports'],
    ['ft_clerk', 'staff-risk-alerts', '/staff/risk-alerts'],
    ['ft_clerk', 'staff-register', '/staff/register'],
    ['ft_rst_head', 'staff-approvals', '/staff/approvals'],
    ['admin', 'staff-admin', '/staff/admin'],
    ['admin', 'staff-admin-user', '/staff/admin/users/ft_rst_officer'],
    ['admin', 'staff-admin-unit', '/staff/admin/units/440304-RST'],
    ['admin', 'staff-admin-triage-rules', '/staff/admin/triage-rules'],
  ];
  const sizes = [];
  for (const [user, name, path] of pages) {
    const t = await tok(user);
    const context = await b.browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    await context.addCookies([{ name: 'xf_session', value: t, url: BASE }]);
    const page = await context.newPage();
    const bytes = await transferred(page, path);
    sizes.push([name, bytes]);
    await axe(page, name);
    await shot(page, `${name}-1440`);
    await page.setViewportSize({ width: 375, height: 800 });
    await shot(page, `${name}-375`);
    await context.close();
  }
  const login = await b.browser.newContext({ locale: 'zh-CN' });
  const lp = await login.newPage();
  sizes.push(['staff-login', await transferred(lp, '/staff/login')]);
  await axe(lp, 'staff-login');
  await login.close();
  for (const [name, bytes] of sizes) console.log(`transferred ${name}: ${(bytes / 1024).toFixed(1)} KB`);
  // Issue 10, point 9: no staff or admin page above 40 KB compressed (none has charts).
  const heavy = sizes.filter(([, bytes]) => bytes > 40 * 1024).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KB`);
  assert.deepEqual(heavy, [], 'pages above 40 KB compressed');
  // The pages themselves cross the wire compressed.
  const t = await tok('ft_rst_officer');
  for (const path of ['/staff', `/staff/p/${number}`]) {
    const r = await fetch(BASE + path, { headers: { cookie: `xf_session=${t}`, 'accept-encoding': 'gzip, br' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-encoding') ?? '', /^(br|gzip)$/, `${path} is compressed`);
  }
});
