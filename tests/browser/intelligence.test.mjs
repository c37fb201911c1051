// Text intelligence at the desk (issue 13): while registering a call the
// clerk sees the suggested class, topic and unit with the words behind
// them, the risk, and the petitions it may repeat, and takes a suggestion
// with one click; on the petition page the clerk links the repeat; the
// search page highlights the words. axe checks each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, api, token, shot, axe, submitRegistration } from './lib.mjs';

const stamp = String(Date.now()).slice(-8);
let clerkToken;

async function asClerk(width = 1440) {
  clerkToken ??= await token('ft_clerk');
  const context = await b.browser.newContext({ viewport: { width, height: 1000 }, locale: 'zh-CN' });
  await context.addCookies([{ name: 'xf_session', value: clerkToken, url: BASE }]);
  const page = await context.newPage();
  return { context, page };
}

test('registering a call shows suggestions with their words, the risk and a possible repeat; a click fills the topic; the clerk links the repeat before saving', async () => {
  clerkToken ??= await token('ft_clerk');
  const earlier = await api('/api/v1/petitions', { method: 'POST', token: clerkToken, body: {
    channel: 'letter', category: 'claim', jurisdiction: '440304011', topic: '0202',
    title: `鑫源${stamp}工地拖欠工资`, request: '请求支付工资', facts_and_reasons: `鑫源${stamp}建筑公司拖欠我三个月工资六万元。`,
    petitioners: [{ name: `冯${stamp.slice(-2)}`, phone: `137${stamp}` }],
  } });
  const { context, page } = await asClerk();
  await page.goto(BASE + '/staff/register');
  await page.getByLabel('渠道').selectOption('phone');
  await page.getByLabel('姓名（名称）').fill(`冯${stamp.slice(-2)}`);
  await page.getByLabel('联系电话').fill(`137${stamp}`);
  await page.getByLabel('标题').fill('老板拖欠工资不给');
  await page.getByLabel('诉求').fill('要求支付工资');
  await page.getByLabel('事实和理由').fill(`鑫源${stamp}建筑公司欠我工资六万元，再不给我就去跳楼。`);
  await page.getByLabel('事实和理由').blur();
  const panel = page.locator('#triage-panel');
  // The panel follows each change; wait for the answer to the whole text.
  await panel.locator('#triage-risk').waitFor();
  const text = await panel.innerText();
  assert.match(text, /拖欠工资/, 'the words behind the suggestion');
  assert.match(text, /紧急风险/);
  assert.match(text, /跳楼/);
  assert.ok(text.includes(earlier.number), `the possible repeat is listed: ${text}`);
  await page.getByLabel('内容分类').selectOption('');
  await panel.locator('button[data-fill="topic"]').first().click();
  assert.equal(await page.getByLabel('内容分类').inputValue(), '0202');
  await shot(page, 'register-triage');
  await axe(page, 'register with suggestions');
  // The clerk decides before saving: a repeat of the earlier letter.
  await page.waitForFunction(() => document.querySelectorAll('#township option').length > 5);
  // Choosing the place draws the panel again (the unit of that place);
  // a choice made while it is on its way is kept.
  await page.evaluate(() => {
    window.panelSettled = new Promise((resolve) => document.body.addEventListener('htmx:afterSettle', (e) => {
      if (e.target.id === 'triage-panel') { resolve(); }
    }));
  });
  await page.getByLabel('街道（乡镇）').selectOption('440304011');
  await panel.getByRole('radio', { name: /重件，关联/ }).check();
  await page.evaluate(() => window.panelSettled);
  assert.ok(await panel.getByRole('radio', { name: /重件，关联/ }).isChecked(), 'the 重件 choice survives the redraw');
  await submitRegistration(page);
  await page.getByText('已办理：登记，并认定初件/重件').waitFor();
  assert.match(await page.locator('#repeat-status').innerText(), new RegExp(`重件[\\s\\S]*${earlier.number}`));
  await context.close();
});

