// The room's outputs (recording, HLS, RTMP, live captions) with their buttons, the live HLS in the
// page, and the finished recordings with playback, downloads and their post-call transcripts.
(function () {
  'use strict';
  const api = window.roomcastApi;
  const { el, fmt } = api;
  const ACTIVE = ['starting', 'started', 'paused', 'stopping', 'reconnecting'];
  const q = encodeURIComponent;
  let playing = null; // the HLS id in the player: its URLs carry a fresh viewer token on every GET

  const outputs = window.roomcastOutputs = { state: {} };

  function row(name) { return document.querySelector('#outputs tr[data-output="' + name + '"]'); }

  function showState(name, status, details) {
    const r = row(name);
    const cell = r.querySelector('.state');
    cell.textContent = status || 'off';
    cell.className = 'state ' + (status || 'off');
    if (details !== undefined && name !== 'livestream') r.querySelector('.details').textContent = details;
    const active = ACTIVE.includes(status);
    outputs.state[name] = status || 'off';
    for (const b of r.querySelectorAll('button')) {
      const act = b.dataset.act;
      b.disabled = act === 'start' ? active : act === 'end' ? !active
        : act === 'pause' ? status !== 'started' : status !== 'paused';
    }
  }

  function newest(list) { return list && list.data && list.data.length ? list.data[0] : null; }

  // Refreshes every output's state for the room (called every few seconds by the console).
  outputs.refresh = async function (roomId) {
    const [recs, hls, streams, captions] = await Promise.all([
      api.get('/v2/recordings?roomId=' + q(roomId), true).catch(() => null),
      api.get('/v2/hls?roomId=' + q(roomId), true).catch(() => null),
      api.get('/v2/livestreams?roomId=' + q(roomId), true).catch(() => null),
      api.get('/v2/rooms/' + q(roomId) + '/captions?since=999999999999', true).catch(() => null),
    ]);
    const rec = newest(recs);
    showState('recording', rec && rec.status, rec ? (rec.pauses && rec.pauses.length ? rec.pauses.length + ' pause(s)' : '') : '');
    const h = newest(hls);
    showState('hls', h && h.status, h && ACTIVE.includes(h.status) ? (h.lowLatency ? 'low latency' : 'segments') : '');
    play(h && ACTIVE.includes(h.status) ? h : null);
    const ls = newest(streams);
    showState('livestream', ls && ls.status);
    if (ls && ACTIVE.includes(ls.status)) {
      row('livestream').querySelector('.details').title = (ls.outputs || []).map((o) => o.url + ': ' + o.status).join('\n');
    }
    const t = captions && captions.transcription;
    showState('captions', t && t.status, t ? (t.language || '') : '');
    if (recs) await showRecordings(roomId, recs.data || []);
  };

  function play(hls) {
    const id = hls ? hls.id : null;
    if (id === playing) return;
    playing = id;
    const frame = document.getElementById('player');
    document.getElementById('noPlayer').hidden = !!hls;
    frame.hidden = !hls;
    frame.src = hls ? 'player.html?src=' + q(hls.masterPlaylistUrl) : 'about:blank';
  }

  async function act(name, action, roomId) {
    const preset = document.getElementById('preset').value;
    const body = { roomId };
    let path;
    if (name === 'recording') {
      path = '/v2/recordings/' + action;
      if (action === 'start') Object.assign(body, { preset, transcription: { enabled: true } });
    } else if (name === 'hls') {
      path = '/v2/hls/' + action;
      if (action === 'start') body.preset = preset;
    } else if (name === 'livestream') {
      path = '/v2/livestreams/' + action;
      if (action === 'start') {
        const url = document.getElementById('rtmpUrl').value.trim();
        if (!url) { api.showError('Give the RTMP URL to push to first.'); return; }
        Object.assign(body, { preset, outputs: [{ url }] });
      }
    } else {
      path = '/v2/transcription/' + action;
    }
    await api.post(path, body);
    await outputs.refresh(roomId);
  }

  outputs.bind = function (currentRoom) {
    for (const b of document.querySelectorAll('#outputs button')) {
      b.addEventListener('click', () => {
        const roomId = currentRoom();
        if (roomId) act(b.closest('tr').dataset.output, b.dataset.act, roomId).catch(() => {});
      });
    }
  };

  outputs.reset = function () {
    play(null);
    for (const name of ['recording', 'hls', 'livestream', 'captions']) showState(name, null, '');
    document.querySelector('#recordings tbody').replaceChildren();
  };

  // Finished and running recordings, newest first, each with its transcript once made.
  async function showRecordings(roomId, list) {
    const jobs = await api.get('/v2/transcriptions?roomId=' + q(roomId), true).catch(() => ({ data: [] }));
    const byRecording = {};
    for (const j of jobs.data || []) if (!byRecording[j.recordingId]) byRecording[j.recordingId] = j;
    const rows = list.map((r) => {
      const file = r.file;
      const meta = file && file.meta ? file.meta : {};
      const files = el('td', { class: 'files' });
      if (file && file.fileUrl) {
        files.append(el('button', { type: 'button', class: 'small', 'data-play': r.id, onclick: () => playback(file.fileUrl) }, 'Play'), ' ',
          el('a', { href: file.fileUrl, download: '' }, (meta.format || 'mp4').toUpperCase()));
      }
      const job = byRecording[r.id];
      if (job && job.status === 'completed') {
        for (const f of ['txt', 'json', 'srt', 'vtt']) {
          files.append(' ', el('a', { href: '#', class: 'transcript', onclick: (e) => {
            e.preventDefault();
            api.download('/v2/transcriptions/' + q(job.id) + '/download?format=' + f, 'transcript-' + job.id + '.' + f);
          } }, f.toUpperCase()));
        }
      } else if (job) {
        files.append(' ', el('span', { class: 'muted' }, 'transcript ' + job.status));
      }
      return el('tr', { 'data-recording': r.id },
        el('td', {}, fmt.time(r.start)),
        el('td', { class: 'state ' + r.status }, r.status),
        el('td', {}, meta.duration != null ? fmt.seconds(meta.duration) : '–'),
        el('td', {}, file ? fmt.bytes(file.size) : '–'),
        files);
    });
    document.querySelector('#recordings tbody').replaceChildren(...rows);
  }

  function playback(url) {
    const v = document.getElementById('playback');
    v.hidden = false;
    if (v.src !== url) v.src = url;
    v.play().catch(() => {});
  }
})();
