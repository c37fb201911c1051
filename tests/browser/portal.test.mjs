// Issue 10, the citizen portal (and the staff action forms' post-once
// mechanics) in Debian's Chromium: POST → 303 → GET with one-time tokens,
// failed forms that keep everything, the decision readable on the tracking
// page, 长者模式 on a 375 px phone, axe on every portal page, and each
// page's transferred (compressed) size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b, BASE, api, token, staffPage, shot, axe, transferred, overflow } from './lib.mjs';

/** A valid 18-character identity number (GB 11643 check digit) ending in `tail`. */
function idNumber(tail) {
  const body = `44030419800101${String(tail).padStart(3, '0').slice(-3)}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}

/** A phone number no other test uses. */
const phone = () => `139${String(Date.now() % 1e8).padStart(8, '0')}`;

async function phoneContext(elder = false) {
  const context = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  if (elder) await context.addCookies([{ name: 'xf_elder', value: '1', url: BASE }]);
  return context;
}

async function fillSubmit(page, { name = '门户测试', tel = phone(), title = '小区噪音扰民', facts = '施工单位夜间施工，噪音影响休息。' } = {}) {
  await page.getByLabel('姓名（名称）').fill(name);
  await page.getByLabel('联系电话').fill(tel);
  await page.getByLabel('区（县）').selectOption({ label: '福田区' });
  await page.waitForFunction(() => document.querySelectorAll('#township option').length > 5);
  await page.getByLabel('街道（乡镇）').selectOption({ label: '华强北街道' });
  await page.getByRole('radio', { name: /申诉求决/ }).check();
  await page.getByLabel('标题').fill(title);
  await page.getByLabel('您的诉求').fill('请求责令施工单位停止夜间施工');
  await page.getByLabel('事实和理由').fill(facts);
  return tel;
}

async function countByPhone(tel) {
  const clerk = await token('ft_clerk');
  return (await api(`/api/v1/petitions?phone=${tel}`, { token: clerk })).total;
}

/** A petition handled to a delivered decision letter, with an extension on the way. */
async function decided() {
  const p = await api('/api/v1/petitions', { method: 'POST', body: {
    jurisdiction: '440304011', category: 'claim', title: '工伤待遇未发放', request: '请求发放工伤待遇',
    facts_and_reasons: '本人于今年3月工伤，至今未领到一次性伤残补助金。', petitioners: [{ name: '查询测试', phone: phone() }],
  } });
  const clerk = await token('ft_clerk');
  const officer = await token('ft_rst_officer');
  const head = await token('ft_rst_head');
  await api(`/api/v1/petitions/${p.number}/actions/forward`, { method: 'POST', token: clerk, body: { unit: '440304-RST' } });
  await api(`/api/v1/petitions/${p.number}/actions/accept`, { method: 'POST', token: officer, body: { route: 6 } });
  const req = await api(`/api/v1/petitions/${p.number}/actions/extend`, { method: 'POST', token: officer, body: { days: 20, reason: '需向社保经办机构调取缴费记录' } });
  await api(`/api/v1/approvals/${req.approval_id}/approve`, { method: 'POST', token: head, body: { note: '' } });
  await api(`/api/v1/petitions/${p.number}/actions/conclude`, { method: 'POST', token: officer, body: {
    outcome: 'upheld', request: '发放一次性伤残补助金', facts_and_reasons: '经核实，用人单位未按规定申报',
    decision: '责令用人单位十五日内支付', legal_basis: '《工伤保险条例》第三十七条',
  } });
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  await api(`/api/v1/petitions/${p.number}/actions/deliver`, { method: 'POST', token: officer, body: { method: 'online', delivered_on: today } });
  return p;
}

async function openRecord(page, number, code) {
  await page.goto(BASE + '/track');
  await page.getByLabel('信访件编号').fill(number);
  await page.getByLabel('查询码').fill(code);
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('heading', { name: '办理进度' }).waitFor();
}

test('the receipt is a GET page: reloading it or sending the form twice files one petition', async () => {
  const context = await phoneContext();
  const page = await context.newPage();
  await page.goto(BASE + '/submit');
  const tel = await fillSubmit(page);
  await page.getByRole('button', { name: '提交' }).click();
  await page.waitForURL(BASE + '/submit/receipt');
  const [number, code] = (await page.locator('td.code').allInnerTexts()).map((c) => c.trim());
  assert.match(number, /^XF-440304-\d{8}-\d{6}$/);
  assert.ok(!page.url().includes(code), 'the query code is not in the URL');
  await page.reload();
  assert.deepEqual((await page.locator('td.code').allInnerTexts()).map((c) => c.trim()), [number, code], 'the same receipt');
  await page.reload();
  assert.equal(await countByPhone(tel), 1, 'two reloads of the receipt filed nothing');
  // The receipt's link opens the record, number filled in, without asking again.
  await page.getByRole('link', { name: '查看办理进度' }).click();
  await page.getByRole('heading', { name: '办理进度' }).waitFor();
  assert.equal(page.url(), `${BASE}/track?number=${number}`);
  assert.match(await page.locator('table.info').first().innerText(), new RegExp(number));

  // A double click / resend: the same form sent twice at once.
  await page.goto(BASE + '/submit');
  const tel2 = await fillSubmit(page, { title: '二次提交测试' });
  await page.evaluate(async () => {
    const body = new FormData(document.querySelector('form[action="/submit"]'));
    await Promise.all([1, 2].map(() => fetch('/submit', { method: 'POST', body })));
  });
  assert.equal(await countByPhone(tel2), 1, 'the form sent twice filed one petition');
  await page.goto(BASE + '/submit/receipt');
  assert.match(await page.locator('main').innerText(), /提交成功/);
  await context.close();
});

test('a failed form keeps every value, shows every message beside its field at once, in Chinese, focus on the first', async () => {
  const context = await b.browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(BASE + '/submit');
  await page.getByLabel('姓名（名称）').fill('保留测试');
  await page.getByLabel('公民身份号码').fill('440304198001010000');
  await page.getByLabel('联系电话').fill('138-abc');
  await page.getByLabel('通信地址').fill('深圳市福田区某路1号');
  await page.getByLabel('您的诉求').fill('请求处理');
  // Title and facts left empty; a bad ID number and a bad phone.
  await page.getByRole('button', { name: '提交' }).click();
  await page.locator('#error-summary').waitFor();
  for (const id of ['id_number-error', 'phone-error', 'title-error', 'facts-error']) {
    assert.ok(await page.locator(`#${id}`).isVisible(), `${id} is shown at once`);
  }
  assert.equal(await page.locator('#error-summary li').count(), 4);
  assert.equal(await page.getByLabel('姓名（名称）').inputValue(), '保留测试');
  assert.equal(await page.getByLabel('通信地址').inputValue(), '深圳市福田区某路1号');
  assert.equal(await page.getByLabel('您的诉求').inputValue(), '请求处理');
  assert.equal(await page.getByLabel('联系电话').inputValue(), '138-abc');
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /（[a-z_.]+）|\((decision|title|facts_and_reasons)\)/, 'no field code names');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'id_number', 'focus on the first field in error');
  assert.equal(await page.locator('#title').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#title').getAttribute('aria-required'), 'true');
  assert.match(await page.locator('label[for="title"]').innerText(), /\*/, 'required fields are marked');
  await shot(page, 'portal-submit-errors-1440');
  await axe(page, 'portal-submit-errors');
  await context.close();
});