test('a danger told without the lexicon\'s words is flagged urgent by the examples, and the panel and the alert page say so (参考样本)', async () => {
  clerkToken ??= await token('ft_clerk');
  const facts = '来电人情绪激动。来电人称现在就在大桥护栏外面，公司欠她工资半年，今天再不给个准话就下去，话务员已转110。';
  const { context, page } = await asClerk();
  await page.goto(BASE + '/staff/register');
  await page.getByLabel('标题').fill(`来电人称在大桥上${stamp}`);
  await page.getByLabel('事实和理由').fill(facts);
  await page.getByLabel('事实和理由').blur();
  const risk = page.locator('#triage-panel #triage-risk');
  await risk.waitFor();
  const said = await risk.innerText();
  assert.match(said, /紧急风险/);
  assert.match(said, /参考样本：/, `the panel says the examples raised it: ${said}`);
  await api('/api/v1/petitions', { method: 'POST', token: clerkToken, body: {
    channel: 'phone', category: 'claim', jurisdiction: '440304011', topic: '0202',
    title: `来电人称在大桥上${stamp}`, request: '请求支付工资', facts_and_reasons: facts,
    petitioners: [{ name: `桥${stamp.slice(-2)}`, phone: `135${stamp}` }],
  } });
  await page.goto(BASE + '/staff/risk-alerts');
  const item = page.locator('li, tr, article').filter({ hasText: `来电人称在大桥上${stamp}` }).first();
  await item.waitFor();
  await shot(page, 'risk-alert-seed');
  const listed = await page.locator('main').innerText();
  assert.match(listed, new RegExp(`来电人称在大桥上${stamp}[\\s\\S]*参考样本：`), 'the alert names the examples as its basis');
  await context.close();
});

