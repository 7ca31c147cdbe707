// Programs: a typed bulletin (text-to-speech) heard in the browser before it is saved, an
// upload with a progress bar, a relay URL, the list, and the approval queue for approvers.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, unitsActedFor, mayChange, useSigned } from '../ui.js';
import { t } from '../i18n.js';

function UnitSelect({ units, value, onChange, name }) {
  return html`<label>${t('prog.unit')}
    <select name=${name || 'unit'} value=${value} onChange=${(e) => onChange(e.target.value)}>
      ${units.map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}
    </select></label>`;
}

function Bulletin({ units, onSaved }) {
  const [unit, setUnit] = useState(units[0]?.code);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const listen = async () => {
    setBusy('preview');
    setError(null);
    try {
      const r = await api.rest('/api/v1/speech', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      if (preview) URL.revokeObjectURL(preview);
      setPreview(URL.createObjectURL(await r.blob()));
    } catch (e) {
      setError(e);
    }
    setBusy('');
  };
  const save = async (e) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    try {
      const p = await api.call('programs.create', { unit: unit || units[0]?.code, title, text, kind: 'tts' });
      onSaved(p);
      setTitle('');
      setText('');
    } catch (err) {
      setError(err);
    }
    setBusy('');
  };
  return html`<form class="card" onSubmit=${save} data-testid="bulletin-form">
    <h3>${t('prog.bulletin')}</h3>
    <${UnitSelect} units=${units} value=${unit} onChange=${setUnit} />
    <label>${t('prog.title_field')}<input name="title" value=${title} required maxlength="200"
      onInput=${(e) => setTitle(e.target.value)} /></label>
    <label>${t('prog.text')}<textarea name="text" rows="5" value=${text} required maxlength="20000"
      placeholder=${t('prog.text_hint')} onInput=${(e) => setText(e.target.value)}></textarea></label>
    <div class="actions">
      <button type="button" class="secondary" disabled=${!text || busy} onClick=${listen}
        data-testid="preview">${busy === 'preview' ? t('prog.rendering') : t('prog.preview')}</button>
      <button type="submit" disabled=${!text || !title || busy}>${t('prog.save_bulletin')}</button>
    </div>
    ${preview && html`<audio controls autoplay src=${preview} data-testid="preview-audio"></audio>`}
    <${ErrorBox} error=${error} />
  </form>`;
}

function Upload({ units, onSaved }) {
  const [unit, setUnit] = useState(units[0]?.code);
  const [title, setTitle] = useState('');
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const send = async (e) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    setProgress(0);
    try {
      const p = await api.upload(unit || units[0]?.code, title || file.name, file, setProgress);
      setDone(p);
      onSaved(p);
    } catch (err) {
      setError(err);
    }
  };
  const percent = Math.round((progress || 0) * 100);
  return html`<form class="card" onSubmit=${send} data-testid="upload-form">
    <h3>${t('prog.upload')}</h3>
    <${UnitSelect} units=${units} value=${unit} onChange=${setUnit} />
    <label>${t('prog.title_field')}<input name="title" value=${title}
      onInput=${(e) => setTitle(e.target.value)} placeholder=${t('prog.title_from_file')} /></label>
    <label>${t('prog.file')}<input type="file" name="file" accept="audio/*,.ogg,.opus,.mp3,.wav,.flac"
      required onChange=${(e) => setFile(e.target.files[0])} /></label>
    ${progress !== null && html`<div class="progress" role="progressbar" aria-valuenow=${percent}
      aria-valuemin="0" aria-valuemax="100" data-testid="upload-progress">
      <div style=${`width:${percent}%`}></div><span>${percent}%</span></div>`}
    <div class="actions"><button type="submit" disabled=${!file}>${t('prog.send')}</button></div>
    ${done && html`<p class="ok-text" data-testid="upload-done">${t('prog.uploaded', { seconds: Math.round((done.duration_ms || 0) / 1000) })}</p>`}
    ${error && html`<div data-testid="upload-error"><${ErrorBox} error=${error} /></div>`}
  </form>`;
}

