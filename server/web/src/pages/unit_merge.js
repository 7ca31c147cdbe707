// Merging units on the console (province admins): the units to merge, the one they go into
// (which may keep its code under a new name), a date; a preview (a dry run) shows what would
// move and which entries would collide before anything is saved.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, ErrorBox, DateField } from '../ui.js';
import { t, localIso } from '../i18n.js';

function Outcome({ answer }) {
  const moved = answer.moved;
  return html`<div data-testid="merge-outcome">
    <p>${t(answer.dry_run ? 'merge.would_move' : 'merge.moved', {
      entries: moved.entries.length, programs: moved.programs.length,
      clusters: moved.clusters.length, users: moved.users.length, alarms: moved.alarms })}</p>
    ${answer.collisions.length === 0 ? html`<p class="muted" data-testid="no-collisions">${t('merge.no_collisions')}</p>`
      : html`<p>${t('merge.collisions')}</p><ul data-testid="collisions">${answer.collisions.map((c) =>
        html`<li data-entry=${c.entry}>#${c.entry}: <span translate=${false}>${c.problem}</span></li>`)}</ul>`}
  </div>`;
}

/** The merge form, for the units that still exist (`active`). */
export function MergeUnits({ active, onDone }) {
  const [picked, setPicked] = useState([]);
  const [into, setInto] = useState('');
  const [name, setName] = useState('');
  const [date, setDate] = useState(localIso(Date.now()).slice(0, 10));
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const params = () => ({ units: picked, into, date, ...(name ? { name } : {}) });
  const run = async (dryRun) => {
    setError(null);
    try {
      setAnswer(await api.call('units.merge', { ...params(), dry_run: dryRun }));
      if (!dryRun) {
        setPicked([]);
        onDone();
      }
    } catch (err) {
      setAnswer(null);
      setError(err);
    }
  };
  // Any change to the form outdates its preview.
  const changed = (set) => (value) => { setAnswer(null); set(value); };
  const toggle = changed((code) =>
    setPicked(picked.includes(code) ? picked.filter((c) => c !== code) : [...picked, code]));
  const pickInto = changed((code) => { setInto(code); setPicked(picked.filter((c) => c !== code)); });
  return html`<form class="card" data-testid="merge-units"
    onSubmit=${(e) => { e.preventDefault(); run(true); }}>
    <h3>${t('merge.heading')}</h3>
    <fieldset><legend>${t('merge.units')}</legend>
      <div class="choices">${active.filter((u) => u.code !== into).map((u) => html`<label class="check">
        <input type="checkbox" checked=${picked.includes(u.code)} data-unit=${u.code}
          onChange=${() => toggle(u.code)} /><span translate=${false}>${u.name} (${u.code})</span></label>`)}
      </div>
    </fieldset>
    <div class="inline">
      <label>${t('merge.into')}<select name="into" value=${into} required
        onChange=${(e) => pickInto(e.target.value)}>
        <option value="">—</option>
        ${active.map((u) => html`<option value=${u.code}>${u.name} (${u.code})</option>`)}
      </select></label>
      <input name="name" value=${name} maxlength="200" aria-label=${t('merge.new_name')}
        placeholder=${t('merge.new_name')} onInput=${(e) => changed(setName)(e.target.value)} />
      <${DateField} label=${t('units.from')} name="date" value=${date}
        onValue=${changed(setDate)} />
      <button type="submit" class="secondary" disabled=${!picked.length || !into}>${t('merge.preview')}</button>
      ${answer?.dry_run && html`<button type="button" class="danger" data-testid="merge-confirm"
        onClick=${() => run(false)}>${t('merge.confirm')}</button>`}
    </div>
    <${ErrorBox} error=${error} />
    ${answer && html`<${Outcome} answer=${answer} />`}
  </form>`;
}
