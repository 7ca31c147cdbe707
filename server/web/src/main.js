// The console's shell: login, the navigation, the language switch and the page of the
// location's hash (#/dashboard, #/calendar, ...).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { language, setLanguage, onLanguage, setZone, t, errorText } from './i18n.js';
import { html, isAdmin } from './ui.js';
import { Dashboard } from './pages/dashboard.js';
import { Calendar } from './pages/calendar.js';
import { Programs } from './pages/programs.js';
import { Emergency } from './pages/emergency.js';
import { Live } from './pages/live.js';
import { Receivers } from './pages/receivers.js';
import { AsRun } from './pages/as_run.js';
import { Users } from './pages/users.js';
import { Backups } from './pages/backups.js';
import { Units } from './pages/units.js';
import { Listen } from './pages/listen.js';
import { Alarms, AlarmBadge } from './pages/alarms.js';
import { Reports } from './pages/reports.js';

const pages = [
  { path: 'dashboard', label: 'nav.dashboard', page: Dashboard },
  { path: 'calendar', label: 'nav.calendar', page: Calendar },
  { path: 'programs', label: 'nav.programs', page: Programs },
  { path: 'emergency', label: 'nav.emergency', page: Emergency },
  { path: 'live', label: 'nav.live', page: Live },
  { path: 'receivers', label: 'nav.receivers', page: Receivers },
  { path: 'alarms', label: 'nav.alarms', page: Alarms },
  { path: 'as-run', label: 'nav.as_run', page: AsRun },
  { path: 'reports', label: 'nav.reports', page: Reports },
  { path: 'listen', label: 'nav.listen', page: Listen },
  { path: 'units', label: 'nav.units', page: Units },
  { path: 'users', label: 'nav.users', page: Users, admin: true },
  { path: 'backups', label: 'nav.backups', page: Backups, admin: true },
];

const route = () => (location.hash.replace(/^#\/?/, '') || 'dashboard').split('?')[0];

function LanguageSwitch() {
  return html`<div class="lang" role="group" aria-label=${t('lang.label')}>
    <button class=${language() === 'vi' ? 'on' : ''} onClick=${() => setLanguage('vi')}
      data-testid="lang-vi">${t('lang.vi')}</button>
    <button class=${language() === 'en' ? 'on' : ''} onClick=${() => setLanguage('en')}
      data-testid="lang-en">${t('lang.en')}</button>
  </div>`;
}

function Login({ info }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(name, password);
    } catch (err) {
      setError(err.code === -32004 ? t('login.failed') : errorText(err));
    }
    setBusy(false);
  };
  return html`<main class="login">
    <form onSubmit=${submit} class="card">
      <h1>${t('app.title')}</h1>
      <p class="muted">${t('login.intro')}</p>
      ${info?.province && html`<p class="province" translate=${false}>${info.province}</p>`}
      <label>${t('login.name')}<input name="name" autocomplete="username" value=${name}
        onInput=${(e) => setName(e.target.value)} required /></label>
      <label>${t('login.password')}<input name="password" type="password"
        autocomplete="current-password" value=${password}
        onInput=${(e) => setPassword(e.target.value)} required /></label>
      ${error && html`<div class="error" role="alert">${error}</div>`}
      <button type="submit" disabled=${busy}>${t('login.submit')}</button>
      <${LanguageSwitch} />
    </form>
  </main>`;
}

function Shell({ user, info }) {
  const [path, setPath] = useState(route());
  const [connection, setConnection] = useState(api.state);
  useEffect(() => {
    const f = () => setPath(route());
    window.addEventListener('hashchange', f);
    const off = api.onState(setConnection);
    return () => {
      window.removeEventListener('hashchange', f);
      off();
    };
  }, []);
  const visible = pages.filter((p) => !p.admin || isAdmin(user));
  const current = visible.find((p) => p.path === path) || visible[0];
  const Page = current.page;
  return html`<div class="shell">
    <header>
      <a class="brand" href="#/dashboard">${t('app.title')}</a>
      <nav>
        ${visible.map(
          (p) => html`<a href=${`#/${p.path}`} class=${p === current ? 'on' : ''}
            data-page=${p.path}>${t(p.label)}</a>`,
        )}
      </nav>
      <div class="who">
        ${connection !== 'open' && html`<span class="offline-badge">${t('app.reconnecting')}</span>`}
        <${AlarmBadge} />
        <span translate=${false} class="user-name">${user.name}</span>
        <span class="muted">${t(`role.${user.role}`)}</span>
        <${LanguageSwitch} />
        <button class="secondary" onClick=${() => api.logout()} data-testid="logout">
          ${t('login.logout')}</button>
      </div>
    </header>
    <main data-page=${current.path}><${Page} user=${user} info=${info} /></main>
  </div>`;
}

function App() {
  const [user, setUser] = useState(api.user);
  const [ready, setReady] = useState(false);
  const [info, setInfo] = useState(null);
  const [, setLang] = useState(language());
  useEffect(() => {
    const off = api.on((method, params) => {
      if (method === 'session.changed') {
        setUser(params.user);
        setReady(true);
      }
    });
    const offLang = onLanguage(setLang);
    api.connect().then(async () => {
      const i = await api.call('server.info', {});
      setZone(i.time_zone);
      setInfo(i);
      if (!api.token) setReady(true);
    });
    return () => {
      off();
      offLang();
    };
  }, []);
  if (!ready || !info) return html`<div class="loading">${t('app.loading')}</div>`;
  return user ? html`<${Shell} user=${user} info=${info} />` : html`<${Login} info=${info} />`;
}

document.documentElement.lang = language();
render(html`<${App} />`, document.getElementById('app'));