test('a place outside the deployment\'s area says where to petition', async () => {
  const context = await phoneContext();
  const page = await context.newPage();
  await page.goto(BASE + '/submit');
  await page.getByLabel('省').selectOption({ label: '北京市' });
  await page.locator('#area-hint .alert').waitFor();
  assert.match(await page.locator('#area-hint').innerText(), /不在本平台.*受理范围[\s\S]*信访部门/);
  await page.getByLabel('姓名（名称）').fill('外地测试');
  await page.getByRole('radio', { name: /建议意见/ }).check();
  await page.getByLabel('标题').fill('建议');
  await page.getByLabel('您的诉求').fill('建议增设站点');
  await page.getByLabel('事实和理由').fill('出行不便');
  await page.getByRole('button', { name: '提交' }).click();
  await page.locator('#jurisdiction-error').waitFor();
  assert.match(await page.locator('#jurisdiction-error').innerText(), /信访部门/);
  assert.equal(await page.getByLabel('标题').inputValue(), '建议');
  await shot(page, 'portal-submit-outside-375');
  await context.close();
});

test('the tracking page shows the decision letter with its legal basis, the extension reason and what was submitted', async () => {
  const p = await decided();
  const context = await phoneContext();
  const page = await context.newPage();
  await page.goto(BASE + '/track');
  await page.getByLabel('信访件编号').fill(p.number);
  await page.getByLabel('查询码').fill('AAAAAAAA');
  await page.getByRole('button', { name: '查询' }).click();
  assert.equal((await page.getByRole('alert').innerText()).trim(), '编号或查询码不正确');
  assert.equal(await page.getByLabel('信访件编号').inputValue(), p.number, 'the number is kept');
  await axe(page, 'track-wrong-code');
  await page.getByLabel('查询码').fill(p.query_code);
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('heading', { name: '办理进度' }).waitFor();
  assert.equal(page.url(), `${BASE}/track?number=${p.number}`, 'POST → 303 → GET, the code not in the URL');
  const letter = await page.getByRole('region', { name: '信访处理意见书' }).innerText();
  for (const part of ['处理结论', '支持', '您的投诉请求', '发放一次性伤残补助金', '事实和理由', '经核实，用人单位未按规定申报', '处理意见', '责令用人单位十五日内支付', '法律法规依据', '《工伤保险条例》第三十七条']) {
    assert.ok(letter.includes(part), `the letter shows ${part}`);
  }
  const extension = await page.getByRole('region', { name: '延期告知书' }).innerText();
  assert.match(extension, /延期理由[\s\S]*需向社保经办机构调取缴费记录/);
  await page.locator('summary', { hasText: '您反映的事项' }).click();
  assert.match(await page.locator('details.submitted').innerText(), /本人于今年3月工伤[\s\S]*/);
  const main = await page.locator('main').innerText();
  for (const internal of ['信访部门转送交办期限', '直接受理告知期限', '转交办事项告知期限', '交办办结期限', '异议期限', 'T7', 'T6']) {
    assert.ok(!main.includes(internal), `no internal name ${internal}`);
  }
  assert.match(main, /您申请复查的截止日期/);
  await shot(page, 'portal-track-decision-375');
  // A reload is a GET: the record again, nothing posted.
  await page.reload();
  await page.getByRole('heading', { name: '办理进度' }).waitFor();
  // An evaluation without a rating: the message beside it, focus there.
  await page.getByRole('button', { name: '提交评价' }).click();
  await page.locator('#rating-error').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'rating');
  await axe(page, 'track-evaluation-error');
  assert.doesNotMatch(await page.locator('main').innerText(), /（[a-z_.]+）/);
  await page.getByRole('radio', { name: '基本满意' }).check();
  await page.getByRole('button', { name: '提交评价' }).click();
  await page.getByText('感谢您的评价').waitFor();
  await page.reload();
  assert.equal(await page.getByText('感谢您的评价').count(), 0, 'the message is shown once');
  assert.equal(await page.getByRole('button', { name: '提交评价' }).count(), 0);
  const officer = await token('ft_rst_officer');
  const d = await api(`/api/v1/petitions/${p.number}`, { token: officer });
  assert.equal(d.history.filter((e) => e.action === 'evaluate').length, 1, 'evaluated once');
  // 忘记查询码: where to ask in person.
  await page.getByRole('link', { name: '查询其他信访事项' }).click();
  await page.getByRole('link', { name: '忘记查询码？' }).click();
  assert.match(await page.locator('main').innerText(), /短信[\s\S]*有效身份证件[\s\S]*接待地点/);
  await context.close();
});

