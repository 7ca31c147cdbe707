// Units through a reorganisation on the console: an admin renames a commune from a date and the
// table keeps its former name; a merge is previewed, then made, and the commune merged away
// says which one it went into; the national list is previewed with what keeps it from applying; a search by
// an old name, without diacritics, finds the unit and the one it lives on in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useLoa, login, visit, waitFor, ADMIN_PASSWORD, MANAGER_PASSWORD } from './harness.mjs';

const context = useLoa();

async function search(page, text) {
  await page.fill('[data-testid=unit-search] input[name=text]', text);
  await page.click('[data-testid=unit-search] button[type=submit]');
}

test('a renamed commune keeps its former name, and old names still find it', async () => {
  const { loa, browser } = context;
  const admin = await login(browser, loa, 'admin', ADMIN_PASSWORD);
  await visit(admin, 'units');
  const form = admin.locator('[data-testid="rename-70-001"]');
  await form.locator('input[name=name]').fill('Phường Tân Lập');
  await form.locator('input[name=date]').fill('01/07/2026');
  await form.locator('button[type=submit]').click();
  const row = admin.locator('tr[data-unit="70-001"]');
  await waitFor(async () => (await row.locator('[data-testid=unit-name]').innerText()) === 'Phường Tân Lập',
    10000, 'the new name');
  assert.match(await row.locator('[data-testid=former-names]').innerText(),
    /^Tên cũ:\s+Xã Tân Lập \(70-001\)\s+từ 2025-07-01 đến 2026-06-30$/);

  // A rename before the current name began is refused with the reason, and changes nothing.
  await form.locator('input[name=name]').fill('Phường Khác');
  await form.locator('input[name=date]').fill('01/01/2026');
  await form.locator('button[type=submit]').click();
  await admin.locator('.error').waitFor();
  assert.match(await admin.locator('.error').innerText(), /2026-07-01/);
  assert.equal(await row.locator('[data-testid=unit-name]').innerText(), 'Phường Tân Lập');

  // 70-002 goes into 70-001: previewed first (nothing saved), then merged; its row says so.
  const merge = admin.locator('[data-testid=merge-units]');
  await merge.locator('select[name=into]').selectOption('70-001');
  await merge.locator('input[data-unit="70-002"]').check();
  await merge.locator('input[name=date]').fill('01/07/2026');
  await merge.locator('button[type=submit]').click();
  await merge.locator('[data-testid=merge-outcome]').waitFor();
  assert.match(await merge.locator('[data-testid=merge-outcome]').innerText(),
    /^Sẽ chuyển sang đơn vị mới: \d+ lịch phát, \d+ chương trình, 1 cụm loa, 0 người dùng, \d+ cảnh báo\./);
  const merged = admin.locator('tr[data-unit="70-002"]');
  assert.match(await merged.innerText(), /Đang hoạt động/, 'a preview merges nothing');
  await merge.locator('[data-testid=merge-confirm]').click();
  await waitFor(async () => /Đã sáp nhập từ 2026-07-01 vào\s+Phường Tân Lập/.test(await merged.innerText()),
    10000, 'the merge on the console');
  assert.equal(await admin.locator('[data-testid="rename-70-002"]').count(), 0);

  await search(admin, 'tan hoa');
  const found = admin.locator('li[data-found="70-002"]');
  await found.waitFor();
  assert.match(await found.locator('[data-testid=now-in]').innerText(), /^nay thuộc Phường Tân Lập \(70-001\)$/);
  await search(admin, 'XA TAN LAP');
  await admin.locator('li[data-found="70-001"]').waitFor();
  assert.match(await admin.locator('li[data-found="70-001"]').innerText(),
    /Xã Tân Lập \(70-001\)\s+từ 2025-07-01 đến 2026-06-30\s+→\s+Phường Tân Lập/);
  await search(admin, 'Hà Nội');
  await admin.locator('[data-testid=no-units-found]').waitFor();

  // The national list, previewed: a commune to add, and a problem that keeps it from applying.
  const list = admin.locator('[data-testid=import-units]');
  await list.locator('input[name=list]').setInputFiles({
    name: 'danh-muc.csv', mimeType: 'text/csv',
    buffer: Buffer.from('\uFEFFMã;Tên;Cấp\r\n70;Tỉnh Thử Nghiệm;Tỉnh\r\n26800;Xã Phú Lý;Xã\r\n'),
  });
  await list.locator('button[type=submit]').click();
  await list.locator('[data-testid=import-plan]').waitFor();
  assert.match(await list.locator('li[data-change=add]').innerText(), /^Thêm\s+26800\s+Xã Phú Lý$/);
  assert.match(await list.locator('[data-testid=import-problems]').innerText(),
    /unit 70-001 \(Phường Tân Lập\) is not in the list but has clusters/);
  assert.equal(await list.locator('[data-testid=import-confirm]').count(), 0, 'nothing to apply');
  assert.equal(await admin.locator('tr[data-unit="26800"]').count(), 0);

  // A manager sees the units and searches, but renames nothing.
  const manager = await login(browser, loa, 'quan-ly', MANAGER_PASSWORD);
  await visit(manager, 'units');
  assert.equal(await manager.locator('tr[data-unit]').count(), 3);
  assert.equal(await manager.locator('[data-testid^="rename-"]').count(), 0);
  assert.deepEqual([...admin.errors, ...manager.errors], []);
});
