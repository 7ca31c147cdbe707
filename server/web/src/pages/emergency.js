// Emergency: what is on air now with a guarded stop; a new emergency (targets: the province,
// communes, single clusters; source: a typed text, a program, a URL or the live input) that
// starts only after a confirmation; and a stop-all (silence) per unit.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, Confirm, unitsActedFor, mayChange } from '../ui.js';
import { t, dateTime } from '../i18n.js';

function Active({ overrides, onError }) {
  const [stopping, setStopping] = useState(null);
  const stop = async () => {
    const o = stopping;
    setStopping(null);
    try {
      if (o.kind === 'live') await api.call('live.stop', { session: o.id });
      else await api.call(o.kind === 'emergency' ? 'emergency.stop' : 'stop_all.release', { id: o.id });
    } catch (e) {
      onError(e);
    }
  };
  if (overrides.length === 0) return html`<p class="muted" data-testid="no-overrides">${t('em.none')}</p>`;
  return html`<div class="table-wrap"><table data-testid="active-overrides">
    <thead><tr><th>${t('em.kind')}</th><th>${t('em.targets')}</th><th>${t('em.started')}</th><th></th></tr></thead>
    <tbody>${overrides.map((o) => html`<tr>
      <td><span class=${`pill ${o.kind === 'stop_all' ? 'bad' : 'prio-emergency'}`}>${t(`em.kind_${o.kind}`)}</span></td>
      <td translate=${false}>${o.channels.join(', ')}</td>
      <td>${dateTime(o.started_at)} <span class="muted" translate=${false}>${o.started_by}</span></td>
      <td><button class="danger" onClick=${() => setStopping(o)} data-testid="stop-override">
        ${{ emergency: t('em.stop'), live: t('em.stop_live'), stop_all: t('em.release') }[o.kind]}</button></td>
    </tr>`)}</tbody>
  </table>
  ${stopping && html`<${Confirm} title=${t('em.stop_confirm_title')} confirmLabel=${t('em.stop')}
    danger onConfirm=${stop} onCancel=${() => setStopping(null)}>
    ${t('em.stop_confirm_text')} <span translate=${false}>${stopping.channels.join(', ')}</span></${Confirm}>`}
  </div>`;
}