test('长者模式 at 375 px: larger headings, hints and footer; switching keeps what was typed; 16 px inputs; the full ID number', async () => {
  const context = await phoneContext();
  const page = await context.newPage();
  await page.goto(BASE + '/submit');
  const size = (sel) => page.locator(sel).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  const before = { h1: await size('h1'), hint: await size('.hint'), footer: await size('footer.site') };
  await page.getByLabel('姓名（名称）').fill('长者测试');
  await page.getByLabel('事实和理由').fill('已经写好的内容');
  const id = idNumber(123);
  await page.getByLabel('公民身份号码').fill(id);
  await page.getByRole('link', { name: '长者模式' }).click();
  assert.equal(await page.locator('body').getAttribute('class'), 'elder');
  assert.equal(page.url(), BASE + '/submit');
  assert.equal(await page.getByLabel('姓名（名称）').inputValue(), '长者测试', 'typed text kept');
  assert.equal(await page.getByLabel('事实和理由').inputValue(), '已经写好的内容');
  const after = { h1: await size('h1'), hint: await size('.hint'), footer: await size('footer.site') };
  for (const k of Object.keys(before)) assert.ok(after[k] > before[k] * 1.2, `${k} grows: ${before[k]} → ${after[k]}`);
  const small = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea')]
    .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 16).map((e) => e.id || e.name));
  assert.deepEqual(small, [], 'no field below 16 px');
  const idBox = await page.getByLabel('公民身份号码').evaluate((e) => [e.scrollWidth, e.clientWidth]);
  assert.ok(idBox[0] <= idBox[1], `all 18 characters visible: ${idBox}`);
  const file = await page.locator('#attachments').evaluate((e) => e.getBoundingClientRect().right);
  assert.ok(file <= 375, `the file input fits: ${file}`);
  assert.ok((await overflow(page)) <= 1);
  // Back to standard: still the same text.
  await page.getByRole('link', { name: '标准模式' }).click();
  assert.equal(await page.locator('body').getAttribute('class'), '');
  assert.equal(await page.getByLabel('姓名（名称）').inputValue(), '长者测试');
  await context.close();
});

