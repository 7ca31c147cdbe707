// Reports on the console: an admin sees each unit's indicators over the last 30 days as the API
// gives them, downloads the statistical report of stations, which an independent reader
// (openpyxl) opens with the same numbers, and sees that no push target is configured; a
// commune's manager sees their commune only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useLoa, login, visit, waitFor, ADMIN_PASSWORD, MANAGER_PASSWORD } from './harness.mjs';

const context = useLoa();
const reader = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'read_xlsx.py');
const fixed = (v) => (v === null ? '—' : Number(v).toFixed(1));

test('an admin reads the indicators and downloads the report of stations', async () => {
  const { loa, browser } = context;
  const admin = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(admin, 'reports');
  const table = admin.locator('[data-testid=indicators] tbody tr');
  await waitFor(async () => (await table.count()) === 3, 10000, 'the province and its communes');
  // The same range as the page: its two date fields.
  const iso = async (name) => {
    const [d, m, y] = (await admin.inputValue(`input[name=${name}]`)).split('/');
    return `${y}-${m}-${d}`;
  };
  const from = await iso('from');
  const to = await iso('to');
  const api = loa.call('indicators.get', { from, to, period: 'all' });
  for (const row of api.rows) {
    const shown = admin.locator(`[data-testid=indicators] tr[data-unit="${row.unit}"]`);
    assert.equal(await shown.locator('[data-testid=availability]').innerText(),
      fixed(row.clusters.availability_percent), row.unit);
    assert.equal(await shown.locator('[data-testid=minutes]').innerText(),
      fixed(row.broadcasts.minutes), row.unit);
  }
  assert.equal(await admin.locator('[data-testid=push-none]').count(), 1);

  const [file] = await Promise.all([admin.waitForEvent('download'),
    admin.click('[data-testid=download-stations]')]);
  const cells = JSON.parse(execFileSync('/usr/bin/python3', [reader, await file.path()]).toString());
  const sheet = cells['Thống kê'];
  const header = sheet.find((r) => r[0] === 'STT');
  const total = header.indexOf('Tổng số cụm loa');
  for (const row of api.rows.filter((r) => r.unit !== '70')) {
    const line = sheet.find((r) => r[1] === row.unit);
    assert.ok(line, `${row.unit} in the workbook`);
    assert.equal(line[total], row.clusters.total, row.unit);
  }
  assert.deepEqual(admin.errors, []);
});

test("a commune's manager sees their commune only", async () => {
  const { loa, browser } = context;
  const manager = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  await visit(manager, 'reports');
  const table = manager.locator('[data-testid=indicators] tbody tr');
  await waitFor(async () => (await table.count()) === 1, 10000, 'their commune');
  assert.equal(await table.first().getAttribute('data-unit'), '70-001');
  assert.equal(await manager.locator('[data-testid=push-state], [data-testid=push-none]').count(), 0);
  assert.deepEqual(manager.errors, []);
});
