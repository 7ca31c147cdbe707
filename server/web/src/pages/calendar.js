// Calendar of a unit's schedule: week and day views of the occurrences (entries.occurrences),
// a click on a free slot creates an entry there, a click on an occurrence edits its entry.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, useApi, ErrorBox, unitsActedFor, mayChange } from '../ui.js';
import { t, weekdayDay, timeOnly, zoneParts, zoneToMs, language } from '../i18n.js';
import { EntryForm } from './entry_form.js';

const DAY = 24 * 3600 * 1000;
const HOUR_PX = 40;

/** Midnight (server zone) of the day holding `ms`, and of the Monday of its week. */
function dayStart(ms) {
  const p = zoneParts(ms);
  return zoneToMs(p.year, p.month, p.day);
}
function weekStart(ms) {
  const p = zoneParts(ms);
  return zoneToMs(p.year, p.month, p.day - p.weekday);
}

/** "22:00-05:00", or that there are none (equal ends). */
function quietHours(hours) {
  const [from, to] = hours.split('-');
  return from === to ? t('cal.no_quiet_hours') : t('cal.quiet_hours', { hours });
}

export function Calendar({ user }) {
  const units = useApi('units.list', {}, ['schedule']);
  const mine = unitsActedFor(units.data, user);
  const seen = mine;
  const [unit, setUnit] = useState(null);
  const [view, setView] = useState('week');
  const [anchor, setAnchor] = useState(Date.now());
  const [editing, setEditing] = useState(null);
  const code = unit || mine[0]?.code || seen[0]?.code;
  const scroller = useRef(null);
  useEffect(() => {
    // Open on the hours around now rather than at midnight.
    if (scroller.current) scroller.current.scrollTop = Math.max(0, zoneParts(Date.now()).hour - 1) * HOUR_PX;
  }, []);
  const from = view === 'week' ? weekStart(anchor) : dayStart(anchor);
  const days = view === 'week' ? 7 : 1;
  const to = from + days * DAY + 2 * 3600 * 1000; // DST-proof: cut by day below
  const occ = useApi('entries.occurrences', { from_ms: from, to_ms: to }, ['schedule']);
  const programs = useApi('programs.list', {}, ['schedule']);
  const entries = useApi('entries.list', {}, ['schedule']);
  const unitObj = (units.data || []).find((u) => u.code === code);
  const parent = unitObj && (units.data || []).find((u) => u.id === unitObj.parent);
  // What reaches this unit: its own entries and those of the province above it.
  const reaches = (o) => o.units.includes(code) || (parent && o.units.includes(parent.code));
  const shown = (occ.data || []).filter(reaches);
  const dayStarts = [];
  for (let i = 0; i < days; i++) dayStarts.push(dayStart(from + i * DAY + 3 * 3600 * 1000));
  const canEdit = mayChange(user) && mine.some((u) => u.code === code);
  const step = (n) => setAnchor(anchor + n * days * DAY);
  const openSlot = (start) => canEdit && setEditing({ start, unit: code });
  const openEntry = (o) => {
    const entry = (entries.data || []).find((e) => e.id === o.entry);
    if (entry) setEditing({ entry, unit: code, readOnly: !canEdit || !o.units.includes(code) });
  };
  return html`<section class="calendar">
    <h2>${t('cal.title')}</h2>
    <${ErrorBox} error=${units.error || occ.error} />
    <div class="toolbar">
      <label>${t('cal.unit')}
        <select value=${code} onChange=${(e) => setUnit(e.target.value)} data-testid="cal-unit">
          ${seen.map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}
        </select></label>
      <div class="group">
        <button class=${view === 'week' ? 'on' : 'secondary'} onClick=${() => setView('week')}>
          ${t('cal.week')}</button>
        <button class=${view === 'day' ? 'on' : 'secondary'} onClick=${() => setView('day')}>
          ${t('cal.day')}</button>
      </div>
      <div class="group">
        <button class="secondary" onClick=${() => step(-1)} aria-label=${t('cal.previous')}>‹</button>
        <button class="secondary" onClick=${() => setAnchor(Date.now())}>${t('cal.today')}</button>
        <button class="secondary" onClick=${() => step(1)} aria-label=${t('cal.next')}>›</button>
      </div>
      ${canEdit && html`<button onClick=${() => openSlot(Math.ceil(Date.now() / 900000) * 900000 + 900000)}
        data-testid="new-entry">${t('cal.new_entry')}</button>`}
    </div>
    ${unitObj && html`<p class="muted small">${quietHours(unitObj.quiet_hours)}</p>`}
    <div class="grid-wrap" ref=${scroller}>
      <div class=${`grid days-${days}`} lang=${language()}>
        <div class="hours">
          <div class="head"></div>
          ${Array.from({ length: 24 }, (_, h) => html`<div class="hour">${String(h).padStart(2, '0')}:00</div>`)}
        </div>
        ${dayStarts.map((start, i) => {
          const end = i + 1 < dayStarts.length ? dayStarts[i + 1] : dayStart(start + DAY + 3 * 3600 * 1000);
          const items = shown.filter((o) => o.start_ms < end && o.end_ms > start);
          return html`<div class="day">
            <div class="head">${weekdayDay(start + 12 * 3600 * 1000)}</div>
            <div class="slots" style=${`height:${24 * HOUR_PX}px`}>
              ${Array.from({ length: 48 }, (_, s) => html`<div class="slot"
                data-slot=${`${i}-${s}`} onClick=${() => openSlot(start + s * 1800000)}></div>`)}
              ${items.map((o) => {
                const top = Math.max(0, (o.start_ms - start) / 3600000) * HOUR_PX;
                const bottom = Math.min(24, (o.end_ms - start) / 3600000) * HOUR_PX;
                return html`<button class=${`occurrence prio-${o.priority}`} data-entry=${o.entry}
                  style=${`top:${top}px;height:${Math.max(14, bottom - top)}px`}
                  onClick=${(e) => {
                    e.stopPropagation();
                    openEntry(o);
                  }}>
                  <span>${timeOnly(o.start_ms)}</span> <span translate=${false}>${o.title}</span>
                </button>`;
              })}
            </div>
          </div>`;
        })}
      </div>
    </div>
    ${editing && html`<${EntryForm} ...${editing} units=${units.data || []} programs=${programs.data || []}
      onClose=${() => setEditing(null)} />`}
  </section>`;
}
