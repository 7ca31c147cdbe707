// Switching the language changes every visible string of every page; each run saves a
// screenshot of every page in both languages (and the dashboard on a phone-sized screen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { useLoa, login, visit, screenshotDir, ADMIN_PASSWORD } from './harness.mjs';

// Something on every page: a bulletin with an entry on the calendar, and a draft.
const context = useLoa((loa) => {
  mkdirSync(screenshotDir, { recursive: true });
  const program = loa.call('programs.create', { unit: '70', kind: 'tts', title: 'Bản tin sáng',
    text: 'Kính thưa bà con.' });
  loa.call('programs.decide', { id: program.id, approval: 'approved' });
  const start = new Date(Date.now() + 7 * 3600 * 1000 + 3600 * 1000).toISOString().slice(0, 14) + '00:00';
  loa.call('entries.create', { program: program.id, units: ['70'], start, duration_s: 900,
    rule: 'FREQ=DAILY' });
  loa.call('programs.create', { unit: '70-001', kind: 'tts', title: 'Thông báo', text: 'Xin chào.' });
});

const pages = ['dashboard', 'calendar', 'programs', 'emergency', 'receivers', 'as-run', 'listen', 'units',
  'users', 'backups'];

/** The visible strings of the page that are the console's own (not data marked translate=no). */
const visibleStrings = (page) =>
  page.evaluate(() => {
    const out = new Set();
    const own = (el) => el && !el.closest('[translate=no], script, style, svg, option') && el.checkVisibility();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const s = n.textContent.trim();
      if (/\p{L}/u.test(s) && own(n.parentElement)) out.add(s);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label]'))
      for (const a of ['placeholder', 'aria-label']) {
        const s = el.getAttribute(a);
        if (s && /\p{L}/u.test(s) && own(el) && !/^[a-z/:.]+$|^(dd|HH)/.test(s)) out.add(s);
      }
    return [...out];
  });

async function shoot(page, name) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

test('every visible string changes with the language, on every page', async () => {
  const { loa, browser } = context;
  const login_page = await browser.newPage();
  await login_page.goto(loa.url);
  await login_page.locator('input[name=name]').waitFor();
  await shoot(login_page, 'login-vi');
  const loginVi = await visibleStrings(login_page);
  await login_page.click('[data-testid=lang-en]');
  await shoot(login_page, 'login-en');
  const loginEn = await visibleStrings(login_page);
  assert.deepEqual(loginVi.filter((s) => loginEn.includes(s)), [], 'the login page');
  await login_page.close();

  const page = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  for (const route of pages) {
    await page.click('[data-testid=lang-vi]');
    await visit(page, route);
    const vi = await visibleStrings(page);
    await shoot(page, `${route}-vi`);
    await page.click('[data-testid=lang-en]');
    const en = await visibleStrings(page);
    await shoot(page, `${route}-en`);
    assert.ok(vi.length > 5, `${route} shows its strings (${vi.length})`);
    assert.deepEqual(vi.filter((s) => en.includes(s)), [], `strings of ${route} unchanged in English`);
  }
  const phone = await login(browser, loa, 'admin', ADMIN_PASSWORD, { viewport: { width: 390, height: 844 } });
  for (const lang of ['vi', 'en']) {
    await phone.click(`[data-testid=lang-${lang}]`);
    await visit(phone, 'dashboard');
    await shoot(phone, `phone-dashboard-${lang}`);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the phone page is ${width} px wide`);
  }
  assert.deepEqual([...page.errors, ...phone.errors], []);
});
