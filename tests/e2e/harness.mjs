// A real Loa for the console's end-to-end tests: loa-server with a fresh state directory and
// its own ports on 127.0.0.1, provisioned loa-receiver processes recording to WAV files, and
// Debian's Chromium driven by playwright-core. Everything is stopped when the test ends.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const build = process.env.LOA_BUILD_DIR || path.resolve(import.meta.dirname, '../../build');
export const binaries = {
  server: path.join(build, 'server/loa-server'),
  receiver: path.join(build, 'clients/loa-receiver'),
  loactl: path.join(build, 'clients/loactl'),
};
/** Where each run leaves its screenshots. */
export const screenshotDir = process.env.LOA_E2E_SCREENSHOTS || path.join(build, 'e2e-screenshots');

const freeTcpPort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const freeUdpPort = () =>
  new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Waits for `check()` to return a truthy value, every 100 ms, at most `ms`. */
export async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const ADMIN_PASSWORD = 'e2e-admin-password';
export const MANAGER_PASSWORD = 'e2e-manager-password';

/**
 * A province "70" with communes 70-001 and 70-002 (no quiet hours, 70-001 needs approval),
 * an admin, a manager of 70-001 ("quan-ly"), and one receiver per unit.
 */
export class Loa {
  /** `settings` adds to the server's configuration, section by section. */
  async start(settings = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'loa-e2e-'));
    this.httpPort = await freeTcpPort();
    this.mediaPort = await freeUdpPort();
    this.url = `http://127.0.0.1:${this.httpPort}`;
    this.processes = [];
    writeFileSync(path.join(this.dir, 'admin-password'), ADMIN_PASSWORD, { mode: 0o600 });
    this.config = path.join(this.dir, 'server.json');
    const config = {
      state_dir: path.join(this.dir, 'state'),
      log_level: 'info',
      http: { port: this.httpPort },
      media: { bind: '127.0.0.1', port: this.mediaPort },
      control: { admin_password_file: path.join(this.dir, 'admin-password') },
      province: {
        code: '70', name: 'Tỉnh Thử Nghiệm', quiet_hours: 'none', approval_required: false,
        communes: [
          { code: '70-001', name: 'Xã Tân Lập', quiet_hours: 'none' },
          { code: '70-002', name: 'Xã Tân Hòa', quiet_hours: 'none', approval_required: false },
        ],
      },
      receivers: [],
    };
    for (const [key, value] of Object.entries(settings))
      config[key] = value && typeof value === 'object' && !Array.isArray(value) ? { ...config[key], ...value } : value;
    writeFileSync(this.config, JSON.stringify(config));
    await this.startServer();
    this.call('users.create', { name: 'quan-ly', password: MANAGER_PASSWORD, role: 'manager', units: ['70-001'] });
    this.receivers = {};
    for (const [id, unit] of [['r-70', '70'], ['r-001', '70-001'], ['r-002', '70-002']])
      this.receivers[id] = this.startReceiver(id, unit);
    await waitFor(() => this.call('receivers.list', {}).filter((r) => r.online).length === 3,
      20000, 'three receivers online');
    return this;
  }

  async startServer() {
    this.server = this.spawn(binaries.server, ['--config', this.config], `server-${this.processes.length}`);
    await waitFor(async () => {
      try {
        return (await fetch(`${this.url}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 20000, 'loa-server to answer /healthz');
  }

  /** Kills the server (SIGKILL, as a crash would) and starts it again on the same state. */
  async restartServer() {
    const exited = new Promise((r) => this.server.on('exit', r));
    this.server.kill('SIGKILL');
    await exited;
    await this.startServer();
  }

  spawn(binary, args, name) {
    const log = path.join(this.dir, `${name}.log`);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('exit', () => writeFileSync(log, Buffer.concat(chunks)));
    this.processes.push(child);
    return child;
  }

  /** One method over the control socket (the server's administrator). */
  call(method, params) {
    const out = execFileSync(binaries.server, ['--config', this.config, '--call', method, JSON.stringify(params)]);
    return JSON.parse(out.toString());
  }

  /** Starts loa-receiver `id` again from its bundle, after it was killed. */
  restartReceiver(id) {
    const r = this.receivers[id];
    const wav = path.join(this.dir, `${id}.wav`);
    r.process = this.spawn(binaries.receiver, ['--provision', r.bundle, '--state-dir',
      path.join(this.dir, 'receivers'), '--output', wav], `${id}-${this.processes.length}`);
  }

  startReceiver(id, unit) {
    const env = { ...process.env, LOA_CONFIG_DIR: path.join(this.dir, 'loactl'), LOA_PASSWORD: ADMIN_PASSWORD };
    const bundle = path.join(this.dir, `${id}.bundle.json`);
    if (!existsSync(path.join(this.dir, 'loactl')))
      execFileSync(binaries.loactl, ['--server', `ws://127.0.0.1:${this.httpPort}`, 'login', 'admin'], { env });
    execFileSync(binaries.loactl, ['provision', id, '--unit', unit, '--out', bundle], { env });
    const wav = path.join(this.dir, `${id}.wav`);
    mkdirSync(path.join(this.dir, 'receivers'), { recursive: true });
    const child = this.spawn(binaries.receiver, ['--provision', bundle, '--state-dir',
      path.join(this.dir, 'receivers'), '--output', wav], `${id}-${this.processes.length}`);
    return { id, unit, wav, bundle, process: child };
  }

  async stop() {
    for (const p of this.processes || []) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all((this.processes || []).map((p) => (p.exitCode !== null ? null : new Promise((r) => p.on('exit', r)))));
  }
}

/** Headless Chromium (Debian's), with `args` added to its command line. */
export async function openBrowser(args = []) {
  return chromium.launch({
    executablePath: process.env.LOA_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required', '--disable-component-update', '--no-first-run',
      ...args],
  });
}

/** A new page logged in as `name`; every page error fails the test through `errors`. */
export async function login(browser, loa, name, password, { lang = 'vi', viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'warning' && /missing string/.test(m.text()) && page.errors.push(m.text()));
  await page.goto(loa.url);
  if (lang === 'en') await page.click('[data-testid=lang-en]');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');
  return page;
}

/** Opens a page of the console by its hash path and waits until it has rendered. */
export async function visit(page, route) {
  await page.evaluate((r) => (location.hash = `#/${r}`), route);
  await page.waitForSelector(`main[data-page="${route}"]`);
  await settled(page);
}

/** Waits until the page's effects have run and every API call they made has its answer. */
export async function settled(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  await page.waitForSelector('html[data-pending="0"]', { state: 'attached' });
}

/** The 16-bit PCM samples of a WAV file recorded by loa-receiver, from byte `from` on. */
export function wavSamples(file, from = 0) {
  const data = readFileSync(file);
  let offset = 12;
  let format = null;
  while (offset + 8 <= data.length) {
    const id = data.toString('ascii', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    if (id === 'fmt ') format = { channels: data.readUInt16LE(offset + 10), rate: data.readUInt32LE(offset + 12) };
    if (id === 'data') {
      const start = Math.max(offset + 8, from);
      const end = data.length - ((data.length - start) % 2);
      const samples = new Int16Array(data.buffer.slice(data.byteOffset + start, data.byteOffset + end));
      return { samples, format, bytes: data.length };
    }
    offset += 8 + size;
  }
  return { samples: new Int16Array(0), format, bytes: data.length };
}

/** Seconds of sound (100 ms windows with an RMS above `threshold`) in samples. */
export function secondsOfSound({ samples, format }, threshold = 500) {
  if (!format) return 0;
  const window = Math.round((format.rate * format.channels) / 10);
  let loud = 0;
  for (let i = 0; i + window <= samples.length; i += window) {
    let sum = 0;
    for (let k = i; k < i + window; k++) sum += samples[k] * samples[k];
    if (Math.sqrt(sum / window) > threshold) loud++;
  }
  return loud / 10;
}

/** The size of a WAV now (the place from which later audio is looked at). */
export const wavSize = (file) => (existsSync(file) ? readFileSync(file).length : 0);

/**
 * A Loa and a browser for the test file, started before its tests and stopped after them;
 * `setup(loa)` may add what the tests need; `settings` adds to the server's configuration;
 * `browserArgs` go on Chromium's command line.
 */
export function useLoa(setup, settings, browserArgs = []) {
  const context = {};
  before(async () => {
    // Kept before it has started, so that a start that fails still stops what it began.
    context.loa = new Loa();
    await context.loa.start(settings);
    context.browser = await openBrowser(browserArgs);
    if (setup) await setup(context.loa);
  });
  after(async () => {
    await context.browser?.close();
    await context.loa?.stop();
  });
  return context;
}
