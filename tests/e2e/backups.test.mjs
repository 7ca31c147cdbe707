// Backups on the console: an admin sees the backup a new server takes at start, asks for
// another, and sees it succeed and listed with its size; a handover archive the server holds is
// listed too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useLoa, login, visit, waitFor, ADMIN_PASSWORD } from './harness.mjs';

const nas = mkdtempSync(path.join(tmpdir(), 'loa-e2e-nas-'));
const context = useLoa(undefined, { backups: { dir: nas, at: ['03:00'] } });

test('an admin takes a backup from the console and sees it listed', async () => {
  const { loa, browser } = context;
  const admin = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(admin, 'backups');
  // A server that has none takes one at start; the page shows it when it is done.
  const last = admin.locator('[data-testid=backup-last]');
  await waitFor(async () => /thành công$/.test(await last.innerText()), 30000, 'the first backup');
  const rows = admin.locator('[data-testid=backup-list] tbody tr');
  await waitFor(async () => (await rows.count()) === 1, 10000, 'the first backup listed');
  const first = await rows.first().innerText();

  await admin.click('[data-testid=backup-now]');
  // backup.done brings the page up to date by itself; the day's newest backup is the one kept.
  await waitFor(async () => (await rows.first().innerText()) !== first, 30000,
    'the backup asked for, listed');
  assert.match(await last.innerText(), /thành công$/);
  assert.match(await rows.first().innerText(), /loa-\d{8}T\d{6}Z(-\d)?\s+\d+ KiB/);

  loa.call('handover.export', { unit: '70-001' });
  await visit(admin, 'dashboard');
  await visit(admin, 'backups');
  const archive = admin.locator('[data-testid=handover-list] tbody tr');
  await waitFor(async () => (await archive.count()) === 1, 10000, 'the archive listed');
  assert.match(await archive.first().innerText(), /loa-handover-70001-.*\.sqlite\s+70-001/);
});