/** Every portal page, in a context that has submitted and opened a record. */
async function portalPages(context) {
  const page = await context.newPage();
  const p = await decided();
  await openRecord(page, p.number, p.query_code);
  await page.goto(BASE + '/submit');
  await fillSubmit(page);
  await page.getByRole('button', { name: '提交' }).click();
  await page.waitForURL(BASE + '/submit/receipt');
  return { page, pages: [
    ['home', '/'], ['submit', '/submit'], ['mailbox', '/mailbox'], ['track', '/track'], ['track-record', `/track?number=${p.number}`],
    ['receipt', '/submit/receipt'], ['forgot', '/track/forgot'], ['not-found', '/no-such-page'],
  ] };
}

test('every portal page fits 375 px in 长者模式 and in standard mode, and axe finds nothing serious', async () => {
  for (const elder of [true, false]) {
    const context = await phoneContext(elder);
    const { page, pages } = await portalPages(context);
    for (const [name, path] of pages) {
      await page.goto(BASE + path);
      assert.equal(await page.locator('body.elder').count(), elder ? 1 : 0);
      if (name === 'track-record') assert.equal(await page.getByRole('heading', { name: '办理进度' }).count(), 1, 'the record itself');
      await shot(page, `portal-${name}-${elder ? 'elder-' : ''}375`);
      await axe(page, `${name}${elder ? ' (长者模式)' : ''}`);
      // No two fields share a label.
      const labels = await page.evaluate(() => [...document.querySelectorAll('label[for]')].map((l) => l.textContent.replace(/\s+/g, '')));
      assert.equal(new Set(labels).size, labels.length, `${name}: labels ${labels}`);
    }
    await context.close();
  }
});

