// Uploading a recording shows a progress bar that reaches 100 %; an undecodable file is
// refused with a clear message and leaves no program behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { useLoa, login, visit, MANAGER_PASSWORD } from './harness.mjs';

const context = useLoa();

/** A 48 kHz mono 16-bit WAV of a 440 Hz tone. */
function toneWav(file, seconds) {
  const rate = 48000;
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  writeFileSync(file, b);
}

test('an upload reaches 100 % and an undecodable file is refused clearly', async () => {
  const { loa, browser } = context;
  const page = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  await visit(page, 'programs');
  const form = page.locator('[data-testid=upload-form]');
  const good = path.join(loa.dir, 'ban-tin.wav');
  toneWav(good, 40);
  await form.locator('input[name=title]').fill('Bản tin ghi âm');
  await form.locator('input[type=file]').setInputFiles(good);
  await page.evaluate(() => {
    window.progressSeen = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=upload-progress]');
      if (bar) window.progressSeen.push(+bar.getAttribute('aria-valuenow'));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await form.locator('button[type=submit]').click();
  await page.locator('[data-testid=upload-done]').waitFor({ timeout: 30000 });
  assert.equal(await page.locator('[data-testid=upload-progress]').getAttribute('aria-valuenow'), '100');
  const seen = await page.evaluate(() => window.progressSeen);
  assert.ok(seen.includes(100), `the bar went ${seen.join(' ')}`);
  const program = loa.call('programs.list', {}).find((p) => p.title === 'Bản tin ghi âm');
  assert.ok(program, 'the upload is a program');
  assert.ok(Math.abs(program.duration_ms - 40000) < 200, `it lasts ${program.duration_ms} ms`);
  await page.locator('[data-testid=programs] tr', { hasText: 'Bản tin ghi âm' }).waitFor();

  const bad = path.join(loa.dir, 'hong.mp3');
  writeFileSync(bad, Buffer.from('this is not audio at all '.repeat(4000)));
  await form.locator('input[name=title]').fill('Tệp hỏng');
  await form.locator('input[type=file]').setInputFiles(bad);
  await form.locator('button[type=submit]').click();
  const error = page.locator('[data-testid=upload-error]');
  await error.waitFor({ timeout: 30000 });
  assert.match(await error.innerText(), /Tệp âm thanh không đọc được, không nhận/);
  assert.equal(loa.call('programs.list', {}).filter((p) => p.title === 'Tệp hỏng').length, 0);
  assert.deepEqual(page.errors, []);
});
