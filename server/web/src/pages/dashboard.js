// Dashboard: the emergency banner, communes with clusters online and offline, the active
// alarms, what each channel plays now, and 7-day charts of clusters online and minutes on air
// per commune.
import { html, useApi, ErrorBox, Bars } from '../ui.js';
import { t, dateOnly, timeOnly, parseLocal } from '../i18n.js';

/** The title of what each channel carries now, from the open rows of the as-run log. */
function nowPlaying(asRun, onAir) {
  const titles = {};
  for (const row of asRun || [])
    if (row.outcome === null && onAir && onAir[row.channel]) titles[row.channel] = row;
  return titles;
}

/** The days' highest counts, today's raised to what is online now (samples are 5 min apart). */
const withToday = (values, now) =>
  values.map((v, i) => (i === values.length - 1 ? Math.max(v ?? 0, now) : v));

export function EmergencyBanner({ overrides }) {
  const active = (overrides || []).filter((o) => o.kind === 'emergency');
  if (active.length === 0) return null;
  return html`<div class="banner emergency" role="alert" data-testid="emergency-banner">
    <strong>${t('dash.emergency_on_air')}</strong>
    ${active.map(
      (o) => html`<span translate=${false}> ${o.channels.join(', ')}</span>`,
    )}
    <a href="#/emergency">${t('dash.go_emergency')}</a>
  </div>`;
}

export function Dashboard() {
  const units = useApi('units.list', {}, ['schedule']);
  const receivers = useApi('receivers.list', {}, ['receivers', 'channels']);
  const status = useApi('status', {}, ['channels', 'overrides']);
  const asRun = useApi('as_run.list', {}, ['channels', 'overrides', 'schedule']);
  const overrides = useApi('overrides.list', {}, ['overrides']);
  const history = useApi('stats.history', { days: 7 }, ['channels']);
  const alarms = useApi('alarms.list', {}, ['alarms']);
  const error = units.error || receivers.error || status.error || history.error;
  const onAir = status.data?.on_air || {};
  const playing = nowPlaying(asRun.data, onAir);
  const byUnit = {};
  for (const r of receivers.data || []) (byUnit[r.unit] ||= []).push(r);
  const historyOf = {};
  for (const row of history.data?.units || []) historyOf[row.unit] = row;
  const dayLabels = (history.data?.days || []).map((d) => dateOnly(parseLocal(`${d}T12:00`)));
  const live = (units.data || []).filter((u) => !u.merged_into);
  const all = receivers.data || [];
  const online = all.filter((r) => r.online).length;
  return html`<section>
    <${EmergencyBanner} overrides=${overrides.data} />
    <h2>${t('dash.title')}</h2>
    <${ErrorBox} error=${error} />
    <div class="tiles">
      <div class="tile"><span class="big">${live.length}</span>${t('dash.units')}</div>
      <div class="tile ok"><span class="big" data-testid="online-count">${online}</span>
        ${t('dash.clusters_online')}</div>
      <div class="tile bad"><span class="big">${all.length - online}</span>
        ${t('dash.clusters_offline')}</div>
      <div class="tile"><span class="big">${Object.keys(onAir).length}</span>
        ${t('dash.channels_on_air')}</div>
      <a class=${`tile ${(alarms.data || []).length ? 'bad' : 'ok'}`} href="#/alarms">
        <span class="big" data-testid="alarm-count">${(alarms.data || []).length}</span>
        ${t('dash.alarms')}</a>
    </div>
    <div class="table-wrap"><table class="units">
      <thead><tr>
        <th>${t('dash.unit')}</th><th>${t('dash.clusters')}</th><th>${t('dash.now_playing')}</th>
        <th>${t('dash.chart_online')}</th><th>${t('dash.chart_minutes')}</th>
      </tr></thead>
      <tbody>
        ${live.map((u) => {
          const clusters = byUnit[u.code] || [];
          const up = clusters.filter((r) => r.online);
          const down = clusters.filter((r) => !r.online);
          const row = playing[u.code];
          const h = historyOf[u.code];
          return html`<tr data-unit=${u.code}>
            <td><span translate=${false}>${u.name}</span>
              <div class="muted" translate=${false}>${u.code}</div></td>
            <td>
              <span class="pill ok">${t('dash.online_n', { n: up.length })}</span>
              ${down.length > 0 &&
              html`<span class="pill bad">${t('dash.offline_n', { n: down.length })}</span>
                <div class="muted small" translate=${false}>${down.map((r) => r.id).join(', ')}</div>`}
            </td>
            <td class="now-playing">${row
              ? html`<span class=${`pill prio-${row.priority}`}>${t(`priority.${row.priority}`)}</span>
                  <span translate=${false} data-testid="playing-title">${row.title}</span>
                  <div class="muted small">${t('dash.since', { time: timeOnly(row.started_at_ms) })}</div>`
              : html`<span class="muted">${t('dash.silent')}</span>`}</td>
            <td>${h && html`<${Bars} values=${withToday(h.online_max, up.length)} labels=${dayLabels}
              unit=${t('dash.unit_clusters')} max=${h.clusters} className="online" />`}</td>
            <td>${h && html`<${Bars} values=${h.minutes_on_air} labels=${dayLabels}
              unit=${t('dash.unit_minutes')} className="minutes" />`}</td>
          </tr>`;
        })}
      </tbody>
    </table></div>
    <p class="muted small">${t('dash.chart_note')}</p>
  </section>`;
}
