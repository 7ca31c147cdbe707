// Languages: Vietnamese by default, English as a switch. Every string the console shows comes
// from strings.js through t(); dates and times are shown in the server's configured zone with
// a 24-hour clock.
import { strings } from './strings.js';

const LANG_KEY = 'loa.lang';
export const languages = ['vi', 'en'];
let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';
let zone = 'Asia/Ho_Chi_Minh';
const listeners = new Set();

export function language() {
  return lang;
}

export function setLanguage(next) {
  lang = next === 'en' ? 'en' : 'vi';
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  for (const f of listeners) f(lang);
}

export function onLanguage(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** The server's time zone (server.info), used for every date shown and entered. */
export function setZone(z) {
  if (z) zone = z;
}

export function timeZone() {
  return zone;
}

/** The string `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const pair = strings[key];
  if (!pair) {
    console.warn(`missing string ${key}`);
    return key;
  }
  const text = pair[lang === 'vi' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`).toString());
}

const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');

function format(ms, options) {
  if (ms === null || ms === undefined) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, hourCycle: 'h23', ...options }).format(
    new Date(ms),
  );
}

/** Date and time, e.g. "14:05 22/11/2026" (vi) or "22/11/2026, 14:05" (en). */
export const dateTime = (ms) =>
  format(ms, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
export const dateOnly = (ms) => format(ms, { year: 'numeric', month: '2-digit', day: '2-digit' });
export const timeOnly = (ms) => format(ms, { hour: '2-digit', minute: '2-digit' });
export const weekdayDay = (ms) => format(ms, { weekday: 'short', day: '2-digit', month: '2-digit' });

/** The wall-clock parts of `ms` in the server's zone. */
export function zoneParts(ms) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    weekday: 'short',
  }).formatToParts(new Date(ms));
  const get = (type) => parts.find((p) => p.type === type).value;
  return {
    year: +get('year'),
    month: +get('month'),
    day: +get('day'),
    hour: +get('hour') % 24,
    minute: +get('minute'),
    second: +get('second'),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')),
  };
}

/** Milliseconds of the wall time y-m-d h:mi in the server's zone. */
export function zoneToMs(y, m, d, h = 0, mi = 0) {
  const guess = Date.UTC(y, m - 1, d, h, mi);
  const p = zoneParts(guess);
  const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - guess;
  return guess - offset;
}

const pad = (n) => String(n).padStart(2, '0');

/** "YYYY-MM-DDTHH:MM:SS" wall time in the server's zone, as the API takes it. */
export function localIso(ms) {
  const p = zoneParts(ms);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** Parses "YYYY-MM-DDTHH:MM[:SS]" wall time in the server's zone. */
export function parseLocal(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || '');
  return m ? zoneToMs(+m[1], +m[2], +m[3], +m[4], +m[5]) : null;
}

/** The message for an API error, in the current language, with the server's detail. */
export function errorText(e) {
  const byCode = {
    '-32700': 'error.bad_request',
    '-32600': 'error.bad_request',
    '-32601': 'error.bad_request',
    '-32602': 'error.invalid',
    '-32603': 'error.internal',
    '-32001': 'error.not_found',
    '-32002': 'error.conflict',
    '-32003': 'error.media',
    '-32004': 'error.denied',
    '-1': 'error.connection',
    0: 'error.connection',
    400: 'error.invalid',
    401: 'error.denied',
    403: 'error.denied',
    404: 'error.not_found',
    409: 'error.conflict',
    413: 'error.too_large',
    422: 'error.media',
    500: 'error.internal',
  };
  return t(byCode[String(e.code)] || 'error.internal');
}