test('every portal page is compressed and under 40 KB; htmx only where used; hashed assets cached a year; a favicon', async () => {
  const seed = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN' });
  const { pages } = await portalPages(seed);
  const cookies = await seed.cookies();
  await seed.close();
  for (const [name, path] of pages) {
    // A fresh context each: nothing cached, every byte counted.
    const context = await b.browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN' });
    await context.addCookies(cookies);
    const page = await context.newPage();
    const bytes = await transferred(page, path);
    console.log(`transferred ${name} (${path}): ${(bytes / 1024).toFixed(1)} KB`);
    assert.ok(bytes <= 40 * 1024, `${name} is ${bytes} bytes`);
    if (name === 'track-record') assert.equal(await page.getByRole('heading', { name: '办理进度' }).count(), 1, 'the record itself');
    const htmx = await page.locator('script[src*="htmx"]').count();
    assert.equal(htmx, ['submit', 'mailbox'].includes(name) ? 1 : 0, `${name}: htmx only on the pages with the region picker`);
    await context.close();
  }
  for (const enc of ['br', 'gzip']) {
    const r = await fetch(BASE + '/submit', { headers: { 'accept-encoding': enc } });
    assert.equal(r.headers.get('content-encoding'), enc, `the page is sent ${enc}-compressed`);
  }
  const html = await (await fetch(BASE + '/')).text();
  const css = html.match(/href="(\/static\/app\.[0-9a-f]{12}\.css)"/)?.[1];
  assert.ok(css, 'the stylesheet has a content-hash name');
  const r = await fetch(BASE + css, { headers: { 'accept-encoding': 'br' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control'), /max-age=31536000.*immutable/);
  assert.equal(r.headers.get('content-encoding'), 'br');
  const icon = html.match(/<link rel="icon" href="([^"]+)"/)?.[1];
  assert.ok(icon, 'a favicon is named');
  const i = await fetch(BASE + icon);
  assert.equal(i.status, 200);
  assert.match(i.headers.get('content-type'), /image\/svg\+xml/);
});

test('a staff action form sent twice acts once and both end on the same page (POST → 303 → GET)', async () => {
  const clerk = await token('ft_clerk');
  const p = await api('/api/v1/petitions', { method: 'POST', token: clerk, body: {
    channel: 'letter', category: 'claim', jurisdiction: '440304', title: '拖欠工程款', request: '请求支付工程款',
    facts_and_reasons: '工程完工一年仍未结算。', petitioners: [{ name: '工作台测试', phone: phone() }],
  } });
  const { context, page } = await staffPage('ft_clerk');
  await page.goto(`${BASE}/staff/p/${p.number}`);
  await page.locator('summary', { hasText: /^转送$/ }).click();
  await page.locator('#forward-unit').selectOption('440304-RST');
  const formToken = await page.locator('form[action$="/act/forward"] input[name="form_token"]').inputValue();
  // Forwarding is irreversible: the form sent twice only asks twice for a
  // confirmation, and nothing is done yet.
  const asks = await page.evaluate(async () => {
    const form = document.querySelector('form[action$="/act/forward"]');
    const body = new URLSearchParams(new FormData(form));
    const rs = await Promise.all([1, 2].map(() => fetch(form.action, { method: 'POST', body })));
    return Promise.all(rs.map(async (r) => [r.status, r.redirected, await r.text()]));
  });
  for (const [status, redirected, html] of asks) {
    assert.equal(status, 200);
    assert.ok(!redirected);
    assert.match(html, /请确认：转送/);
  }
  assert.equal((await api(`/api/v1/petitions/${p.number}`, { token: clerk })).state, 'registered', 'not forwarded before the confirmation');
  await page.locator('form[action$="/act/forward"] button').click();
  await page.getByRole('heading', { name: /请确认：转送/ }).waitFor();
  // The page's one-time token rides through the confirmation step.
  assert.equal(await page.locator('form.confirm-actions input[name="form_token"]').inputValue(), formToken);
  // The confirmed form sent twice (a double click, a resend): one forward.
  const ends = await page.evaluate(async () => {
    const form = document.querySelector('form.confirm-actions');
    const body = new URLSearchParams(new FormData(form));
    body.set('confirmed', '1');
    const rs = await Promise.all([1, 2].map(() => fetch(form.action, { method: 'POST', body })));
    return rs.map((r) => [r.status, new URL(r.url).pathname + new URL(r.url).search, r.redirected]);
  });
  for (const [status, url, redirected] of ends) {
    assert.equal(status, 200);
    assert.ok(redirected, 'answered by a redirect');
    assert.equal(url, `/staff/p/${p.number}?done=forward`);
  }
  const d = await api(`/api/v1/petitions/${p.number}`, { token: clerk });
  assert.equal(d.history.filter((e) => e.action === 'forward').length, 1, 'forwarded once');
  await page.goto(`${BASE}/staff/p/${p.number}?done=forward`);
  await page.reload();
  assert.equal((await api(`/api/v1/petitions/${p.number}`, { token: clerk })).history.filter((e) => e.action === 'forward').length, 1);
  await context.close();
});
