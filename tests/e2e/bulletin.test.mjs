// A commune manager types a bulletin, hears it, has it approved, schedules it seconds ahead
// from the calendar, and sees it go on air: the dashboard shows it playing and the commune's
// receiver records speech, the other commune's does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLoa, login, visit, waitFor, wavSamples, wavSize, secondsOfSound,
  ADMIN_PASSWORD, MANAGER_PASSWORD } from './harness.mjs';

const context = useLoa();

/** "YYYY-MM-DDTHH:MM:SS" in the server's zone (Asia/Ho_Chi_Minh, UTC+7, no DST). */
const vietnamTime = (ms) => new Date(ms + 7 * 3600 * 1000).toISOString().slice(0, 19);

test('a typed bulletin is heard, approved, scheduled seconds ahead and goes on air', async () => {
  const { loa, browser } = context;
  const manager = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  await visit(manager, 'programs');
  const form = manager.locator('[data-testid=bulletin-form]');
  await form.locator('input[name=title]').fill('Bản tin sáng');
  await form.locator('textarea[name=text]').fill(
    'Kính thưa bà con. Sáng mai xã Tân Lập tổ chức tiêm phòng cho đàn gia súc tại nhà văn hoá.');
  await form.locator('[data-testid=preview]').click();
  const preview = manager.locator('[data-testid=preview-audio]');
  await preview.waitFor();
  const duration = await waitFor(() => preview.evaluate((a) => (a.duration > 0 ? a.duration : 0)),
    20000, 'the preview to load');
  assert.ok(duration > 2, `the spoken preview lasts ${duration} s`);
  await form.locator('button[type=submit]').click();
  const row = manager.locator('[data-testid=programs] tr', { hasText: 'Bản tin sáng' });
  await row.waitFor();
  const program = loa.call('programs.list', {}).find((p) => p.title === 'Bản tin sáng');
  assert.equal(program.approval, 'draft');
  await row.getByRole('button', { name: 'Gửi duyệt' }).click();
  await waitFor(() => loa.call('programs.list', {}).find((p) => p.id === program.id).approval === 'pending',
    5000, 'the bulletin to await approval');

  const admin = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(admin, 'programs');
  // The approver hears what they approve.
  await admin.locator(`[data-testid=queue] tr[data-program="${program.id}"] [data-testid=hear]`).click();
  const heardByApprover = admin.locator('[data-testid=hear-audio]');
  await waitFor(() => heardByApprover.evaluate((a) => a.duration > 2), 10000, 'the approver to hear it');
  await admin.locator(`[data-testid=queue] tr[data-program="${program.id}"] [data-testid=approve]`).click();
  await waitFor(() => loa.call('programs.list', {}).find((p) => p.id === program.id).approval === 'approved',
    5000, 'the approval');

  await visit(manager, 'calendar');
  await manager.click('[data-testid=new-entry]');
  const entry = manager.locator('[data-testid=entry-form]');
  await entry.locator('select[name=program]').selectOption(String(program.id));
  const startMs = Date.now() + 12000;
  const [day, time] = vietnamTime(startMs).split('T');
  await entry.locator('input[name=day]').fill(day.split('-').reverse().join('/'));
  await entry.locator('input[name=time]').fill(time);
  await entry.locator('input[name=minutes]').fill('1');
  await manager.locator('[data-testid=entry-check].ok').waitFor({ timeout: 5000 }).catch(async (e) => {
    await manager.screenshot({ path: '/tmp/fail.png' });
    throw new Error(`${e.message}: ${await manager.locator('[data-testid=entry-check]').innerText()}`);
  });
  const marks = { 'r-001': wavSize(loa.receivers['r-001'].wav), 'r-002': wavSize(loa.receivers['r-002'].wav) };
  await entry.locator('[data-testid=entry-save]').click();
  await manager.locator('button.occurrence', { hasText: 'Bản tin sáng' }).first().waitFor();
  const entries = loa.call('entries.list', {});
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0].units, ['70-001']);
  // The form's checks while it was filled in were dry runs: one change in the audit log.
  assert.equal(loa.call('audit.list', {}).filter((a) => a.what === 'entries.create').length, 1);

  await visit(manager, 'dashboard');
  await manager.locator('tr[data-unit="70-001"] [data-testid=playing-title]', { hasText: 'Bản tin sáng' })
    .waitFor({ timeout: 30000 });
  assert.ok(Date.now() >= startMs - 1000, 'it went on air at its time, not before');
  const heard = await waitFor(() => {
    const s = secondsOfSound(wavSamples(loa.receivers['r-001'].wav, marks['r-001']));
    return s >= 2 ? s : 0;
  }, 30000, 'speech in the 70-001 receiver\'s recording');
  assert.ok(heard >= 2);
  assert.ok(secondsOfSound(wavSamples(loa.receivers['r-002'].wav, marks['r-002'])) < 0.3,
    'the other commune heard nothing');
  assert.deepEqual([...manager.errors, ...admin.errors], []);
});
