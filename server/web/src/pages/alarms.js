// Alarms: what the server found wrong by itself, active and past, coloured by severity,
// filtered by severity, kind and unit, acknowledged by those who may change things, exported
// as CSV exactly as shown. Live through the "alarms" notifications.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, download, DateField, mayChange } from '../ui.js';
import { t, language, dateTime, localIso, parseLocal } from '../i18n.js';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
const KINDS = [
  'cluster_offline', 'cluster_no_media', 'cluster_lossy', 'cluster_silent', 'cluster_unbidden',
  'dead_air', 'airing_late', 'airing_failed', 'fanout_behind', 'database_errors', 'disk_low',
  'clock_unsynchronised', 'certificate_expiring', 'backup_failed', 'backup_late',
];
const COLUMNS = ['id', 'severity', 'kind', 'subject', 'unit', 'text', 'raised_at', 'cleared_at',
  'acknowledged_by', 'acknowledged_at'];

const isoOrEmpty = (ms) => (ms ? new Date(ms).toISOString() : '');

function csv(rows) {
  const field = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const line = (a) => [a.id, a.severity, a.kind, a.subject, a.unit, textOf(a),
    isoOrEmpty(a.raised_at_ms), isoOrEmpty(a.cleared_at_ms), a.acknowledged_by,
    isoOrEmpty(a.acknowledged_at_ms)].map(field).join(',');
  return [COLUMNS.join(','), ...rows.map(line)].join('\r\n') + '\r\n';
}

/** The alarm's text in the console's language. */
export const textOf = (a) => (language() === 'en' ? a.text_en : a.text_vi);

/** A severity as a coloured pill. */
export function SeverityPill({ severity }) {
  return html`<span class=${`pill severity-${severity}`}>${t(`severity.${severity}`)}</span>`;
}

function AlarmRows({ rows, nameOf, user, history, onAcknowledge }) {
  if (rows.length === 0)
    return html`<p class="muted" data-testid="no-alarms">${t(history ? 'alarms.none_history' : 'alarms.none')}</p>`;
  return html`<div class="table-wrap"><table data-testid="alarms">
    <thead><tr><th>${t('alarms.severity')}</th><th>${t('alarms.what')}</th>
      <th>${t('alarms.unit')}</th><th>${t('alarms.raised')}</th>
      ${history && html`<th>${t('alarms.cleared')}</th>`}
      <th>${t('alarms.acknowledged')}</th></tr></thead>
    <tbody>${rows.map((a) => html`<tr data-alarm=${a.id} data-alarm-subject=${a.subject}
        data-alarm-kind=${a.kind} class=${`severity-${a.severity}`}>
      <td><${SeverityPill} severity=${a.severity} /></td>
      <td><strong>${t(`kind.${a.kind}`)}</strong><div translate=${false}>${textOf(a)}</div></td>
      <td translate=${false}>${a.unit ? nameOf(a.unit) : ''}</td>
      <td>${dateTime(a.raised_at_ms)}</td>
      ${history && html`<td>${a.cleared_at_ms ? dateTime(a.cleared_at_ms) : html`<span class="pill bad">${t('alarms.still_active')}</span>`}</td>`}
      <td>${a.acknowledged_by
        ? html`<span translate=${false} data-testid="acknowledged-by">${a.acknowledged_by}</span>
            <div class="muted small">${dateTime(a.acknowledged_at_ms)}</div>`
        : mayChange(user) && a.active
          ? html`<button class="secondary" onClick=${() => onAcknowledge(a)}
              data-testid=${`acknowledge-${a.id}`}>${t('alarms.acknowledge')}</button>`
          : ''}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

export function Alarms({ user }) {
  const today = localIso(Date.now()).slice(0, 10);
  const weekAgo = localIso(Date.now() - 6 * 86400000).slice(0, 10);
  const [history, setHistory] = useState(false);
  const [severity, setSeverity] = useState('');
  const [kind, setKind] = useState('');
  const [unit, setUnit] = useState('');
  const [from, setFrom] = useState(weekAgo);
  const [to, setTo] = useState(today);
  const [failure, setFailure] = useState(null);
  const params = {};
  if (severity) params.severity = severity;
  if (kind) params.kind = kind;
  if (unit) params.unit = unit;
  if (history) {
    params.from_ms = parseLocal(`${from}T00:00`);
    params.to_ms = parseLocal(`${to}T00:00`) + 86400000;
  }
  const alarms = useApi(history ? 'alarms.history' : 'alarms.list', params, ['alarms']);
  const units = useApi('units.list', {}, []);
  const nameOf = (code) => (units.data || []).find((u) => u.code === code)?.name || code;
  const rows = alarms.data || [];
  const acknowledge = async (a) => {
    setFailure(null);
    try {
      await api.call('alarms.acknowledge', { id: a.id });
      alarms.reload();
    } catch (e) {
      setFailure(e);
    }
  };
  return html`<section>
    <h2>${t('alarms.heading')}</h2>
    <div class="toolbar">
      <button class=${history ? 'secondary' : 'on'} onClick=${() => setHistory(false)}
        data-testid="alarms-active">${t('alarms.active')}</button>
      <button class=${history ? 'on' : 'secondary'} onClick=${() => setHistory(true)}
        data-testid="alarms-history">${t('alarms.history')}</button>
    </div>
    <${ErrorBox} error=${alarms.error || failure} />
    <div class="toolbar filters">
      <label>${t('alarms.severity')}<select value=${severity} data-testid="alarm-severity"
        onChange=${(e) => setSeverity(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${SEVERITIES.map((s) => html`<option value=${s}>${t('alarms.at_least', { s: t(`severity.${s}`) })}</option>`)}</select></label>
      <label>${t('alarms.kind')}<select value=${kind} onChange=${(e) => setKind(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${KINDS.map((k) => html`<option value=${k}>${t(`kind.${k}`)}</option>`)}</select></label>
      <label>${t('alarms.unit')}<select value=${unit} onChange=${(e) => setUnit(e.target.value)}>
        <option value="">${t('log.all')}</option>
        ${(units.data || []).filter((u) => !u.merged_into).map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}</select></label>
      ${history && html`<${DateField} label=${t('log.from')} name="from" value=${from} onValue=${setFrom} />
        <${DateField} label=${t('log.to')} name="to" value=${to} onValue=${setTo} />`}
      <button onClick=${() => download(`alarms-${history ? `${from}-${to}` : today}.csv`, csv(rows), 'text/csv')}
        data-testid="export-alarms">${t('log.export')}</button>
    </div>
    <p class="muted small">${t('alarms.count', { n: rows.length })}</p>
    <${AlarmRows} rows=${rows} nameOf=${nameOf} user=${user} history=${history}
      onAcknowledge=${acknowledge} />
  </section>`;
}

/** The header's count of active alarms, coloured by the gravest; a link to the page. */
export function AlarmBadge() {
  const alarms = useApi('alarms.list', {}, ['alarms']);
  const rows = alarms.data || [];
  if (rows.length === 0) return null;
  const gravest = SEVERITIES.find((s) => rows.some((a) => a.severity === s));
  return html`<a href="#/alarms" class=${`alarm-badge severity-${gravest}`} data-testid="alarm-badge"
    title=${t('alarms.heading')}>${t('alarms.badge', { n: rows.length })}</a>`;
}
