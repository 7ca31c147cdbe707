// A commune's manager speaks live from the console on a phone-sized screen, Chromium's fake
// microphone playing a WAV of a 1000 Hz tone: the commune's receiver plays the tone while the
// other commune's goes on with the schedule (a 440 Hz program); the page shows the level and a
// timer; after the stop the schedule resumes there too, and the recording is a program that
// plays in the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useLoa, login, visit, waitFor, wavSamples, MANAGER_PASSWORD } from './harness.mjs';

const VOICE = 1000;
const SCHEDULE = 440;

/** A 48 kHz mono 16-bit WAV of a sine at `hz`, `seconds` long. */
function toneWav(file, hz, seconds) {
  const rate = 48000;
  const n = rate * seconds;
  const data = Buffer.alloc(44 + n * 2);
  data.write('RIFF', 0);
  data.writeUInt32LE(36 + n * 2, 4);
  data.write('WAVEfmt ', 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20);
  data.writeUInt16LE(1, 22);
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write('data', 36);
  data.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  writeFileSync(file, data);
}

/** Power of `hz` in samples (Goertzel), normalised by their count. */
function power(samples, rate, hz) {
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate));
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / samples.length;
}

/** Which of the two tones dominates the last `seconds` of a receiver's recording ('' if silent). */
function heard(file, seconds = 0.5) {
  const { samples, format } = wavSamples(file);
  if (!format) return '';
  const last = samples.slice(Math.max(0, samples.length - Math.round(format.rate * seconds)));
  let sum = 0;
  for (const x of last) sum += x * x;
  if (last.length === 0 || Math.sqrt(sum / last.length) < 500) return '';
  return power(last, format.rate, VOICE) > power(last, format.rate, SCHEDULE) ? 'voice' : 'schedule';
}

const files = mkdtempSync(path.join(tmpdir(), 'loa-e2e-live-'));
const microphone = path.join(files, 'microphone.wav');
const background = path.join(files, 'background.wav');
toneWav(microphone, VOICE, 10);
toneWav(background, SCHEDULE, 120);

const context = useLoa(async (loa) => {
  const program = loa.call('programs.create', { unit: '70', kind: 'file', title: 'Nền', path: background });
  loa.call('programs.decide', { id: program.id, approval: 'approved' });
  const start = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).format(new Date(Date.now() - 1000)).replace(' ', 'T');
  loa.call('entries.create', { program: program.id, priority: 'normal', units: ['70-001', '70-002'],
    start, duration_s: 600 });
}, { live: { addresses: ['127.0.0.1'] }, programs: { import_dir: files } }, [
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${microphone}`, '--allow-loopback-in-peer-connection',
]);

test('a manager speaks live on their commune from a phone and the recording is kept', async () => {
  const { loa, browser } = context;
  const wav = (id) => loa.receivers[id].wav;
  await waitFor(() => heard(wav('r-001')) === 'schedule' && heard(wav('r-002')) === 'schedule',
    30000, 'the schedule on both communes');

  const page = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD, { viewport: { width: 390, height: 844 } });
  await visit(page, 'live');
  const form = page.locator('[data-testid=live-form]');
  assert.equal(await form.locator('input[data-unit="70-002"]').count(), 0, 'only the manager\'s units');
  await form.locator('input[data-unit="70-001"]').check();
  await form.locator('[data-testid=start-live]').click();
  await page.locator('[role=dialog]').waitFor();
  assert.deepEqual(loa.call('live.list', {}), [], 'nothing on air before the confirmation');
  await page.locator('[role=dialog] [data-testid=confirm]').click();
  await page.locator('[data-testid=live-on]').waitFor({ timeout: 15000 });

  await waitFor(() => heard(wav('r-001')) === 'voice', 15000, 'the voice on 70-001\'s loudspeaker');
  const live = loa.call('live.list', {});
  assert.equal(live.length, 1);
  assert.equal(live[0].speaker, 'quan-ly');
  assert.deepEqual(live[0].channels, ['70-001']);
  await waitFor(() => heard(wav('r-001'), 2) === 'voice', 10000, 'two seconds of the voice');
  assert.equal(heard(wav('r-002'), 2), 'schedule', '70-002 goes on with its schedule');
  assert.notEqual(heard(wav('r-70'), 2), 'voice', 'the province channel does not carry it');
  await waitFor(async () => Number(await page.locator('[data-testid=live-level]').getAttribute('data-level')) > -40,
    5000, 'the level meter to show the microphone');
  assert.notEqual(await page.locator('[data-testid=live-timer]').textContent(), '0:00', 'the timer runs');

  await waitFor(() => loa.call('live.list', {})[0].seconds >= 4, 10000, 'four seconds on air');
  await page.click('[data-testid=stop-live]');
  const ended = await page.locator('[data-testid=live-ended]').textContent();
  const program = Number(ended.match(/(\d+)\D*$/)[1]);
  assert.deepEqual(loa.call('live.list', {}), []);
  await waitFor(() => heard(wav('r-001')) === 'schedule', 15000, 'the schedule back on 70-001');

  const recording = loa.call('programs.list', {}).find((p) => p.id === program);
  assert.ok(recording, `program ${program} holds the recording`);
  assert.equal(recording.kind, 'file');
  assert.ok(recording.duration_ms > 3000, `the recording lasts ${recording.duration_ms} ms`);
  await visit(page, 'programs');
  await page.locator(`tr[data-program="${program}"] [data-testid=hear]`).click();
  const audio = page.locator('[data-testid=hear-audio]');
  await audio.waitFor();
  await waitFor(() => audio.evaluate((a) => a.currentTime > 0.5), 20000, 'the recording to play');
  assert.deepEqual(page.errors, []);
});
