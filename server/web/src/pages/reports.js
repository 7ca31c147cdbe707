// Reports: the indicators (docs/indicators.md) of a unit and the units under it over the days
// picked, by day, week or month: availability and minutes on air per commune as charts, the
// figures as a table, and the downloads (CSV, the statistical report of stations, the monthly
// operations report); for admins, where the daily snapshot is pushed and how that goes.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, Bars, DateField, isAdmin } from '../ui.js';
import { t, localIso, dateTime } from '../i18n.js';

/** Opens a REST download with a ticket in place of the session token. */
async function fetchFile(path, query, name, setError) {
  try {
    const url = await api.signed(path, query);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } catch (e) {
    setError(e);
  }
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));

function Deliveries() {
  const pushes = useApi('indicators.deliveries', {}, []);
  if (!pushes.data || pushes.data.length === 0)
    return html`<p class="muted small" data-testid="push-none">${t('reports.push_none')}</p>`;
  return html`<table data-testid="push-state"><thead><tr><th>${t('reports.push_url')}</th>
    <th>${t('reports.push_pending')}</th><th>${t('reports.push_delivered')}</th>
    <th>${t('reports.push_last')}</th><th>${t('reports.push_error')}</th></tr></thead><tbody>
    ${pushes.data.map((p) => html`<tr><td translate=${false}>${p.url}</td>
      <td class=${p.pending > 0 ? 'bad-text' : ''}>${p.pending}</td><td>${p.delivered}</td>
      <td>${p.last_delivered_at_ms ? dateTime(p.last_delivered_at_ms) : '—'}</td>
      <td translate=${false}>${p.last_error || ''}</td></tr>`)}</tbody></table>`;
}

export function Reports({ user }) {
  const today = localIso(Date.now()).slice(0, 10);
  const monthAgo = localIso(Date.now() - 29 * 86400000).slice(0, 10);
  const [from, setFrom] = useState(monthAgo);
  const [to, setTo] = useState(today);
  const [period, setPeriod] = useState('day');
  const [unit, setUnit] = useState('');
  const [error, setError] = useState(null);
  const params = { from, to, period };
  if (unit) params.unit = unit;
  const report = useApi('indicators.get', params, []);
  const whole = useApi('indicators.get', { ...params, period: 'all' }, []);
  const units = useApi('units.list', {}, []);
  const rows = report.data ? report.data.rows : [];
  const byUnit = new Map();
  for (const r of rows) {
    if (!byUnit.has(r.unit)) byUnit.set(r.unit, []);
    byUnit.get(r.unit).push(r);
  }
  const labels = (byUnit.values().next().value || []).map((r) => r.from);
  const query = new URLSearchParams({ from, to, ...(unit ? { unit } : {}) }).toString();
  const month = to.slice(0, 7);
  const live = (units.data || []).filter((u) => !u.valid_to);
  return html`<section>
    <h2>${t('reports.heading')}</h2>
    <${ErrorBox} error=${error || report.error || whole.error} />
    <div class="toolbar filters">
      <${DateField} label=${t('log.from')} name="from" value=${from} onValue=${setFrom} />
      <${DateField} label=${t('log.to')} name="to" value=${to} onValue=${setTo} />
      <label>${t('reports.unit')}<select value=${unit} onChange=${(e) => setUnit(e.target.value)}
        data-testid="report-unit">
        <option value="">${t('reports.default_unit')}</option>
        ${live.map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}</select></label>
      <label>${t('reports.period')}<select value=${period} onChange=${(e) => setPeriod(e.target.value)}
        data-testid="report-period">
        ${['day', 'week', 'month'].map((p) => html`<option value=${p}>${t(`reports.${p}`)}</option>`)}</select></label>
    </div>
    <div class="actions">
      <button onClick=${() => fetchFile('/api/v1/indicators.csv', `${query}&period=${period}`,
        `chi-so-${from}-${to}.csv`, setError)} data-testid="download-csv">${t('reports.csv')}</button>
      <button onClick=${() => fetchFile('/api/v1/reports/stations.xlsx', query,
        `thong-ke-${from}-${to}.xlsx`, setError)} data-testid="download-stations">${t('reports.stations')}</button>
      <button onClick=${() => fetchFile('/api/v1/reports/operations.xlsx',
        `month=${month}${unit ? `&unit=${unit}` : ''}`, `van-hanh-${month}.xlsx`, setError)}
        data-testid="download-operations">${t('reports.operations', { month })}</button>
    </div>
    <p class="muted small">${t('reports.note', { cutoff: report.data ? report.data.cutoff : '17:00' })}</p>
    <div class="table-wrap"><table class="units" data-testid="indicators">
      <thead><tr><th>${t('dash.unit')}</th><th>${t('reports.clusters')}</th>
        <th>${t('reports.availability')}</th><th>${t('reports.minutes')}</th>
        <th>${t('reports.missed')}</th><th>${t('reports.emergencies')}</th>
        <th>${t('reports.chart_availability')}</th><th>${t('reports.chart_minutes')}</th></tr></thead>
      <tbody>${[...byUnit.entries()].map(([code, series]) => {
        const all = (whole.data ? whole.data.rows : []).find((r) => r.unit === code);
        if (!all) return null;
        return html`<tr data-unit=${code}>
          <td><span translate=${false}>${all.name}</span><div class="muted" translate=${false}>${code}</div></td>
          <td>${all.clusters.total}</td>
          <td data-testid="availability">${fmt(all.clusters.availability_percent)}</td>
          <td data-testid="minutes">${fmt(all.broadcasts.minutes)}</td>
          <td>${all.broadcasts.missed}</td>
          <td>${all.emergencies.count}</td>
          <td><${Bars} values=${series.map((r) => r.clusters.availability_percent)} max=${100}
            labels=${labels} unit="%" className="online" /></td>
          <td><${Bars} values=${series.map((r) => r.broadcasts.minutes)} labels=${labels}
            unit=${t('dash.unit_minutes')} className="minutes" /></td></tr>`;
      })}</tbody></table></div>
    ${isAdmin(user) && html`<h3>${t('reports.push_heading')}</h3><${Deliveries} />`}
  </section>`;
}