function Relay({ units, onSaved }) {
  const [unit, setUnit] = useState(units[0]?.code);
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const [error, setError] = useState(null);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      onSaved(await api.call('programs.create', { unit: unit || units[0]?.code, title, url, kind: 'relay' }));
      setTitle('');
      setUrl('');
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${save}>
    <h3>${t('prog.relay')}</h3>
    <${UnitSelect} units=${units} value=${unit} onChange=${setUnit} />
    <label>${t('prog.title_field')}<input name="title" value=${title} required
      onInput=${(e) => setTitle(e.target.value)} /></label>
    <label>${t('prog.url')}<input name="url" type="url" value=${url} required
      placeholder="http://..." onInput=${(e) => setUrl(e.target.value)} /></label>
    <div class="actions"><button type="submit">${t('prog.save_relay')}</button></div>
    <${ErrorBox} error=${error} />
  </form>`;
}

function ProgramRow({ p, unitName, user, mine, onError, onHear }) {
  const decide = (approval) => api.call('programs.decide', { id: p.id, approval }).catch(onError);
  const approver = user.role === 'approver' || user.role === 'admin';
  const own = mine.some((u) => u.id === p.unit);
  return html`<tr data-program=${p.id}>
    <td translate=${false}>${p.title}${p.kind === 'tts' &&
      html`<div class="muted small clip">${p.source}</div>`}</td>
    <td>${t(`kind.${p.kind}`)}</td>
    <td translate=${false}>${unitName}</td>
    <td translate=${false}>${p.duration_ms ? `${Math.round(p.duration_ms / 1000)} s` : '-'}</td>
    <td><span class=${`pill approval-${p.approval}`}>${t(`approval.${p.approval}`)}</span>
      ${p.decided_by && html`<div class="muted small"><span translate=${false}>${p.decided_by}</span></div>`}</td>
    <td class="actions-cell">
      ${(p.kind === 'file' || p.kind === 'tts') && html`<button class="secondary"
        onClick=${() => onHear(p)} data-testid="hear">${t('prog.hear')}</button>`}
      ${own && mayChange(user) && html`
      ${(p.approval === 'draft' || p.approval === 'rejected') &&
        html`<button class="secondary" onClick=${() => decide('pending')}>${t('prog.submit')}</button>`}
      ${approver && p.approval === 'pending' && html`
        <button onClick=${() => decide('approved')} data-testid="approve">${t('prog.approve')}</button>
        <button class="danger" onClick=${() => decide('rejected')}>${t('prog.reject')}</button>`}`}
    </td>
  </tr>`;
}

export function Programs({ user }) {
  const units = useApi('units.list', {}, ['schedule']);
  const programs = useApi('programs.list', {}, ['schedule']);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [hearing, setHearing] = useState(null);
  const hearSrc = useSigned(hearing ? `/api/v1/programs/${hearing.id}/audio` : '');
  const mine = unitsActedFor(units.data, user);
  const nameOf = (id) => (units.data || []).find((u) => u.id === id)?.name || id;
  const all = [...(programs.data || [])].reverse();
  const pending = all.filter((p) => p.approval === 'pending');
  const approver = user.role === 'approver' || user.role === 'admin';
  const onSaved = (p) => {
    setSaved(p);
    programs.reload();
  };
  const table = (rows, testid) => html`<div class="table-wrap"><table data-testid=${testid}>
    <thead><tr><th>${t('prog.title_field')}</th><th>${t('prog.kind')}</th><th>${t('prog.unit')}</th>
      <th>${t('prog.length')}</th><th>${t('prog.approval')}</th><th></th></tr></thead>
    <tbody>${rows.map((p) => html`<${ProgramRow} p=${p} unitName=${nameOf(p.unit)} user=${user}
      mine=${mine} onError=${setError} onHear=${setHearing} />`)}</tbody></table></div>`;
  return html`<section>
    <h2>${t('prog.heading')}</h2>
    <${ErrorBox} error=${error || programs.error} />
    ${saved && html`<p class="ok-text">${t('prog.saved')} <span translate=${false}>${saved.title}</span>
      — <a href="#/calendar">${t('prog.to_calendar')}</a></p>`}
    ${mayChange(user) && mine.length > 0 && html`<div class="cards">
      <${Bulletin} units=${mine} onSaved=${onSaved} />
      <${Upload} units=${mine} onSaved=${onSaved} />
      <${Relay} units=${mine} onSaved=${onSaved} />
    </div>`}
    ${hearing && html`<div class="card hearing"><strong>${t('prog.hearing')}</strong>
      <span translate=${false}> ${hearing.title}</span>
      ${hearSrc && html`<audio controls autoplay data-testid="hear-audio" src=${hearSrc}></audio>`}</div>`}
    ${approver && html`<h3>${t('prog.queue')} (${pending.length})</h3>
      ${pending.length === 0 ? html`<p class="muted">${t('prog.queue_empty')}</p>` : table(pending, 'queue')}`}
    <h3>${t('prog.all')}</h3>
    ${table(all, 'programs')}
  </section>`;
}
