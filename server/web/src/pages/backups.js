// Backups and handover archives (admins): whether backups run and when the next one is, what
// the last attempt did, the backups kept, a backup now; the handover archives the server holds.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox } from '../ui.js';
import { t, dateTime } from '../i18n.js';

const size = (bytes) =>
  bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB`
    : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
      : `${Math.ceil(bytes / 1024)} KiB`;

function State({ state }) {
  if (!state.enabled) return html`<p class="muted" data-testid="backups-off">${t('backups.off')}</p>`;
  const failed = state.last_error && state.last_error !== '';
  return html`<dl class="facts" data-testid="backup-state">
    <dt>${t('backups.dir')}</dt><dd translate=${false}>${state.dir}</dd>
    <dt>${t('backups.last')}</dt>
    <dd class=${failed ? 'bad-text' : 'ok-text'} data-testid="backup-last">${state.last_attempt_at_ms
      ? html`${dateTime(state.last_attempt_at_ms)} · ${failed
        ? html`${t('backups.failed')}: <span translate=${false}>${state.last_error}</span>`
        : t('backups.ok')}` : t('backups.never')}</dd>
    <dt>${t('backups.next')}</dt><dd>${state.running ? t('backups.running')
      : state.next_at_ms ? dateTime(state.next_at_ms) : '—'}</dd>
    <dt>${t('backups.failures')}</dt><dd>${state.failures}</dd>
  </dl>`;
}

export function Backups() {
  const backups = useApi('backups.list', {}, ['backups']);
  const archives = useApi('handover.list', {}, ['backups']);
  const [error, setError] = useState(null);
  const [asked, setAsked] = useState(false);
  const run = async () => {
    setError(null);
    try {
      await api.call('backups.run', {});
      setAsked(true);
      backups.reload();
    } catch (e) {
      setError(e);
    }
  };
  const state = backups.data;
  const kept = state ? [...(state.backups || [])].reverse() : [];
  return html`<section>
    <h2>${t('backups.heading')}</h2>
    <${ErrorBox} error=${error || backups.error} />
    ${state && html`<div class="card">
      <${State} state=${state} />
      ${state.enabled && html`<div class="actions">
        <button onClick=${run} disabled=${state.running} data-testid="backup-now">${t('backups.now')}</button>
        ${asked && html`<span class="muted small">${t('backups.asked')}</span>`}</div>`}
    </div>`}
    ${kept.length > 0 && html`<table data-testid="backup-list"><thead><tr>
      <th>${t('backups.taken')}</th><th>${t('backups.name')}</th><th>${t('backups.database')}</th>
      <th>${t('backups.media')}</th></tr></thead><tbody>
      ${kept.map((b) => html`<tr>
        <td>${dateTime(b.taken_at_ms)}</td><td translate=${false}>${b.name}</td>
        <td>${size(b.database_bytes)}</td><td>${b.media_files} · ${size(b.media_bytes)}</td></tr>`)}
    </tbody></table>`}
    <h3>${t('handover.heading')}</h3>
    <p class="muted small">${t('handover.note')}</p>
    <${ErrorBox} error=${archives.error} />
    ${(archives.data || []).length === 0 ? html`<p class="muted">${t('handover.none')}</p>`
      : html`<table data-testid="handover-list"><thead><tr><th>${t('handover.name')}</th>
        <th>${t('handover.units')}</th><th>${t('handover.size')}</th><th>${t('handover.as_run')}</th></tr></thead><tbody>
        ${archives.data.map((a) => html`<tr><td translate=${false}>${a.name}</td>
          <td translate=${false}>${a.units.length ? a.units.join(', ') : t('handover.all')}</td>
          <td>${size(a.bytes)}</td><td>${a.counts.as_run}</td></tr>`)}</tbody></table>`}
  </section>`;
}
