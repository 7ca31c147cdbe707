// Receivers (clusters): status, last seen, loss, what they play, volume and mute pushed at
// once; for admins, provisioning with the bundle downloaded as a file, rekey and unprovision.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, Confirm, unitsActedFor, mayChange, isAdmin, download } from '../ui.js';
import { t, dateTime } from '../i18n.js';

/** The level of what a cluster last played, after decoding and volume (its proof of play). */
function PlayedLevel({ status }) {
  const level = status && status.level_dbfs;
  if (typeof level !== 'number') return html`<span class="muted">—</span>`;
  if (level < -60) return html`<span class="muted" data-level=${level}>${t('rx.level_silent')}</span>`;
  const width = Math.max(4, Math.min(100, ((level + 60) / 60) * 100));
  return html`<span class="level" data-level=${level} title=${`${level.toFixed(1)} dBFS`}>
    <span class="level-bar" style=${`width:${width.toFixed(0)}%`}></span>
    <span class="small" translate=${false}>${level.toFixed(0)} dBFS</span></span>`;
}

function Volume({ r, user, onError }) {
  const [value, setValue] = useState(null);
  const shown = value ?? Math.round(r.volume * 100);
  const push = (params) => api.call('receivers.set_volume', { id: r.id, ...params }).catch(onError);
  if (!mayChange(user)) return html`<span translate=${false}>${shown}%</span>`;
  return html`<div class="volume">
    <input type="range" min="0" max="200" step="5" value=${shown} aria-label=${t('rx.volume')}
      onInput=${(e) => setValue(+e.target.value)}
      onChange=${(e) => {
        push({ volume: +e.target.value / 100 });
        setValue(null);
      }} data-testid=${`volume-${r.id}`} />
    <span translate=${false} class="small">${shown}%</span>
    <button class=${r.muted ? 'danger' : 'secondary'} onClick=${() => push({ muted: !r.muted })}
      data-testid=${`mute-${r.id}`}>${r.muted ? t('rx.unmute') : t('rx.mute')}</button>
  </div>`;
}

function Provision({ units, onError, onDone }) {
  const [id, setId] = useState('');
  const [unit, setUnit] = useState(units[0]?.code);
  const [name, setName] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    try {
      const r = await api.call('receivers.provision', { id, unit: unit || units[0]?.code, name });
      download(`${r.id}.loa-bundle.json`, JSON.stringify(r.bundle, null, 2), 'application/json');
      setId('');
      setName('');
      onDone(r);
    } catch (err) {
      onError(err);
    }
  };
  return html`<form class="card" onSubmit=${submit} data-testid="provision-form">
    <h3>${t('rx.provision')}</h3>
    <div class="row">
      <label>${t('rx.id')}<input name="id" value=${id} required pattern="[A-Za-z0-9._-]{1,64}"
        onInput=${(e) => setId(e.target.value)} /></label>
      <label>${t('rx.name')}<input name="name" value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <label>${t('rx.unit')}<select name="unit" value=${unit} onChange=${(e) => setUnit(e.target.value)}>
        ${units.map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}</select></label>
    </div>
    <p class="muted small">${t('rx.bundle_note')}</p>
    <div class="actions"><button type="submit">${t('rx.provision_download')}</button></div>
  </form>`;
}

export function Receivers({ user }) {
  const receivers = useApi('receivers.list', {}, ['receivers', 'channels']);
  const units = useApi('units.list', {}, ['schedule']);
  const [error, setError] = useState(null);
  const [filter, setFilter] = useState('');
  const [confirm, setConfirm] = useState(null);
  const [done, setDone] = useState(null);
  const nameOf = (code) => (units.data || []).find((u) => u.code === code)?.name || code;
  const rows = (receivers.data || []).filter(
    (r) => !filter || r.unit === filter || (filter === 'offline' && !r.online),
  );
  const act = async () => {
    const c = confirm;
    setConfirm(null);
    try {
      await api.call(c.method, { id: c.id });
      receivers.reload();
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h2>${t('rx.heading')}</h2>
    <${ErrorBox} error=${error || receivers.error} />
    <div class="toolbar"><label>${t('rx.show')}
      <select value=${filter} onChange=${(e) => setFilter(e.target.value)}>
        <option value="">${t('rx.all')}</option>
        <option value="offline">${t('rx.only_offline')}</option>
        ${(units.data || []).map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}
      </select></label></div>
    <div class="table-wrap"><table data-testid="receivers">
      <thead><tr><th>${t('rx.id')}</th><th>${t('rx.unit')}</th><th>${t('rx.state')}</th>
        <th>${t('rx.last_seen')}</th><th>${t('rx.loss')}</th><th>${t('rx.playing')}</th>
        <th>${t('rx.played_level')}</th><th>${t('rx.volume')}</th>${isAdmin(user) && html`<th></th>`}</tr></thead>
      <tbody>${rows.map((r) => html`<tr data-receiver=${r.id}>
        <td><span translate=${false}>${r.id}</span>${r.name && html`<div class="muted small" translate=${false}>${r.name}</div>`}</td>
        <td translate=${false}>${nameOf(r.unit)}</td>
        <td><span class=${`pill ${r.online ? 'ok' : 'bad'}`}>${r.online ? t('rx.online') : t('rx.offline')}</span>
          ${r.online && r.playing && r.status && !r.status.receiving && html`<div class="small bad-text">${t('rx.no_audio')}</div>`}</td>
        <td>${r.last_seen ? dateTime(r.last_seen) : html`<span class="muted">${t('rx.never')}</span>`}</td>
        <td translate=${false}>${(r.loss_percent ?? 0).toFixed(1)}%${r.jitter_ms ? ` · ${r.jitter_ms.toFixed(0)} ms` : ''}</td>
        <td>${r.playing ? html`<span class="pill ok">${t('rx.on_air')}</span>` : html`<span class="muted">${t('rx.silent')}</span>`}</td>
        <td><${PlayedLevel} status=${r.online && r.status} />
          ${r.emergency && html`<div><span class="pill bad">${t('rx.emergency_volume')}</span></div>`}</td>
        <td><${Volume} r=${r} user=${user} onError=${setError} /></td>
        ${isAdmin(user) && html`<td class="actions-cell">
          <button class="secondary" onClick=${() => setConfirm({ method: 'receivers.rekey', id: r.id })}>${t('rx.rekey')}</button>
          <button class="danger" onClick=${() => setConfirm({ method: 'receivers.unprovision', id: r.id })}>${t('rx.unprovision')}</button>
        </td>`}
      </tr>`)}</tbody>
    </table></div>
    ${rows.length === 0 && html`<p class="muted">${t('rx.none')}</p>`}
    ${done && html`<p class="ok-text">${t('rx.provisioned')} <span translate=${false}>${done.id}</span></p>`}
    ${isAdmin(user) && html`<${Provision} units=${unitsActedFor(units.data, user)} onError=${setError}
      onDone=${(r) => { setDone(r); receivers.reload(); }} />`}
    ${confirm && html`<${Confirm} title=${t(confirm.method === 'receivers.rekey' ? 'rx.rekey_confirm' : 'rx.unprovision_confirm')}
      confirmLabel=${t(confirm.method === 'receivers.rekey' ? 'rx.rekey' : 'rx.unprovision')} danger
      onConfirm=${act} onCancel=${() => setConfirm(null)}><span translate=${false}>${confirm.id}</span></${Confirm}>`}
  </section>`;
}
