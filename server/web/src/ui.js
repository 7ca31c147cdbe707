// Shared pieces of the pages: preact with htm, a hook that reads a method and reads it again
// when a notification of its topics arrives, and small widgets.
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { api } from './api.js';
import { errorText, t } from './i18n.js';

export const html = htm.bind(h);

const topicOf = (method) =>
  method.startsWith('receiver.')
    ? 'receivers'
    : method.startsWith('channel.')
      ? 'channels'
      : method.startsWith('emergency.') || method.startsWith('stop_all.')
        ? 'overrides'
        : method.startsWith('schedule.')
          ? 'schedule'
          : method.startsWith('alarm.')
            ? 'alarms'
            : method.startsWith('backup.')
              ? 'backups'
              : '';

/**
 * Calls `method` and again after notifications of one of `topics` (at most every 500 ms, so a
 * province's stream of receiver reports costs two reads a second): the page stays live
 * without polling. Returns {data, error, reload}.
 */
export function useApi(method, params, topics = []) {
  const [state, setState] = useState({ data: null, error: null });
  const key = JSON.stringify([method, params]);
  const timer = useRef(null);
  const load = useCallback(() => {
    if (!method) return;
    api.call(method, params).then(
      (data) => setState({ data, error: null }),
      (error) => setState((s) => ({ data: s.data, error })),
    );
  }, [key]);
  useEffect(() => {
    load();
    const off = api.on((m) => {
      const wanted = m === 'api.reconnected' || topics.includes(topicOf(m));
      if (!wanted || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        load();
      }, 500);
    });
    return () => {
      off();
      clearTimeout(timer.current);
      timer.current = null;
    };
  }, [key]);
  return { ...state, reload: load };
}

/** An error box with the translated headline and the server's own words below. */
/** A ticketed URL of `path` (api.signed) for <audio src>; '' until it is ready or when no path. */
export function useSigned(path) {
  const [url, setUrl] = useState('');
  useEffect(() => {
    let current = true;
    setUrl('');
    if (path) api.signed(path).then((u) => current && setUrl(u), () => current && setUrl(''));
    return () => {
      current = false;
    };
  }, [path]);
  return url;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${errorText(error)}</strong>
    ${error.message && html`<div class="detail" translate=${false}>${error.message}</div>`}
  </div>`;
}

/** A dialog asking to confirm a deliberate action. */
export function Confirm({ title, children, confirmLabel, danger, onConfirm, onCancel }) {
  return html`<div class="modal-backdrop">
    <div class="modal" role="dialog" aria-modal="true">
      <h3>${title}</h3>
      <div>${children}</div>
      <div class="actions">
        <button class="secondary" onClick=${onCancel}>${t('common.cancel')}</button>
        <button class=${danger ? 'danger' : ''} onClick=${onConfirm} data-testid="confirm">
          ${confirmLabel}
        </button>
      </div>
    </div>
  </div>`;
}

/** Units the user may act for (changes), from units.list and the user's scope. */
export function unitsActedFor(units, user) {
  if (!units || !user) return [];
  const live = units.filter((u) => !u.merged_into);
  if (user.role === 'admin' || !user.units || user.units.length === 0) return live;
  const ids = new Set(live.filter((u) => user.units.includes(u.code)).map((u) => u.id));
  return live.filter((u) => ids.has(u.id) || ids.has(u.parent));
}

export const mayChange = (user) => user && user.role !== 'viewer';
export const isAdmin = (user) => user && user.role === 'admin';

/** A small bar chart (SVG) of one series, with a title per bar for hover. */
export function Bars({ values, max, labels, unit, className }) {
  const w = 10;
  const top = Math.max(max || 0, ...values.map((v) => v || 0), 1);
  return html`<svg class=${`bars ${className || ''}`} viewBox=${`0 0 ${values.length * w} 24`}
    preserveAspectRatio="none" role="img">
    ${values.map((v, i) => {
      const height = v === null ? 0 : Math.max(1, (22 * v) / top);
      return html`<rect x=${i * w + 1} y=${24 - height} width=${w - 2} height=${height}
        class=${v === null ? 'none' : ''}><title>${`${labels[i]}: ${v ?? '-'} ${unit}`}</title></rect>`;
    })}
  </svg>`;
}

/** Saves text as a file in the browser. */
export function download(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

const pad2 = (n) => String(n).padStart(2, '0');

/**
 * A date typed as dd/mm/yyyy (as Vietnam writes it, whatever the browser's locale); `value`
 * and `onValue` use ISO "YYYY-MM-DD". Native date inputs follow the browser's locale instead.
 */
export function DateField({ value, onValue, name, label }) {
  const [text, setText] = useState(null);
  const [y, m, d] = (value || '').split('-');
  const shown = text ?? (value ? `${d}/${m}/${y}` : '');
  const parse = (s) => {
    const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s.trim());
    return match ? `${match[3]}-${pad2(match[2])}-${pad2(match[1])}` : null;
  };
  return html`<label>${label}<input name=${name} value=${shown} placeholder="dd/mm/yyyy"
    inputmode="numeric" pattern="\\d{1,2}/\\d{1,2}/\\d{4}" required
    onInput=${(e) => {
      setText(e.target.value);
      const iso = parse(e.target.value);
      if (iso) onValue(iso);
    }} onBlur=${() => setText(null)} /></label>`;
}

/** A time of day typed on a 24-hour clock, HH:MM or HH:MM:SS. */
export function TimeField({ value, onValue, name, label }) {
  const [text, setText] = useState(null);
  return html`<label>${label}<input name=${name} value=${text ?? value} placeholder="HH:MM"
    inputmode="numeric" pattern="\\d{1,2}:\\d{2}(:\\d{2})?" required
    onInput=${(e) => {
      setText(e.target.value);
      const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(e.target.value.trim());
      if (match && +match[1] < 24 && +match[2] < 60 && +(match[3] || 0) < 60)
        onValue(`${pad2(match[1])}:${match[2]}:${match[3] || '00'}`);
    }} onBlur=${() => setText(null)} /></label>`;
}
