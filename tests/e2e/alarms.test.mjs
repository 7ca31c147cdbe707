// A cluster that goes silent is an alarm on the console within seconds, for those who act for
// its commune only; acknowledged there, it clears by itself when the cluster is back and stays
// in the history, exported as CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useLoa, login, visit, waitFor, ADMIN_PASSWORD, MANAGER_PASSWORD } from './harness.mjs';

// A short grace, and none of the machine's own alarms (its clock or disk) in the counts.
const context = useLoa(null, {
  control: { offline_grace_s: 2 },
  supervision: { clock_check: false, disk_free_min_mb: 0, disk_free_min_percent: 0 },
});

const rows = (page) =>
  page.locator('tr[data-alarm]').evaluateAll((els) => els.map((e) => e.dataset.alarmSubject));

test('a lost cluster is an alarm live on the console, acknowledged, cleared and kept', async () => {
  const { loa, browser } = context;
  const admin = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  const manager = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  await visit(admin, 'alarms');
  await admin.locator('[data-testid=no-alarms]').waitFor();
  assert.equal(await admin.locator('[data-testid=alarm-badge]').count(), 0);

  // r-002 (commune 70-002) loses power.
  loa.receivers['r-002'].process.kill('SIGKILL');
  await admin.locator('tr[data-alarm-subject="r-002"]').waitFor({ timeout: 15000 });
  const row = admin.locator('tr[data-alarm-subject="r-002"]');
  assert.equal(await row.getAttribute('data-alarm-kind'), 'cluster_offline');
  assert.match(await row.getAttribute('class'), /severity-major/);
  assert.match(await row.innerText(), /Cụm thu mất kết nối/);
  assert.equal(await admin.locator('[data-testid=alarm-badge]').innerText(), '1 cảnh báo');
  // The manager of 70-001 is not told of 70-002's cluster.
  await visit(manager, 'alarms');
  assert.deepEqual(await rows(manager), []);
  assert.equal(await manager.locator('[data-testid=alarm-badge]').count(), 0);

  const id = await row.getAttribute('data-alarm');
  await admin.click(`[data-testid="acknowledge-${id}"]`);
  await row.locator('[data-testid=acknowledged-by]').waitFor();
  assert.equal(await row.locator('[data-testid=acknowledged-by]').innerText(), 'admin');
  await visit(admin, 'dashboard');
  assert.equal(await admin.locator('[data-testid=alarm-count]').innerText(), '1');

  // Back: the alarm clears by itself, live, and is in the history.
  loa.restartReceiver('r-002');
  await waitFor(async () => (await admin.locator('[data-testid=alarm-count]').innerText()) === '0',
    20000, 'the alarm to clear');
  assert.equal(await admin.locator('[data-testid=alarm-badge]').count(), 0);
  await visit(admin, 'alarms');
  await admin.click('[data-testid=alarms-history]');
  await admin.locator('tr[data-alarm-subject="r-002"]').waitFor();
  assert.deepEqual(await rows(admin), ['r-002']);
  const [download] = await Promise.all([admin.waitForEvent('download'),
    admin.click('[data-testid=export-alarms]')]);
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.equal(lines[0], 'id,severity,kind,subject,unit,text,raised_at,cleared_at,acknowledged_by,acknowledged_at');
  assert.match(lines[1], new RegExp(`^${id},major,cluster_offline,r-002,70-002,.*,admin,`));
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(manager.errors, []);
});
