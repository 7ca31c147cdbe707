// Users and roles (admins): who may do what for which units; new users, new passwords,
// disabling.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, Confirm } from '../ui.js';
import { t } from '../i18n.js';

const ROLES = ['admin', 'approver', 'manager', 'viewer'];

function NewUser({ units, onDone, onError }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('manager');
  const [picked, setPicked] = useState([]);
  const submit = async (e) => {
    e.preventDefault();
    try {
      await api.call('users.create', { name, password, role, units: picked });
      setName('');
      setPassword('');
      setPicked([]);
      onDone();
    } catch (err) {
      onError(err);
    }
  };
  return html`<form class="card" onSubmit=${submit} data-testid="new-user">
    <h3>${t('users.new')}</h3>
    <div class="row">
      <label>${t('users.name')}<input name="name" value=${name} required onInput=${(e) => setName(e.target.value)} /></label>
      <label>${t('users.password')}<input name="password" type="password" minlength="10" value=${password}
        required autocomplete="new-password" onInput=${(e) => setPassword(e.target.value)} /></label>
      <label>${t('users.role')}<select name="role" value=${role} onChange=${(e) => setRole(e.target.value)}>
        ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select></label>
    </div>
    <fieldset><legend>${t('users.units')}</legend><div class="choices">
      ${units.map((u) => html`<label class="check"><input type="checkbox" checked=${picked.includes(u.code)}
        onChange=${() => setPicked(picked.includes(u.code) ? picked.filter((x) => x !== u.code) : [...picked, u.code])} />
        <span translate=${false}>${u.name}</span></label>`)}</div></fieldset>
    <p class="muted small">${t('users.note')}</p>
    <div class="actions"><button type="submit">${t('users.create')}</button></div>
  </form>`;
}

export function Users({ user }) {
  const users = useApi('users.list', {}, []);
  const units = useApi('units.list', {}, ['schedule']);
  const [error, setError] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [password, setPassword] = useState({});
  const [current, setCurrent] = useState('');
  const [ok, setOk] = useState('');
  const live = (units.data || []).filter((u) => !u.merged_into);
  const nameOf = (code) => live.find((u) => u.code === code)?.name || code;
  const disable = async () => {
    const n = confirm;
    setConfirm(null);
    try {
      await api.call('users.disable', { name: n });
      users.reload();
    } catch (e) {
      setError(e);
    }
  };
  const setPass = async (name) => {
    try {
      const p = { name, password: password[name] || '' };
      if (user && name === user.name) p.current = current; // one's own needs the current one
      await api.call('users.set_password', p);
      setPassword({ ...password, [name]: '' });
      setCurrent('');
      setOk(name);
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h2>${t('users.heading')}</h2>
    <${ErrorBox} error=${error || users.error} />
    ${ok && html`<p class="ok-text">${t('users.password_set')} <span translate=${false}>${ok}</span></p>`}
    <div class="table-wrap"><table data-testid="users">
      <thead><tr><th>${t('users.name')}</th><th>${t('users.role')}</th><th>${t('users.units')}</th>
        <th>${t('users.state')}</th><th>${t('users.new_password')}</th><th></th></tr></thead>
      <tbody>${(users.data || []).map((u) => html`<tr data-user=${u.name}>
        <td translate=${false}>${u.name}</td>
        <td>${t(`role.${u.role}`)}</td>
        <td>${u.units.length ? html`<span translate=${false}>${u.units.map(nameOf).join(', ')}</span>` : t('users.whole_province')}</td>
        <td>${u.disabled ? html`<span class="pill bad">${t('users.disabled')}</span>` : html`<span class="pill ok">${t('users.active')}</span>`}</td>
        <td><div class="inline">${user && u.name === user.name && html`<input type="password"
          value=${current} aria-label=${t('users.current_password')} placeholder=${t('users.current_password')}
          autocomplete="current-password" onInput=${(e) => setCurrent(e.target.value)} />`}
          <input type="password" minlength="10" value=${password[u.name] || ''}
          aria-label=${t('users.new_password')} autocomplete="new-password"
          onInput=${(e) => setPassword({ ...password, [u.name]: e.target.value })} />
          <button class="secondary" disabled=${(password[u.name] || '').length < 10}
            onClick=${() => setPass(u.name)}>${t('users.set')}</button></div></td>
        <td>${!u.disabled && html`<button class="danger" onClick=${() => setConfirm(u.name)}>${t('users.disable')}</button>`}</td>
      </tr>`)}</tbody>
    </table></div>
    <${NewUser} units=${live} onDone=${() => users.reload()} onError=${setError} />
    ${confirm && html`<${Confirm} title=${t('users.disable_confirm')} confirmLabel=${t('users.disable')} danger
      onConfirm=${disable} onCancel=${() => setConfirm(null)}><span translate=${false}>${confirm}</span></${Confirm}>`}
  </section>`;
}