function StartForm({ units, clusters, programs, inputs, onError }) {
  const [picked, setPicked] = useState([]);
  const [pickedClusters, setPickedClusters] = useState([]);
  const [source, setSource] = useState('text');
  const [text, setText] = useState('');
  const [program, setProgram] = useState('');
  const [url, setUrl] = useState('');
  const [input, setInput] = useState('');
  const [title, setTitle] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [started, setStarted] = useState(null);
  const toggle = (list, set, v) => set(list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const params = () => {
    const p = { units: picked, clusters: pickedClusters, title: title || t('em.default_title') };
    if (source === 'text') p.text = text;
    if (source === 'program') p.program = Number(program);
    if (source === 'url') p.url = url;
    if (source === 'live') p.input = input || (inputs[0] && inputs[0].id);
    return p;
  };
  const ready = (picked.length || pickedClusters.length) &&
    ((source === 'text' && text) || (source === 'program' && program) || (source === 'url' && url) ||
     (source === 'live' && inputs.length > 0));
  const start = async () => {
    setConfirming(false);
    try {
      setStarted(await api.call('emergency.start', params()));
    } catch (e) {
      onError(e);
    }
  };
  const names = [...units.filter((u) => picked.includes(u.code)).map((u) => u.name), ...pickedClusters];
  return html`<form class="card emergency-form" onSubmit=${(e) => {
    e.preventDefault();
    setConfirming(true);
  }} data-testid="emergency-form">
    <h3>${t('em.new')}</h3>
    <fieldset><legend>${t('em.targets')}</legend>
      <div class="choices">${units.map((u) => html`<label class="check">
        <input type="checkbox" checked=${picked.includes(u.code)} data-unit=${u.code}
          onChange=${() => toggle(picked, setPicked, u.code)} /><span translate=${false}>${u.name}</span></label>`)}
      </div>
      ${clusters.length > 0 && html`<details><summary>${t('em.single_clusters')}</summary>
        <div class="choices">${clusters.map((c) => html`<label class="check">
          <input type="checkbox" checked=${pickedClusters.includes(c.id)}
            onChange=${() => toggle(pickedClusters, setPickedClusters, c.id)} />
          <span translate=${false}>${c.name || c.id}</span></label>`)}</div></details>`}
    </fieldset>
    <fieldset><legend>${t('em.source')}</legend>
      <div class="choices">${['text', 'program', 'url', 'live'].filter((s) => s !== 'live' || inputs.length > 0)
        .map((s) => html`<label class="check">
        <input type="radio" name="source" checked=${source === s} onChange=${() => setSource(s)} />
        ${t(`em.source_${s}`)}</label>`)}</div>
      ${source === 'text' && html`<textarea name="text" rows="4" value=${text}
        placeholder=${t('em.text_hint')} onInput=${(e) => setText(e.target.value)}></textarea>`}
      ${source === 'program' && html`<select value=${program} onChange=${(e) => setProgram(e.target.value)}>
        <option value="">${t('em.pick_program')}</option>
        ${programs.filter((p) => p.kind === 'file' || p.kind === 'tts').map((p) =>
          html`<option value=${p.id} translate=${false}>${p.title}</option>`)}</select>`}
      ${source === 'url' && html`<input type="url" value=${url} placeholder="http://..."
        onInput=${(e) => setUrl(e.target.value)} />`}
      ${source === 'live' && html`<label>${t('em.input')}<select value=${input}
        onChange=${(e) => setInput(e.target.value)}>${inputs.map((i) =>
          html`<option value=${i.id} translate=${false}>${i.name}</option>`)}</select></label>`}
      <label>${t('em.title_field')}<input value=${title} placeholder=${t('em.default_title')}
        onInput=${(e) => setTitle(e.target.value)} /></label>
    </fieldset>
    <div class="actions"><button type="submit" class="danger big-button" disabled=${!ready}
      data-testid="start-emergency">${t('em.start')}</button></div>
    ${started && html`<p class="ok-text">${t('em.started_ok')}</p>`}
    ${confirming && html`<${Confirm} title=${t('em.confirm_title')} confirmLabel=${t('em.confirm_start')}
      danger onConfirm=${start} onCancel=${() => setConfirming(false)}>
      <p>${t('em.confirm_text')}</p><p translate=${false}><strong>${names.join(', ')}</strong></p></${Confirm}>`}
  </form>`;
}

function StopAll({ units, onError }) {
  const [unit, setUnit] = useState(null);
  const silence = async () => {
    const u = unit;
    setUnit(null);
    try {
      await api.call('stop_all.start', { units: [u.code] });
    } catch (e) {
      onError(e);
    }
  };
  return html`<div class="card">
    <h3>${t('em.stop_all')}</h3>
    <p class="muted">${t('em.stop_all_note')}</p>
    <div class="choices">${units.map((u) => html`<button class="secondary" onClick=${() => setUnit(u)}
      data-stop-all=${u.code}><span translate=${false}>${u.name}</span></button>`)}</div>
    ${unit && html`<${Confirm} title=${t('em.stop_all_confirm')} confirmLabel=${t('em.silence')} danger
      onConfirm=${silence} onCancel=${() => setUnit(null)}><span translate=${false}>${unit.name}</span></${Confirm}>`}
  </div>`;
}

export function Emergency({ user }) {
  const units = useApi('units.list', {}, ['schedule']);
  const clusters = useApi('clusters.list', {}, ['receivers']);
  const programs = useApi('programs.list', {}, ['schedule']);
  const overrides = useApi('overrides.list', {}, ['overrides']);
  const inputs = useApi('live_inputs.list', {}, []);
  const [error, setError] = useState(null);
  const mine = unitsActedFor(units.data, user);
  return html`<section>
    <h2>${t('em.heading')}</h2>
    <${ErrorBox} error=${error || overrides.error} />
    <h3>${t('em.active')}</h3>
    <${Active} overrides=${overrides.data || []} onError=${setError} />
    ${mayChange(user) && html`<div class="cards">
      <${StartForm} units=${mine} clusters=${clusters.data || []} programs=${programs.data || []}
        inputs=${inputs.data || []} onError=${setError} />
      <${StopAll} units=${mine} onError=${setError} />
    </div>`}
  </section>`;
}
