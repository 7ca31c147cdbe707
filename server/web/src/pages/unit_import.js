// The national list of administrative units on the console (province admins): a CSV file is
// read in the browser, previewed (a dry run: what would be added, renamed and retired, and the
// problems), then applied from a date.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, ErrorBox, DateField } from '../ui.js';
import { t, localIso } from '../i18n.js';

function Plan({ plan }) {
  return html`<div data-testid="import-plan">
    <p>${t(plan.dry_run ? 'import.would' : 'import.done', {
      changes: plan.changes.length, unchanged: plan.unchanged, others: plan.other_provinces })}</p>
    ${plan.changes.length > 0 && html`<ul data-testid="import-changes">${plan.changes.map((c) => html`<li
      data-change=${c.kind} data-code=${c.code}>${t(`import.${c.kind}`)}${' '}<span translate=${false}>${c.code}${' '}${c.old_name ? `${c.old_name} → ${c.name}` : c.name}</span></li>`)}</ul>`}
    ${plan.problems.length > 0 && html`<p>${t('import.problems')}</p>
      <ul class="error" data-testid="import-problems">${plan.problems.map((p) => html`<li translate=${false}>${p}</li>`)}</ul>`}
  </div>`;
}

/** The import form; `onDone` after a list was applied. */
export function ImportUnits({ onDone }) {
  const [csv, setCsv] = useState('');
  const [date, setDate] = useState(localIso(Date.now()).slice(0, 10));
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState(null);
  const run = async (dryRun) => {
    setError(null);
    try {
      setPlan(await api.call('units.import', { csv, date, dry_run: dryRun }));
      if (!dryRun) onDone();
    } catch (err) {
      setPlan(null);
      setError(err);
    }
  };
  // Any change to the form outdates its preview.
  const changed = (set) => (value) => { setPlan(null); set(value); };
  const pick = async (e) => {
    setPlan(null);
    const file = e.target.files[0];
    setCsv(file ? await file.text() : '');
  };
  return html`<form class="card" data-testid="import-units"
    onSubmit=${(e) => { e.preventDefault(); run(true); }}>
    <h3>${t('import.heading')}</h3>
    <p class="muted small">${t('import.hint')}</p>
    <div class="inline">
      <input type="file" name="list" accept=".csv,text/csv" aria-label=${t('import.file')} onChange=${pick} />
      <${DateField} label=${t('units.from')} name="date" value=${date}
        onValue=${changed(setDate)} />
      <button type="submit" class="secondary" disabled=${!csv}>${t('merge.preview')}</button>
      ${plan?.dry_run && plan.problems.length === 0 && plan.changes.length > 0 && html`<button type="button"
        class="danger" data-testid="import-confirm" onClick=${() => run(false)}>${t('import.apply')}</button>`}
    </div>
    <${ErrorBox} error=${error} />
    ${plan && html`<${Plan} plan=${plan} />`}
  </form>`;
}