test('a clerk marks a danger the readers missed from the petition page, and dismisses an alert as a false alarm', async () => {
  clerkToken ??= await token('ft_clerk');
  const reg = await api('/api/v1/petitions', { method: 'POST', token: clerkToken, body: {
    channel: 'letter', category: 'claim', jurisdiction: '440304011', topic: '0202',
    title: `老李的工伤认定${stamp}`, request: '请尽快作出工伤认定',
    facts_and_reasons: '老李把家里的存折和房本都交给了侄子，说以后用不着了，工伤认定拖了两年没有结果。',
    petitioners: [{ name: `李${stamp.slice(-2)}`, phone: `137${stamp}` }],
  } });
  const { context, page } = await asClerk(375);
  await page.goto(`${BASE}/staff/p/${reg.number}`);
  await page.locator('#risk-mark summary').click();
  await page.getByLabel('风险类别').selectOption('self_harm');
  await page.getByLabel('理由', { exact: true }).fill('短');
  await page.getByRole('button', { name: '标记风险' }).click();
  const error = page.locator('#risk-mark-error');
  await error.waitFor();
  assert.match(await error.innerText(), /理由/);
  assert.equal(await page.getByLabel('风险类别').inputValue(), 'self_harm', 'the kind chosen is kept');
  await axe(page, 'petition with the risk form open');
  await page.getByLabel('理由', { exact: true }).fill('把存折房本交给侄子，有交代后事迹象');
  await page.getByRole('button', { name: '标记风险' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /已标记紧急风险/);
  assert.match(await page.locator(`main`).innerText(), /工作人员标记：把存折房本交给侄子/);
  await page.goto(BASE + '/staff/risk-alerts');
  const item = page.locator('li.risk-alert').filter({ hasText: `老李的工伤认定${stamp}` }).first();
  await item.waitFor();
  assert.match(await item.innerText(), /标记理由[\s\S]*有交代后事迹象/);
  await shot(page, 'risk-alert-by-hand-375');
  await item.getByLabel('解除理由').fill('已联系家属核实，老李情绪平稳，系误会');
  await item.getByLabel('误报，文中并无现实危险').check();
  await item.getByRole('button', { name: '解除提示' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /已记为误报/);
  await context.close();
});

test('the clerk links a repeat from the petition page; the search page highlights the words', async () => {
  clerkToken ??= await token('ft_clerk');
  const body = (name, title, facts) => ({
    channel: 'letter', category: 'claim', jurisdiction: '440304011', topic: '0202', title, request: '请求依法处理', facts_and_reasons: facts,
    petitioners: [{ name, phone: `136${stamp}` }],
  });
  const first = await api('/api/v1/petitions', { method: 'POST', token: clerkToken, body: body('褚一', `瑞丰${stamp}拖欠货款`, `瑞丰${stamp}贸易公司拖欠我货款十二万元。`) });
  const again = await api('/api/v1/petitions', { method: 'POST', token: clerkToken, body: body('卫二', `反映瑞丰${stamp}欠款`, `瑞丰${stamp}贸易公司欠我们货款共十二万元，一直拖着不付。`) });
  const { context, page } = await asClerk(375);
  await page.goto(`${BASE}/staff/p/${again.number}`);
  const row = page.locator(`#similar-table tr[data-number="${first.number}"]`);
  await row.waitFor();
  await shot(page, 'petition-similar-375');
  await axe(page, 'petition with possible repeats');
  await row.getByRole('button', { name: `认定为重件，初件 ${first.number}` }).click();
  await page.locator('#repeat-status').waitFor();
  assert.match(await page.locator('#repeat-status').innerText(), /已认定为重件/);
  assert.match(await page.getByRole('status').innerText(), /已认定为重件/);
  await page.goto(`${BASE}/staff/search?q=${encodeURIComponent(`瑞丰${stamp} 货款`)}`);
  const results = page.locator('#search-results');
  await results.waitFor();
  assert.ok((await results.innerText()).includes(first.number));
  assert.ok(await results.locator('mark').count() > 0, 'the words are highlighted');
  await shot(page, 'search-375');
  await axe(page, 'search');
  await context.close();
});

test('the administrator adds a rule on 分办规则表, sees an invalid one refused beside its field, and restores the starter table', async () => {
  const context = await b.browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
  await context.addCookies([{ name: 'xf_session', value: await token('admin'), url: BASE }]);
  const page = await context.newPage();
  await page.goto(`${BASE}/staff/admin`);
  await page.locator('a', { hasText: '分办规则表' }).click();
  await page.locator('#rules-table').waitFor();
  assert.equal(await page.locator('#rules-origin').getAttribute('data-origin'), 'starter');
  await axe(page, 'staff-admin-triage-rules');
  const word = `无人机黑飞${stamp}`;
  await page.locator('#new-rule summary').click();
  await page.locator('#r-keywords').fill(word);
  await page.locator('#r-topic').selectOption('1003');
  await page.locator('#r-kind').fill('公安局');
  await page.locator('#new-rule button[type=submit]').click();
  await page.locator('[role=status]').waitFor();
  assert.match(await page.locator('[role=status]').innerText(), /已新增第\d+条规则/);
  assert.equal(await page.locator('#rules-origin').getAttribute('data-origin'), 'own');
  assert.match(await page.locator('#rules-origin').innerText(), /最近一次由.+于\d{4}-\d{2}-\d{2} \d{2}:\d{2}保存（第\d+版）/, 'who saved it and when');
  assert.ok((await page.locator('#rules-table').innerText()).includes(word), 'the new rule is listed');
  // A one-character unit kind: the message beside the field, what was typed kept.
  await page.locator('#new-rule summary').click();
  await page.locator('#r-keywords').fill('广场舞');
  await page.locator('#r-topic').selectOption('1003');
  await page.locator('#r-kind').fill('局');
  await page.locator('#new-rule button[type=submit]').click();
  await page.locator('#r-kind-error').waitFor();
  assert.match(await page.locator('#r-kind-error').innerText(), /单位类别须为 2 至 20 个字/);
  assert.equal(await page.locator('#r-keywords').inputValue(), '广场舞');
  await shot(page, 'staff-admin-triage-rules-error');
  await axe(page, 'staff-admin-triage-rules with an error');
  // Back to the starter table for the journeys after this one.
  await page.locator('#reset-rules input[name=confirm]').check();
  await page.locator('#reset-rules button[type=submit]').click();
  await page.locator('[role=status]').waitFor();
  assert.equal(await page.locator('#rules-origin').getAttribute('data-origin'), 'starter');
  assert.match(await page.locator('#rules-origin').innerText(), /恢复为初始规则表（第\d+版）/, 'who restored it is kept');
  await context.close();
});
