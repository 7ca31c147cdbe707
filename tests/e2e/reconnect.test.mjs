// After a server crash and restart the console says it is reconnecting, comes back by itself
// with the same session, and is live again (notifications reach it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLoa, login, visit, ADMIN_PASSWORD } from './harness.mjs';

const context = useLoa();

test('the console comes back by itself after the server restarts', async () => {
  const { loa, browser } = context;
  const page = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(page, 'dashboard');
  await loa.restartServer();
  // The dropped connection shows, then goes once the console is back with its session.
  await page.locator('.offline-badge').waitFor({ state: 'detached', timeout: 20000 });
  assert.equal(await page.locator('nav').count(), 1, 'still logged in');
  // Subscribed again: an emergency started elsewhere shows without a reload.
  loa.call('emergency.start', { units: ['70-002'], text: 'Thử nghiệm kết nối lại.' });
  await page.locator('[data-testid=emergency-banner]').waitFor({ timeout: 10000 });
  assert.deepEqual(page.errors, []);
});
