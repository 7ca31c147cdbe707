// The console's only way to the server: the public JSON-RPC API over the WebSocket
// /api/v1/ws (requests and live notifications) and the REST routes of docs/api.md.
// The session token is kept in localStorage so that a reload or a reconnect resumes it.

const TOKEN_KEY = 'loa.token';

/** An error answered by the server: `code` is the JSON-RPC code (or the HTTP status). */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** One connection to the API, reconnecting by itself with backoff. */
class Api {
  constructor() {
    this.token = localStorage.getItem(TOKEN_KEY) || '';
    this.user = null;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set(); // (method, params) => void, for notifications
    this.stateListeners = new Set(); // (state) => void: 'connecting', 'open', 'closed'
    this.queue = [];
    this.backoff = 500;
    this.state = 'closed';
    this.ws = null;
  }

  /** Opens the connection (once); resolves when it is open. */
  connect() {
    if (this.ws) return this.opened;
    this.setState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.opened = new Promise((resolve) => {
      ws.onopen = async () => {
        this.backoff = 500;
        this.setState('open');
        resolve();
        if (this.token) {
          try {
            const r = await this.send('auth.resume', { token: this.token });
            this.user = r.user;
            await this.send('subscribe', {});
          } catch (e) {
            this.forget();
          }
        }
        this.emit('session.changed', { user: this.user });
        // What changed while the connection was down is read again by every page.
        if (this.connectedBefore) this.emit('api.reconnected', {});
        this.connectedBefore = true;
      };
    });
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = () => {
      this.ws = null;
      for (const { reject } of this.pending.values())
        reject(new ApiError(-1, 'connection lost'));
      this.pending.clear();
      this.track();
      this.setState('closed');
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, 10000);
      setTimeout(() => this.connect(), wait);
    };
    return this.opened;
  }

  setState(state) {
    this.state = state;
    for (const f of this.stateListeners) f(state);
  }

  receive(text) {
    let messages;
    try {
      messages = JSON.parse(text);
    } catch {
      return;
    }
    for (const m of Array.isArray(messages) ? messages : [messages]) {
      if (m.id !== undefined && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        this.track();
        if (m.error) reject(new ApiError(m.error.code, m.error.message));
        else resolve(m.result);
      } else if (m.method) {
        this.emit(m.method, m.params || {});
      }
    }
  }

  emit(method, params) {
    for (const f of this.listeners) f(method, params);
  }

  /** How many calls await their answer, also on <html data-pending> (tests wait for 0). */
  track() {
    document.documentElement.dataset.pending = String(this.pending.size);
  }

  send(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (v) => (this.track(), resolve(v)),
        reject: (e) => (this.track(), reject(e)),
      });
      this.track();
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params || {} }));
    });
  }

  /** Calls a method; waits for the connection if it is down. */
  async call(method, params) {
    await this.connect();
    try {
      return await this.send(method, params);
    } catch (e) {
      if (e.code === -32004 && /session has ended|log in/.test(e.message) && this.user) {
        this.forget();
        this.emit('session.changed', { user: null });
      }
      throw e;
    }
  }

  async login(name, password) {
    const r = await this.call('auth.login', { name, password });
    this.token = r.token;
    this.user = r.user;
    localStorage.setItem(TOKEN_KEY, r.token);
    await this.call('subscribe', {});
    this.emit('session.changed', { user: this.user });
    return r.user;
  }

  async logout() {
    try {
      await this.call('auth.logout', {});
    } finally {
      this.forget();
      this.emit('session.changed', { user: null });
    }
  }

  forget() {
    this.token = '';
    this.user = null;
    localStorage.removeItem(TOKEN_KEY);
  }

  /** Listens to notifications; returns the function that stops listening. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener) {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** A REST call with the session's bearer token; JSON errors become ApiError(status). */
  async rest(path, options = {}) {
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${this.token}` };
    const response = await fetch(path, { ...options, headers });
    if (!response.ok) {
      let message = response.statusText;
      try {
        message = (await response.json()).error || message;
      } catch {
        // not JSON: keep the status text
      }
      throw new ApiError(response.status, message);
    }
    return response;
  }

  /** Uploads a file as a program; `progress(fraction)` follows the bytes sent. */
  upload(unit, title, file, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const query = `unit=${encodeURIComponent(unit)}&title=${encodeURIComponent(title)}`;
      xhr.open('POST', `/api/v1/programs?${query}`);
      xhr.setRequestHeader('Authorization', `Bearer ${this.token}`);
      xhr.upload.onprogress = (e) => e.lengthComputable && progress(e.loaded / e.total);
      xhr.onload = () => {
        let body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // keep {}
        }
        if (xhr.status === 201) {
          progress(1);
          resolve(body);
        } else reject(new ApiError(xhr.status, body.error || xhr.statusText));
      };
      xhr.onerror = () => reject(new ApiError(0, 'network error'));
      xhr.send(file);
    });
  }

  /**
   * A URL for <audio> and downloads, which send no headers: it carries a ticket good for this
   * path for a minute (auth.ticket), never the session token.
   */
  async signed(path, query = '') {
    const { ticket } = await this.call('auth.ticket', { path });
    return `${path}?${query ? `${query}&` : ''}ticket=${encodeURIComponent(ticket)}`;
  }
}

export const api = new Api();
