// Speak live: the caller's units or single clusters, the class (normal, priority, or emergency
// for those who may start one), a guarded start; then the browser's microphone over WebRTC
// (the server's answer carries its candidates: no trickle), a level meter and a timer, and a
// stop. Refusals of the microphone and lost connections say what happened; the server ends the
// broadcast and the schedule resumes (docs/live.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html, useApi, ErrorBox, Confirm, unitsActedFor, mayChange } from '../ui.js';
import { t } from '../i18n.js';

/** Waits until the browser has gathered its ICE candidates (bounded: 5 s). */
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, 5000);
  });
}

/** The microphone's level in dBFS, measured every 100 ms; returns the function that stops it. */
function meter(stream, onLevel) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    onLevel(rms > 0 ? Math.max(-60, 20 * Math.log10(rms)) : -60);
  }, 100);
  return () => {
    clearInterval(timer);
    context.close();
  };
}

const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

function OnAir({ live, level, seconds, onStop }) {
  const width = `${Math.round(((level + 60) / 60) * 100)}%`;
  return html`<div class="card live-on" data-testid="live-on">
    <p class="live-badge"><span class="pill prio-emergency">${t('live.on_air')}</span>
      <span class="live-timer" data-testid="live-timer">${clock(seconds)}</span></p>
    <p translate=${false}>${live.channels.join(', ')}</p>
    <div class="meter" role="meter" aria-label=${t('live.level')} aria-valuemin="-60" aria-valuemax="0"
      aria-valuenow=${Math.round(level)} data-testid="live-level" data-level=${Math.round(level)}>
      <div class="meter-bar" style=${{ width }}></div></div>
    <div class="actions"><button class="danger big-button" onClick=${onStop}
      data-testid="stop-live">${t('live.stop')}</button></div>
  </div>`;
}

export function Live({ user }) {
  const units = useApi('units.list', {}, ['schedule']);
  const clusters = useApi('clusters.list', {}, ['receivers']);
  const [picked, setPicked] = useState([]);
  const [pickedClusters, setPickedClusters] = useState([]);
  const [priority, setPriority] = useState('normal');
  const [title, setTitle] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [live, setLive] = useState(null);
  const [level, setLevel] = useState(-60);
  const [seconds, setSeconds] = useState(0);
  const [ended, setEnded] = useState(null);
  const [error, setError] = useState(null);
  const media = useRef(null); // {pc, stream, stopMeter, timer, unlisten}

  const release = () => {
    const m = media.current;
    media.current = null;
    if (!m) return;
    clearInterval(m.timer);
    m.stopMeter?.();
    m.unlisten?.();
    m.stream?.getTracks().forEach((track) => track.stop());
    m.pc?.close();
  };
  const finish = (message) => {
    release();
    setLive(null);
    setEnded(message);
  };
  useEffect(() => () => {
    // Leaving the page ends the broadcast: a microphone is not left open behind the user.
    const session = media.current?.session;
    release();
    if (session) api.call('live.stop', { session }).catch(() => {});
  }, []);

  const start = async () => {
    setConfirming(false);
    setError(null);
    setEnded(null);
    setBusy(true);
    const m = {};
    media.current = m;
    try {
      try {
        m.stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
      } catch (e) {
        throw new Error(t('live.mic_refused'));
      }
      m.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      for (const track of m.stream.getAudioTracks()) m.pc.addTransceiver(track, { direction: 'sendonly' });
      await m.pc.setLocalDescription(await m.pc.createOffer());
      await gathered(m.pc);
      const r = await api.call('live.start', {
        units: picked, clusters: pickedClusters, priority, title, sdp: m.pc.localDescription.sdp,
      });
      m.session = r.session;
      await m.pc.setRemoteDescription({ type: 'answer', sdp: r.sdp });
      m.unlisten = api.on((method, params) => {
        if (method === 'live.state' && params.session === r.session && params.state === 'ended')
          finish(t('live.ended_by_server', { reason: params.reason }));
        if (method === 'api.reconnected') finish(t('live.connection_lost'));
      });
      m.pc.addEventListener('connectionstatechange', () => {
        if (['failed', 'closed'].includes(m.pc?.connectionState)) {
          api.call('live.stop', { session: r.session }).catch(() => {});
          finish(t('live.connection_lost'));
        }
      });
      m.stopMeter = meter(m.stream, setLevel);
      const began = Date.now();
      setSeconds(0);
      m.timer = setInterval(() => setSeconds(Math.floor((Date.now() - began) / 1000)), 1000);
      setLive(r);
    } catch (e) {
      release();
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const stop = async () => {
    const session = media.current?.session;
    try {
      const r = await api.call('live.stop', { session });
      finish(t('live.ended', { program: r.program }));
    } catch (e) {
      finish(null);
      setError(e);
    }
  };

  const mine = unitsActedFor(units.data, user);
  const toggle = (list, set, v) => set(list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const names = [...mine.filter((u) => picked.includes(u.code)).map((u) => u.name), ...pickedClusters];
  const ready = (picked.length > 0 || pickedClusters.length > 0) && !busy;
  if (!mayChange(user)) return html`<section><h2>${t('live.heading')}</h2>
    <p class="muted">${t('live.viewer')}</p></section>`;
  return html`<section>
    <h2>${t('live.heading')}</h2>
    <${ErrorBox} error=${error} />
    ${ended && html`<p class="ok-text" data-testid="live-ended">${ended}</p>`}
    ${live ? html`<${OnAir} live=${live} level=${level} seconds=${seconds} onStop=${stop} />`
      : html`<form class="card live-form" data-testid="live-form" onSubmit=${(e) => {
        e.preventDefault();
        setConfirming(true);
      }}>
      <fieldset><legend>${t('em.targets')}</legend>
        <div class="choices">${mine.map((u) => html`<label class="check">
          <input type="checkbox" checked=${picked.includes(u.code)} data-unit=${u.code}
            onChange=${() => toggle(picked, setPicked, u.code)} /><span translate=${false}>${u.name}</span></label>`)}
        </div>
        ${(clusters.data || []).length > 0 && html`<details><summary>${t('em.single_clusters')}</summary>
          <div class="choices">${clusters.data.map((c) => html`<label class="check">
            <input type="checkbox" checked=${pickedClusters.includes(c.id)}
              onChange=${() => toggle(pickedClusters, setPickedClusters, c.id)} />
            <span translate=${false}>${c.name || c.id}</span></label>`)}</div></details>`}
      </fieldset>
      <label>${t('live.priority')}<select value=${priority} data-testid="live-priority"
        onChange=${(e) => setPriority(e.target.value)}>
        ${['normal', 'priority', 'emergency'].map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}
      </select></label>
      <p class="muted small">${t('live.priority_note')}</p>
      <label>${t('em.title_field')}<input value=${title} placeholder=${t('live.default_title')}
        onInput=${(e) => setTitle(e.target.value)} /></label>
      <div class="actions"><button type="submit" class=${`big-button ${priority === 'emergency' ? 'danger' : ''}`}
        disabled=${!ready} data-testid="start-live">${busy ? t('live.connecting') : t('live.start')}</button></div>
    </form>`}
    ${confirming && html`<${Confirm} title=${t('live.confirm_title')} confirmLabel=${t('live.confirm_start')}
      danger=${priority === 'emergency'} onConfirm=${start} onCancel=${() => setConfirming(false)}>
      <p>${t('live.confirm_text', { priority: t(`priority.${priority}`) })}</p>
      <p translate=${false}><strong>${names.join(', ')}</strong></p></${Confirm}>`}
  </section>`;
}
