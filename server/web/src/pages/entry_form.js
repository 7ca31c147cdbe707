// The form of one schedule entry: program, start, length, priority class and recurrence. It
// asks the server (entries.create/update with dry_run) while it is filled in, so conflicts
// and quiet hours show before saving.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, ErrorBox, Confirm, DateField, TimeField } from '../ui.js';
import { t, localIso, timeZone } from '../i18n.js';

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** Splits a stored RRULE into the form's recurrence choices. */
function recurrenceOf(rule) {
  if (!rule) return { kind: 'once', days: [], custom: '' };
  if (rule === 'FREQ=DAILY') return { kind: 'daily', days: [], custom: '' };
  const weekly = /^FREQ=WEEKLY;BYDAY=([A-Z,]+)$/.exec(rule);
  if (weekly) return { kind: 'weekly', days: weekly[1].split(','), custom: '' };
  return { kind: 'custom', days: [], custom: rule };
}

function ruleOf(r) {
  if (r.kind === 'daily') return 'FREQ=DAILY';
  if (r.kind === 'weekly') return r.days.length ? `FREQ=WEEKLY;BYDAY=${r.days.join(',')}` : 'FREQ=WEEKLY';
  if (r.kind === 'custom') return r.custom.trim();
  return '';
}

export function EntryForm({ entry, start, unit, units, programs, readOnly, onClose }) {
  const unitObj = units.find((u) => u.code === unit);
  const usable = programs.filter(
    (p) => p.unit === unitObj?.id || p.unit === unitObj?.parent || entry?.program === p.id,
  );
  const [program, setProgram] = useState(entry?.program ?? usable.find((p) => p.approval === 'approved')?.id ?? usable[0]?.id);
  const initial = entry ? entry.start : `${localIso(start).slice(0, 17)}00`;
  const [day, setDay] = useState(initial.slice(0, 10));
  const [time, setTime] = useState(initial.slice(11, 19));
  const [minutes, setMinutes] = useState(entry ? Math.max(1, Math.round(entry.duration_s / 60)) : 15);
  const [priority, setPriority] = useState(entry?.priority || 'normal');
  const [rec, setRec] = useState(recurrenceOf(entry?.rule));
  const [check, setCheck] = useState({ state: 'idle' });
  const [error, setError] = useState(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const timer = useRef(null);
  const params = () => ({
    ...(entry ? { id: entry.id } : {}),
    program: Number(program),
    start: `${day}T${time}`,
    duration_s: Math.round(Number(minutes) * 60),
    units: entry ? entry.units : [unit],
    clusters: entry ? entry.clusters : [],
    priority,
    time_zone: timeZone(),
    rule: ruleOf(rec),
  });
  const method = entry ? 'entries.update' : 'entries.create';
  useEffect(() => {
    if (readOnly || !program) return;
    clearTimeout(timer.current);
    setCheck({ state: 'checking' });
    timer.current = setTimeout(() => {
      api.call(method, { ...params(), dry_run: true }).then(
        () => setCheck({ state: 'ok' }),
        (e) => setCheck({ state: 'bad', error: e }),
      );
    }, 300);
    return () => clearTimeout(timer.current);
  }, [program, day, time, minutes, priority, JSON.stringify(rec)]);
  const save = async (e) => {
    e.preventDefault();
    try {
      await api.call(method, params());
      onClose();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    try {
      await api.call('entries.delete', { id: entry.id });
      onClose();
    } catch (err) {
      setError(err);
    }
  };
  const toggleDay = (d) =>
    setRec({ ...rec, days: rec.days.includes(d) ? rec.days.filter((x) => x !== d) : [...rec.days, d] });
  return html`<div class="modal-backdrop">
    <form class="modal entry-form" onSubmit=${save} data-testid="entry-form">
      <h3>${entry ? t('entry.edit') : t('entry.new')} <span class="muted" translate=${false}>${unitObj?.name}</span></h3>
      <fieldset disabled=${readOnly}>
        <label>${t('entry.program')}
          <select value=${program} onChange=${(e) => setProgram(e.target.value)} name="program" required>
            ${usable.map((p) => html`<option value=${p.id}>${p.title} (${t(`approval.${p.approval}`)})</option>`)}
          </select></label>
        ${usable.length === 0 && html`<p class="muted">${t('entry.no_programs')}</p>`}
        <div class="row">
          <${DateField} label=${t('entry.day')} name="day" value=${day} onValue=${setDay} />
          <${TimeField} label=${t('entry.start')} name="time" value=${time} onValue=${setTime} />
          <label>${t('entry.minutes')}
            <input type="number" name="minutes" min="1" max="1440" value=${minutes} required
              onInput=${(e) => setMinutes(e.target.value)} /></label>
        </div>
        <label>${t('entry.priority')}
          <select value=${priority} onChange=${(e) => setPriority(e.target.value)} name="priority">
            ${['normal', 'priority', 'emergency'].map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}
          </select></label>
        <label>${t('entry.repeat')}
          <select value=${rec.kind} onChange=${(e) => setRec({ ...rec, kind: e.target.value })} name="repeat">
            ${['once', 'daily', 'weekly', 'custom'].map((k) => html`<option value=${k}>${t(`repeat.${k}`)}</option>`)}
          </select></label>
        ${rec.kind === 'weekly' && html`<div class="weekdays">
          ${WEEKDAYS.map((d, i) => html`<label class="check"><input type="checkbox"
            checked=${rec.days.includes(d)} onChange=${() => toggleDay(d)} />${t(`weekday.${i}`)}</label>`)}
        </div>`}
        ${rec.kind === 'custom' && html`<label>${t('entry.rrule')}
          <input name="rrule" value=${rec.custom} placeholder="FREQ=WEEKLY;BYDAY=MO,WE,FR"
            onInput=${(e) => setRec({ ...rec, custom: e.target.value })} /></label>`}
        <p class="muted small">${t('entry.zone', { zone: timeZone() })}</p>
      </fieldset>
      ${!readOnly && html`<div class=${`check-result ${check.state}`} data-testid="entry-check">
        ${check.state === 'checking' && t('entry.checking')}
        ${check.state === 'ok' && t('entry.check_ok')}
        ${check.state === 'bad' && html`<${ErrorBox} error=${check.error} />`}
      </div>`}
      <${ErrorBox} error=${error} />
      <div class="actions">
        ${entry && !readOnly && html`<button type="button" class="danger"
          onClick=${() => setConfirmDelete(true)}>${t('entry.delete')}</button>`}
        <button type="button" class="secondary" onClick=${onClose}>${t('common.close')}</button>
        ${!readOnly && html`<button type="submit" disabled=${check.state === 'bad'} data-testid="entry-save">
          ${t('common.save')}</button>`}
      </div>
      ${confirmDelete && html`<${Confirm} title=${t('entry.delete_confirm')} danger
        confirmLabel=${t('entry.delete')} onConfirm=${remove} onCancel=${() => setConfirmDelete(false)}>
        ${t('entry.delete_note')}</${Confirm}>`}
    </form>
  </div>`;
}
