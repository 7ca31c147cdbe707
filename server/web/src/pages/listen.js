// Listen-in: plays in the browser what a channel is sending right now (an Ogg/Opus stream of
// the channel from /api/v1/channels/CODE/listen.ogg).
import { useState } from 'preact/hooks';
import { html, useApi, ErrorBox, useSigned } from '../ui.js';
import { t } from '../i18n.js';

export function Listen() {
  const units = useApi('units.list', {}, []);
  const status = useApi('status', {}, ['channels']);
  const [channel, setChannel] = useState('');
  const [playing, setPlaying] = useState('');
  const live = (units.data || []).filter((u) => !u.merged_into);
  const code = channel || live[0]?.code || '';
  const onAir = status.data?.on_air || {};
  const src = useSigned(playing ? `/api/v1/channels/${encodeURIComponent(playing)}/listen.ogg` : '');
  return html`<section>
    <h2>${t('listen.heading')}</h2>
    <${ErrorBox} error=${units.error} />
    <p class="muted">${t('listen.note')}</p>
    <div class="toolbar">
      <label>${t('listen.channel')}<select value=${code} onChange=${(e) => setChannel(e.target.value)}
        data-testid="listen-channel">
        ${live.map((u) => html`<option value=${u.code} translate=${false}>${u.name}</option>`)}</select></label>
      <button onClick=${() => setPlaying(code)} data-testid="listen-play">${t('listen.play')}</button>
      ${playing && html`<button class="secondary" onClick=${() => setPlaying('')}>${t('listen.stop')}</button>`}
    </div>
    <p>${onAir[code] ? html`<span class="pill ok">${t('listen.on_air')}</span>` : html`<span class="muted">${t('listen.silent')}</span>`}</p>
    ${playing && src && html`<audio controls autoplay src=${src} data-testid="listen-audio"></audio>`}
  </section>`;
}
