// The as-run log: what really went out where (each unit named as it was that day), filtered by
// days, unit, priority and outcome, exported as CSV exactly as filtered.
import { useState } from 'preact/hooks';
import { html, useApi, ErrorBox, download, DateField } from '../ui.js';
import { t, dateTime, localIso, parseLocal } from '../i18n.js';

const COLUMNS = ['id', 'program', 'title', 'priority', 'channel', 'entry', 'override',
  'scheduled_at', 'started_at', 'ended_at', 'outcome', 'receivers', 'played'];

function csv(rows) {
  const field = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => field(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function AsRun() {
  const today = localIso(Date.now()).slice(0, 10);
  const weekAgo = localIso(Date.now() - 6 * 86400000).slice(0, 10);
  const [from, setFrom] = useState(weekAgo);
  const [to, setTo] = useState(today);
  const [channel, setChannel] = useState('');
  const [priority, setPriority] = useState('');
  const [outcome, setOutcome] = useState('');
  const fromMs = parseLocal(`${from}T00:00`);
  const toMs = parseLocal(`${to}T00:00`) + 86400000;
  const log = useApi('as_run.list', { from_ms: fromMs, to_ms: toMs }, ['channels', 'overrides']);
  const units = useApi('units.list', {}, []);
  const rows = (log.data || []).filter((r) =>
    (!channel || r.channel === channel) && (!priority || r.priority === priority) &&
    (!outcome || (outcome === 'on_air' ? r.outcome === null : r.outcome === outcome)));
  const channels = [...new Set((log.data || []).map((r) => r.channel))].sort();
  const nameOf = (code) => (units.data || []).find((u) => u.code === code)?.name || code;
  return html`<section>
    <h2>${t('log.heading')}</h2>
    <${ErrorBox} error=${log.error} />
    <div class="toolbar filters">
      <${DateField} label=${t('log.from')} name="from" value=${from} onValue=${setFrom} />
      <${DateField} label=${t('log.to')} name="to" value=${to} onValue=${setTo} />
      <label>${t('log.channel')}<select value=${channel} onChange=${(e) => setChannel(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${channels.map((c) => html`<option value=${c} translate=${false}>${nameOf(c)}</option>`)}</select></label>
      <label>${t('log.priority')}<select value=${priority} onChange=${(e) => setPriority(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${['normal', 'priority', 'emergency'].map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}</select></label>
      <label>${t('log.outcome')}<select value=${outcome} onChange=${(e) => setOutcome(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${['on_air', 'completed', 'stopped', 'preempted', 'failed', 'interrupted'].map((o) => html`<option value=${o}>${t(`outcome.${o}`)}</option>`)}</select></label>
      <button onClick=${() => download(`as-run-${from}-${to}.csv`, csv(rows), 'text/csv')}
        data-testid="export-csv">${t('log.export')}</button>
    </div>
    <p class="muted small">${t('log.count', { n: rows.length })}</p>
    <div class="table-wrap"><table data-testid="as-run">
      <thead><tr><th>${t('log.started')}</th><th>${t('log.ended')}</th><th>${t('log.channel')}</th>
        <th>${t('log.program')}</th><th>${t('log.priority')}</th><th>${t('log.receivers')}</th><th>${t('log.played')}</th>
        <th>${t('log.outcome')}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr data-as-run=${r.id} data-channel=${r.channel}>
        <td>${dateTime(r.started_at_ms)}</td>
        <td>${r.ended_at_ms ? dateTime(r.ended_at_ms) : ''}</td>
        <td translate=${false}>${r.unit ? r.unit.name : nameOf(r.channel)}</td>
        <td translate=${false}>${r.title}</td>
        <td>${t(`priority.${r.priority}`)}</td>
        <td translate=${false}>${r.receivers}</td>
        <td translate=${false} class=${r.played < r.receivers ? 'bad-text' : ''} data-testid="played">${r.played}</td>
        <td>${r.outcome === null ? html`<span class="pill ok">${t('outcome.on_air')}</span>` : t(`outcome.${r.outcome}`)}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}
