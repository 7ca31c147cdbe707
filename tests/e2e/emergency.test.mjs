// An operator starts an emergency for one commune from the console, with a confirmation; only
// that commune's receivers carry it, the dashboard shows the banner, the receivers page the
// level each cluster plays, the listen-in plays it in the browser, and a guarded stop hands
// back to the schedule; the as-run log counts the clusters that verifiably played it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLoa, login, visit, waitFor, wavSamples, wavSize, secondsOfSound,
  ADMIN_PASSWORD } from './harness.mjs';

const context = useLoa();

const ids = ['r-70', 'r-001', 'r-002'];
const marks = () => Object.fromEntries(ids.map((id) => [id, wavSize(context.loa.receivers[id].wav)]));
const soundSince = (id, mark) => secondsOfSound(wavSamples(context.loa.receivers[id].wav, mark[id]));

test('an emergency for one commune reaches only its receivers and stops when told', async () => {
  const { loa, browser } = context;
  const page = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(page, 'emergency');
  await page.locator('[data-testid=no-overrides]').waitFor();
  const form = page.locator('[data-testid=emergency-form]');
  await form.locator('input[data-unit="70-001"]').check();
  // Long enough (about 50 s) to be on air through the listen-in and the clusters' next reports
  // below; it is stopped before it ends.
  await form.locator('textarea[name=text]').fill(
    'Cảnh báo lũ khẩn cấp. Bà con xã Tân Lập di chuyển ngay lên vùng cao. '.repeat(8));
  await form.locator('[data-testid=start-emergency]').click();
  // The first click only asks; nothing is on air until the confirmation.
  await page.locator('[role=dialog]').waitFor();
  assert.deepEqual(loa.call('overrides.list', {}), []);
  const before = marks();
  await page.locator('[role=dialog] [data-testid=confirm]').click();
  await page.locator('[data-testid=active-overrides]').waitFor();
  const overrides = loa.call('overrides.list', {});
  assert.equal(overrides.length, 1);
  assert.deepEqual(overrides[0].channels, ['70-001']);

  await visit(page, 'dashboard');
  await page.locator('[data-testid=emergency-banner]').waitFor();
  await waitFor(() => soundSince('r-001', before) >= 2, 30000, 'the emergency in 70-001\'s recording');
  assert.ok(soundSince('r-002', before) < 0.3, '70-002 heard nothing');
  assert.ok(soundSince('r-70', before) < 0.3, 'the province channel heard nothing');

  // Listen-in: the browser plays the channel's Ogg/Opus stream.
  await visit(page, 'listen');
  await page.locator('[data-testid=listen-channel]').selectOption('70-001');
  await page.click('[data-testid=listen-play]');
  const audio = page.locator('[data-testid=listen-audio]');
  await audio.waitFor();
  await waitFor(() => audio.evaluate((a) => a.currentTime > 0.5), 20000, 'the listen-in to play')
    .catch(async (e) => {
      const state = await audio.evaluate((a) => `ready ${a.readyState} network ${a.networkState} error ${a.error?.code} ${a.error?.message}`);
      throw new Error(`${e.message}: ${state}`);
    });

  // Proof of play: the receivers page shows what each cluster plays, as its next report says.
  const levelOf = async (id) => {
    const level = page.locator(`tr[data-receiver="${id}"] [data-level]`);
    return (await level.count()) === 0 ? null : Number(await level.getAttribute('data-level'));
  };
  await waitFor(async () => {
    await visit(page, 'receivers');
    const level = await levelOf('r-001');
    return level !== null && level > -40;
  }, 30000, '70-001\'s cluster to report the emergency\'s level');
  const quiet = await levelOf('r-002');
  assert.ok(quiet === null || quiet < -60, `70-002's cluster plays nothing (${quiet})`);

  await visit(page, 'emergency');
  await page.click('[data-testid=stop-override]');
  await page.locator('[role=dialog]').waitFor();
  await page.locator('[role=dialog] [data-testid=confirm]').click();
  await page.locator('[data-testid=no-overrides]').waitFor();
  assert.deepEqual(loa.call('overrides.list', {}), []);
  await visit(page, 'dashboard');
  assert.equal(await page.locator('[data-testid=emergency-banner]').count(), 0);
  const log = loa.call('as_run.list', {}).filter((r) => r.channel === '70-001' && r.override);
  assert.equal(log.length, 1);
  assert.equal(log[0].outcome, 'stopped');
  // The as-run log: sent to one cluster, and that one verifiably played it (counted from the
  // clusters' reports, which come every few seconds, and after the airing's end).
  const played = page.locator(`tr[data-as-run="${log[0].id}"] [data-testid=played]`);
  await waitFor(async () => {
    await visit(page, 'as-run');
    return (await played.count()) === 1 && (await played.innerText()) === '1';
  }, 40000, 'the as-run log to count the cluster that played');
  assert.equal(loa.call('as_run.list', {}).find((r) => r.id === log[0].id).receivers, 1);
  assert.deepEqual(page.errors, []);
});
