// Learning the Regulations (issue 15): a clerk takes the daily self-test and
// an exam on a 375 px phone; an exam whose window has closed offers no
// paper; from an action on a petition one click shows its article; the
// citizens' guide sends a complaint about a judgment to the courts and a
// wage claim to the form with the labour topic chosen. axe checks each page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, api, token, newPage, staffPage, shot, axe } from './lib.mjs';

const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() + 8 * 3600_000 - n * 86_400_000).toISOString().slice(0, 10);
const stamp = String(Date.now()).slice(-6);

/** Answer every question on the page: the first option, 对, or a word. */
async function answerAll(page) {
  for (const fs of await page.locator('fieldset.question').all()) {
    const radios = fs.locator('input[type=radio]');
    const boxes = fs.locator('input[type=checkbox]');
    const texts = fs.locator('input:not([type])');
    if (await radios.count()) await radios.first().check();
    else if (await boxes.count()) { await boxes.nth(0).check(); await boxes.nth(1).check(); }
    for (const t of await texts.all()) await t.fill('15');
  }
}

test('a clerk takes the daily self-test and an exam on a phone; a closed exam offers no paper', async () => {
  const admin = await token('admin');
  const exam = await api('/api/v1/learning/exams', { method: 'POST', token: admin, body: {
    title: `学法考试${stamp}`, units: ['440304-XFJ'], roles: [],
    mix: [{ kind: 'single', count: 3 }, { kind: 'multiple', count: 1 }, { kind: 'judge', count: 1 }, { kind: 'blank', count: 1 }],
    time_limit_minutes: 20, pass_mark: 60, opens_on: today, closes_on: today, attempts: 1,
  } });
  const closed = await api('/api/v1/learning/exams', { method: 'POST', token: admin, body: {
    title: `已截止考试${stamp}`, units: ['440304-XFJ'], mix: [{ count: 5 }],
    time_limit_minutes: 20, pass_mark: 60, opens_on: daysAgo(5), closes_on: daysAgo(1),
  } });

  const { context, page } = await staffPage('ft_clerk', 375);
  await page.getByRole('link', { name: '学法考法' }).click();
  await page.locator('#self-test').waitFor();
  assert.equal(await page.locator('#self-test fieldset.question').count(), 5);
  await shot(page, 'learning-375');
  await axe(page, 'learning page');
  await answerAll(page);
  await page.getByRole('button', { name: '提交自测' }).click();
  await page.locator('#self-test-result').waitFor();
  assert.match(await page.getByRole('status').first().innerText(), /本次自测5题/);
  // The day's set is done: no second form to send again.
  assert.match(await page.locator('#self-test-done').innerText(), /今日自测已完成/);
  assert.equal(await page.getByRole('button', { name: '提交自测' }).count(), 0);
  // Each answer is marked with the key, the explanation and its article.
  assert.equal(await page.locator('#self-test-result .marked').count(), 5);
  assert.ok(await page.locator('#self-test-result a[href^="/law/"]').count() >= 5);
  await shot(page, 'learning-self-test-marked-375');

  // The closed exam shows why, with no button; the open one starts.
  assert.match(await page.locator(`#exam-${closed.id}`).innerText(), /考试已结束/);
  assert.equal(await page.locator(`#exam-${closed.id} button`).count(), 0);
  await page.locator(`#exam-${exam.id}`).getByRole('button', { name: '开始考试' }).click();
  await page.locator('#paper').waitFor();
  assert.equal(await page.locator('#paper fieldset.question').count(), 6);
  await shot(page, 'learning-paper-375');
  await axe(page, 'exam paper');
  await answerAll(page);
  // Saved on the way: a reload (or a closed browser) keeps the answers.
  await page.getByRole('button', { name: '保存答案' }).click();
  await page.getByRole('status').filter({ hasText: /答案已保存/ }).waitFor();
  await page.reload();
  assert.ok(await page.locator('#paper fieldset.question input[type=radio]:checked').count() >= 3, 'saved answers filled back');
  await page.getByRole('button', { name: '交卷' }).click();
  await page.locator('#paper-result').waitFor();
  assert.match(await page.locator('#paper-result').innerText(), /得分：\d+（60分及格，(通过|未通过)）/);
  // Keys only after the exam's last day: colleagues may still be sitting it.
  assert.match(await page.locator('main').innerText(), /标准答案和解析于\d{4}年\d{1,2}月\d{1,2}日起公布/);
  await shot(page, 'learning-paper-marked-375');
  await axe(page, 'marked paper');
  // One sitting allowed: no second paper.
  await page.getByRole('link', { name: '学法考法' }).first().click();
  assert.equal(await page.locator(`#exam-${exam.id} button`).count(), 0);
  await context.close();
});

test('from an action on a petition, one click shows the article', async () => {
  const created = await api('/api/v1/petitions', { method: 'POST', body: {
    channel: 'online', category: 'claim', jurisdiction: '440304',
    petitioners: [{ name: '陈学法', id_number: '440304199001011233', phone: '13800138000', address: '深圳市福田区' }],
    title: `小区物业${stamp}乱收费`, request: '请求退还多收的物业费', facts_and_reasons: '物业公司每月多收停车管理费二百元，已持续半年。',
  } });
  const { context, page } = await staffPage('ft_clerk', 1280);
  await page.goto(`${BASE}/staff/p/${created.number}`);
  // The timers' and the history's links are on the page; an action's is
  // inside its form.
  const link = page.locator('a.law-link:visible').first();
  await link.waitFor();
  const [article] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await article.waitForLoadState('load');
  assert.match(article.url(), /\/law\/\d+$/);
  assert.match(await article.locator('h1').innerText(), /^第.+条/);
  assert.match(await article.locator('#article-summary').innerText(), /\S{20,}/);
  assert.match(await article.locator('main').innerText(), /不是条例原文/);
  await axe(article, 'article page');
  await context.close();
});

test('the citizens’ guide sends a judgment to the courts and a wage claim to the form with the labour topic', async () => {
  const { context, page } = await newPage(375, 800);
  await page.goto(BASE + '/');
  await page.getByRole('link', { name: '办事指南' }).click();
  await axe(page, 'guide index');
  await page.getByRole('link', { name: /该走哪条路/ }).click();
  await shot(page, 'guide-way-375');
  await axe(page, 'guide start');
  // Follow choices by what they say until an end.
  async function walk(words) {
    await page.goto(BASE + '/guide/way');
    for (const w of words) {
      await page.locator('#way-choices a', { hasText: w }).first().click();
      if (await page.locator('#way-end').count()) break;
    }
    await page.locator('#way-end').waitFor();
    return page.locator('#way-end');
  }
  const court = await walk(['法院、检察院', '判决']);
  assert.equal(await court.getAttribute('data-end'), 'court');
  assert.equal(await page.locator('#way-form').count(), 0, 'no petition form for a judgment');
  assert.ok((await page.locator('#way-channels li').count()) >= 1);
  await axe(page, 'court end');
  const wages = await walk(['工资、劳动合同', '拖欠工资']);
  assert.equal(await wages.getAttribute('data-end'), 'wages');
  await page.locator('#way-form').click();
  await page.waitForURL(/\/submit\?/);
  assert.equal(await page.locator('#topic').inputValue(), '0202');
  assert.ok(await page.locator('#category-claim').isChecked());
  await shot(page, 'guide-wages-form-375');
  await context.close();
});
