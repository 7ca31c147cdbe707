// Administrative units through reorganisations: each with the names it bore before, what was
// merged into it, renamed and merged by admins from a date, or changed by the national list; found by any code or name, old or new, with or
// without diacritics.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, isAdmin, DateField } from '../ui.js';
import { t, localIso } from '../i18n.js';
import { MergeUnits } from './unit_merge.js';
import { ImportUnits } from './unit_import.js';

/** The days a former name was borne: its first and its last (the day before the next began). */
function period(n) {
  const last = new Date(Date.parse(`${n.valid_to}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);
  return t('units.period', { from: n.valid_from, to: last });
}

function Former({ names }) {
  if (!names.length) return '';
  return html`<span class="muted small" data-testid="former-names">${t('units.formerly')}${names.map((n, i) =>
    html`${i ? '; ' : ' '}<span translate=${false}>${n.name} (${n.code})</span>${' '}${period(n)}`)}</span>`;
}

function Rename({ unit, onDone, onError }) {
  const [name, setName] = useState('');
  const [date, setDate] = useState(localIso(Date.now()).slice(0, 10));
  const submit = async (e) => {
    e.preventDefault();
    try {
      await api.call('units.rename', { unit: unit.code, name, date });
      onDone();
    } catch (err) {
      onError(err);
    }
  };
  return html`<form class="inline" onSubmit=${submit} data-testid=${`rename-${unit.code}`}>
    <input name="name" value=${name} required maxlength="200" aria-label=${t('units.new_name')}
      placeholder=${t('units.new_name')} onInput=${(e) => setName(e.target.value)} />
    <${DateField} label=${t('units.from')} name="date" value=${date} onValue=${setDate} />
    <button type="submit" class="secondary">${t('units.rename')}</button>
  </form>`;
}

function Search() {
  const [text, setText] = useState('');
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      setFound(await api.call('units.find', { text }));
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${submit} data-testid="unit-search">
    <div class="inline">
      <input name="text" value=${text} required maxlength="100" aria-label=${t('units.search')}
        placeholder=${t('units.search_hint')} onInput=${(e) => setText(e.target.value)} />
      <button type="submit">${t('units.search')}</button>
    </div>
    <${ErrorBox} error=${error} />
    ${found && (found.length === 0 ? html`<p class="muted" data-testid="no-units-found">${t('units.none_found')}</p>`
      : html`<ul data-testid="units-found">${found.map((f) => html`<li data-found=${f.unit.code}>
        <span translate=${false}>${f.matched.name} (${f.matched.code})</span>
        ${f.matched.valid_to && html`${' '}<span class="muted">${period(f.matched)}</span>`}
        ${f.matched.name !== f.unit.name && html`${' → '}<span translate=${false}>${f.unit.name}</span>`}
        ${f.now && html`${' '}<span data-testid="now-in">${t('units.now_in')}${' '}<span translate=${false}>${f.now.name} (${f.now.code})</span></span>`}
      </li>`)}</ul>`)}
  </form>`;
}

export function Units({ user }) {
  const units = useApi('units.list', {}, ['schedule']);
  const [error, setError] = useState(null);
  const all = units.data || [];
  const byId = new Map(all.map((u) => [u.id, u]));
  const admin = isAdmin(user) && (!user.units || user.units.length === 0);
  return html`<section>
    <h2>${t('units.heading')}</h2>
    <${ErrorBox} error=${error || units.error} />
    <${Search} />
    <div class="table-wrap"><table data-testid="units">
      <thead><tr><th>${t('units.code')}</th><th>${t('units.name')}</th><th>${t('units.state')}</th>
        ${admin && html`<th></th>`}</tr></thead>
      <tbody>${all.map((u) => html`<tr data-unit=${u.code}>
        <td translate=${false}>${u.code}</td>
        <td><span translate=${false} data-testid="unit-name">${u.name}</span>
          ${u.former_names.length > 0 && html`<br /><${Former} names=${u.former_names} />`}</td>
        <td>${u.merged_into ? html`<span class="pill">${t('units.merged_into', { date: u.valid_to })}</span>${' '}<span
            translate=${false}>${byId.get(u.merged_into)?.name || ''}</span>`
          : u.valid_to ? html`<span class="pill">${t('units.ended', { date: u.valid_to })}</span>`
            : html`<span class="pill ok">${t('units.active')}</span>`}</td>
        ${admin && html`<td>${!u.merged_into && !u.valid_to && html`<${Rename} unit=${u}
          onDone=${() => { setError(null); units.reload(); }} onError=${setError} />`}</td>`}
      </tr>`)}</tbody>
    </table></div>
    ${admin && html`<${MergeUnits} active=${all.filter((u) => !u.merged_into && !u.valid_to)}
      onDone=${() => { setError(null); units.reload(); }} />`}
    ${admin && html`<${ImportUnits} onDone=${() => { setError(null); units.reload(); }} />`}
  </section>`;
}
