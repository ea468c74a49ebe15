// The console: sign in with a token, pick a room, and follow it: its session, participants with
// their tracks' live stats, outputs (outputs.js), captions, messages and webhook deliveries.
// window.roomcastConsole holds what the page shows, for people and for tests alike.
(function () {
  'use strict';
  const api = window.roomcastApi;
  const outputs = window.roomcastOutputs;
  const { el, fmt } = api;
  const q = encodeURIComponent;
  const state = window.roomcastConsole = { roomId: null, sessionId: null, captions: [], messages: [] };
  const previous = {}; // track stats of the last poll, for rates
  let streams = [];
  let timer = null;

  const $ = (id) => document.getElementById(id);

  function signedIn(on) {
    $('signin').hidden = on;
    $('app').hidden = !on;
    $('signout').hidden = !on;
  }

  api.signedOut = (why) => {
    api.forget();
    stopFollowing();
    signedIn(false);
    api.showError(why + ' — give a token the API accepts.');
  };

  async function start() {
    fetch('/health').then((r) => r.json()).then((h) => {
      $('node').textContent = 'node: ' + (h.status || '?');
      $('node').className = 'badge ' + (h.status === 'UP' ? 'ok' : 'bad');
    }).catch(() => { $('node').textContent = 'node: unreachable'; $('node').className = 'badge bad'; });
    fetch('dev-token').then((r) => r.ok ? r.json() : null).then((d) => { $('devOffer').hidden = !(d && d.token); state.devToken = d && d.token; })
      .catch(() => {});
    if (!api.token()) { signedIn(false); return; }
    try {
      await loadRooms();
      signedIn(true);
    } catch (e) {
      signedIn(false);
    }
  }

  $('tokenForm').addEventListener('submit', (e) => {
    e.preventDefault();
    api.setToken($('token').value);
    $('token').value = '';
    start();
  });
  $('devToken').addEventListener('click', () => { if (state.devToken) { api.setToken(state.devToken); start(); } });
  $('signout').addEventListener('click', () => { api.forget(); stopFollowing(); signedIn(false); });
  $('refreshRooms').addEventListener('click', () => loadRooms().catch(() => {}));

  async function loadRooms() {
    const rooms = await api.get('/v2/rooms?perPage=100');
    const list = (rooms.data || []).slice().sort((a, b) => (b.createdAt || '').localeCompare(a.createdAt || ''));
    state.rooms = list.map((r) => r.roomId);
    $('rooms').replaceChildren(...list.map((r) => el('li', {},
      el('button', { type: 'button', class: 'room' + (r.roomId === state.roomId ? ' selected' : ''), 'data-room': r.roomId,
        onclick: () => select(r.roomId, r.customRoomId) },
      el('b', {}, r.customRoomId || r.roomId), r.customRoomId ? el('small', {}, r.roomId) : ''))));
    if (!list.length) $('rooms').append(el('li', { class: 'muted' }, 'No rooms yet. Run java -jar target/roomcast.jar demo'));
  }

  function stopFollowing() {
    for (const s of streams) s.close();
    streams = [];
    clearInterval(timer);
    timer = null;
  }

  function select(roomId, customRoomId) {
    stopFollowing();
    state.roomId = roomId;
    state.sessionId = null;
    state.captions = [];
    state.messages = [];
    for (const b of document.querySelectorAll('#rooms .room')) b.classList.toggle('selected', b.dataset.room === roomId);
    $('room').hidden = false;
    $('roomTitle').textContent = 'Room ' + (customRoomId ? customRoomId + ' (' + roomId + ')' : roomId);
    $('captions').replaceChildren();
    $('messages').replaceChildren();
    outputs.reset();
    streams.push(api.events('/v2/rooms/' + q(roomId) + '/captions', 'caption', caption));
    streams.push(api.events('/v2/rooms/' + q(roomId) + '/messages', 'message', message));
    refresh();
    timer = setInterval(refresh, 2000);
  }

  async function refresh() {
    const roomId = state.roomId;
    if (!roomId) return;
    await Promise.all([session(roomId), outputs.refresh(roomId), deliveries(roomId)]).catch(() => {});
  }

  async function session(roomId) {
    let page = await api.get('/v2/sessions?roomId=' + q(roomId) + '&perPage=100', true);
    const last = page.pageInfo && page.pageInfo.lastPage;
    if (last > 1) page = await api.get('/v2/sessions?roomId=' + q(roomId) + '&perPage=100&page=' + last, true);
    const s = (page.data || [])[page.data.length - 1];
    if (!s) { $('sessionState').textContent = 'none yet'; $('participants').tBodies[0].replaceChildren(); return; }
    state.sessionId = s.sessionId;
    state.sessionStatus = s.status;
    $('sessionState').textContent = s.status;
    $('sessionState').className = 'state ' + s.status;
    $('sessionStart').textContent = fmt.time(s.start);
    $('sessionLength').textContent = fmt.seconds(((s.end ? Date.parse(s.end) : Date.now()) - Date.parse(s.start)) / 1000);
    const active = s.status === 'ongoing'
      ? (await api.get('/v2/sessions/' + q(s.sessionId) + '/participants/active?perPage=100', true)).data || [] : [];
    $('participantCount').textContent = active.length;
    const rows = [];
    for (const p of active) {
      const stats = await api.get('/v2/rooms/' + q(roomId) + '/participants/' + q(p.participantId) + '/stats', true).catch(() => null);
      const tracks = stats && stats.tracks ? stats.tracks : [];
      if (!tracks.length) rows.push(el('tr', {}, el('td', {}, p.name || p.participantId), el('td', { colspan: 7, class: 'muted' }, 'no tracks')));
      tracks.forEach((t, i) => rows.push(trackRow(i === 0 ? p : null, p.participantId, t)));
    }
    state.participants = active.map((p) => p.name);
    $('participants').tBodies[0].replaceChildren(...rows);
  }

  function trackRow(p, participantId, t) {
    const key = participantId + '/' + t.ssrc;
    const now = performance.now();
    const before = previous[key];
    previous[key] = { at: now, bytes: t.bytes, frames: t.framesDecoded };
    const dt = before ? (now - before.at) / 1000 : 0;
    const bitrate = before && dt > 0 ? 8 * (t.bytes - before.bytes) / dt : null;
    const fps = before && dt > 0 && t.kind === 'video' ? (t.framesDecoded - before.frames) / dt : null;
    const age = t.lastPacketAt ? (Date.now() - Date.parse(t.lastPacketAt)) / 1000 : null;
    const lossy = t.packets > 0 && t.lost / (t.packets + t.lost) > 0.02;
    return el('tr', {},
      el('td', {}, p ? el('b', {}, p.name || p.participantId) : ''),
      el('td', {}, t.kind + ' ' + (t.codec || '')),
      el('td', { class: 'num' }, t.packets),
      el('td', { class: 'num' + (lossy ? ' bad' : '') }, t.lost + ' (' + fmt.percent(t.lost, t.packets + t.lost) + ')'),
      el('td', { class: 'num' }, fps == null ? '–' : fps.toFixed(1)),
      el('td', { class: 'num' }, fmt.bitrate(bitrate)),
      el('td', { class: 'num' }, t.keyframeRequests == null ? '–' : t.keyframeRequests),
      el('td', { class: 'num' + (age != null && age > 5 ? ' bad' : '') }, age == null ? '–' : age.toFixed(1) + ' s ago'));
  }

  function caption(c) {
    if (c.type !== 'final' || !c.text) return;
    state.captions.push({ name: c.participantName, text: c.text });
    const at = Math.floor((c.start || 0) / 1000);
    const li = el('li', {}, el('span', { class: 'at' }, String(Math.floor(at / 60)).padStart(2, '0') + ':' + String(at % 60).padStart(2, '0')),
      ' ', el('b', {}, c.participantName || c.participantId), ' ', c.text);
    $('captions').append(li);
    $('captions').scrollTop = $('captions').scrollHeight;
  }

  function message(m) {
    state.messages.push(m);
    $('messages').append(el('li', {}, el('span', { class: 'at' }, fmt.time(m.timestamp)), ' ',
      el('span', { class: 'topic' }, m.topic), ' ', el('b', {}, m.senderName || m.senderId || '?'), ' ', m.message));
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  $('chat').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chatText').value.trim();
    if (!text || !state.roomId) return;
    api.post('/v2/rooms/' + q(state.roomId) + '/messages', { topic: 'CHAT', message: text, senderId: 'console', senderName: 'Console', persist: true })
      .then(() => { $('chatText').value = ''; }).catch(() => {});
  });

  async function deliveries(roomId) {
    const d = await api.get('/v2/rooms/' + q(roomId) + '/webhooks/deliveries', true).catch(() => null);
    const list = d && d.data ? d.data : [];
    $('noDeliveries').hidden = list.length > 0;
    $('deliveries').tBodies[0].replaceChildren(...list.map((w) => el('tr', {},
      el('td', {}, fmt.time(w.at)), el('td', {}, w.type), el('td', { class: 'url', title: w.url }, w.url),
      el('td', { class: 'state ' + w.state }, w.state + (w.lastStatus ? ' (HTTP ' + w.lastStatus + ')' : w.lastError ? ' (' + w.lastError + ')' : '')),
      el('td', { class: 'num' }, w.attempts))));
  }

  outputs.bind(() => state.roomId);
  start();
})();
