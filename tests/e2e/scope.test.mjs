// A commune manager sees and can change only their commune; an admin sees everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLoa, login, visit, waitFor, ADMIN_PASSWORD, MANAGER_PASSWORD } from './harness.mjs';

const context = useLoa();

const attributes = (page, selector, name) =>
  page.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);

test('a manager sees and changes only their commune', async () => {
  const { loa, browser } = context;
  const page = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  assert.equal(await page.locator('nav a[data-page=users]').count(), 0, 'no users page');
  await visit(page, 'receivers');
  await page.locator('tr[data-receiver="r-001"]').waitFor();
  assert.deepEqual(await attributes(page, 'tr[data-receiver]', 'data-receiver'), ['r-001']);
  assert.equal(await page.locator('[data-testid=provision-form]').count(), 0);
  await page.locator('[data-testid="volume-r-001"]').fill('50');
  await waitFor(() => loa.call('receivers.list', {}).find((r) => r.id === 'r-001').volume === 0.5,
    5000, 'the volume to be set');
  await page.click('[data-testid="mute-r-001"]');
  await waitFor(() => loa.call('receivers.list', {}).find((r) => r.id === 'r-001').muted,
    5000, 'the mute');

  await visit(page, 'emergency');
  assert.deepEqual(await attributes(page, 'input[data-unit]', 'data-unit'), ['70-001']);
  assert.deepEqual(await attributes(page, '[data-stop-all]', 'data-stop-all'), ['70-001']);
  await visit(page, 'programs');
  const units = await page.locator('[data-testid=bulletin-form] select[name=unit] option')
    .evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(units, ['70-001']);
  await visit(page, 'calendar');
  const calendarUnits = await page.locator('[data-testid=cal-unit] option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(calendarUnits, ['70-001']);
  // Another commune's receiver is out of reach even if asked by name.
  const refused = await page.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/api/v1/ws`);
    await new Promise((r) => (ws.onopen = r));
    const ask = (id, method, params) => new Promise((resolve) => {
      ws.onmessage = (e) => resolve(JSON.parse(e.data));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
    await ask(1, 'auth.resume', { token: localStorage.getItem('loa.token') });
    return ask(2, 'receivers.set_volume', { id: 'r-002', volume: 0.1 });
  });
  assert.equal(refused.error?.code, -32004);
  assert.equal(loa.call('receivers.list', {}).find((r) => r.id === 'r-002').volume, 1);
  assert.deepEqual(page.errors, []);
});

test('an admin sees every receiver, unit and user', async () => {
  const { loa, browser } = context;
  const page = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(page, 'receivers');
  await page.locator('tr[data-receiver="r-002"]').waitFor();
  assert.deepEqual((await attributes(page, 'tr[data-receiver]', 'data-receiver')).sort(), ['r-001', 'r-002', 'r-70']);
  await visit(page, 'emergency');
  assert.deepEqual((await attributes(page, 'input[data-unit]', 'data-unit')).sort(), ['70', '70-001', '70-002']);
  await visit(page, 'users');
  await page.locator('tr[data-user="quan-ly"]').waitFor();
  assert.deepEqual(page.errors, []);
});
