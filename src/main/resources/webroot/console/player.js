// Plays a Roomcast HLS stream with hls.js: low-latency mode when the playlist has parts, the
// captions rendition shown on the video and listed below it. The URL is ?src=<playlist URL> (the
// HLS JSON's masterPlaylistUrl, which carries its viewer token and names the captions), or
// ?hls=<id>&token=<viewer token>.
// window.roomcastPlayer holds what it saw, for people and for tests alike.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const video = document.getElementById('video');
  const player = window.roomcastPlayer = { errors: [], warnings: {}, captions: [], messages: {}, playing: false };
  const seen = new Set();

  function show(id, text) { document.getElementById(id).textContent = text; }
  function seconds(s) { return Number.isFinite(s) ? s.toFixed(2) + ' s' : '–'; }
  function state(name) {
    const el = document.getElementById('state');
    el.textContent = name;
    el.className = 'state ' + name;
  }
  function fail(text) {
    player.errors.push(text);
    const el = document.getElementById('error');
    el.textContent = text;
    el.hidden = false;
  }

  function source() {
    if (params.get('src')) return params.get('src');
    if (params.get('hls')) {
      const token = params.get('token') ? '?token=' + encodeURIComponent(params.get('token')) : '';
      return '/v2/hls/' + encodeURIComponent(params.get('hls')) + '/index.m3u8' + token;
    }
    return null;
  }

  // Every cue of every text track, once: hls.js adds the WebVTT segments' cues to the video's track.
  function collectCues() {
    for (const track of video.textTracks) {
      if (track.kind === 'metadata') {
        if (track.mode === 'disabled') track.mode = 'hidden';
        collectMessages(track);
        continue;
      }
      if (track.mode === 'disabled') track.mode = 'showing';
      for (const cue of track.cues || []) {
        const key = cue.startTime.toFixed(3) + ' ' + cue.text;
        if (seen.has(key)) continue;
        seen.add(key);
        const m = /^<v ([^>]*)>(.*)$/s.exec(cue.text);
        const caption = { start: cue.startTime, end: cue.endTime, speaker: m ? m[1] : '', text: m ? m[2] : cue.text };
        player.captions.push(caption);
        const li = document.createElement('li');
        const who = document.createElement('b');
        who.textContent = caption.speaker ? caption.speaker + ': ' : '';
        li.append(who, caption.text);
        document.getElementById('captions').append(li);
      }
    }
  }

  // Messages the stream carries (EXT-X-DATERANGE of CLASS io.roomcast.message): hls.js gives each
  // attribute as a metadata cue {key, data} at the range's start; the values are percent-encoded.
  function collectMessages(track) {
    for (const cue of track.cues || []) {
      if (!cue.value || !cue.value.key || !cue.value.key.startsWith('X-')) continue;
      let m = player.messages[cue.id];
      if (!m) {
        m = player.messages[cue.id] = { id: cue.id, start: cue.startTime };
        const li = document.createElement('li');
        li.id = 'message-' + cue.id;
        document.getElementById('messages').append(li);
      }
      const field = { 'X-TOPIC': 'topic', 'X-MESSAGE': 'message', 'X-PAYLOAD': 'payload' }[cue.value.key];
      if (!field || field in m) continue;
      const text = decodeURIComponent(String(cue.value.data));
      m[field] = field === 'payload' ? JSON.parse(text) : text;
      const li = document.getElementById('message-' + cue.id);
      li.textContent = (m.topic || '') + ' at ' + seconds(m.start) + ': ' + (m.message || '');
    }
  }

  function update() {
    const hls = player.hls;
    collectCues();
    player.playing = !video.paused && video.readyState >= 3;
    if (player.errors.length === 0) state(player.playing ? 'playing' : 'waiting');
    if (!hls) return;
    const level = hls.levels && hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
    const details = level && level.details;
    player.latency = hls.latency;
    player.targetLatency = hls.targetLatency;
    player.lowLatency = !!(details && details.partList && details.partList.length > 0);
    player.canBlockReload = !!(details && details.canBlockReload);
    player.live = !!(details && details.live);
    player.currentTime = video.currentTime;
    const date = hls.playingDate;
    player.captureToScreen = date ? (Date.now() - date.getTime()) / 1000 : NaN;
    let ahead = 0;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= video.currentTime && video.currentTime <= video.buffered.end(i)) ahead = video.buffered.end(i) - video.currentTime;
    }
    player.bufferAhead = ahead;
    show('latency', seconds(hls.latency));
    show('delay', seconds(player.captureToScreen));
    show('buffer', seconds(ahead));
    show('mode', !player.live ? 'recorded' : player.lowLatency ? 'low-latency live (' + details.partList.length + ' parts)' : 'live');
  }

  function play(src) {
    if (!window.Hls || !Hls.isSupported()) {
      fail('This browser cannot play HLS with hls.js (no Media Source Extensions).');
      return;
    }
    // The master is served once the stream is playable (its first segment and captions, a few seconds
    // after the start), and a busy node may answer late: keep trying for a while instead of hls.js's
    // one or two tries, so the page can be opened as soon as the stream is started.
    const retry = { maxNumRetry: 10, retryDelayMs: 1000, maxRetryDelayMs: 2000 };
    const loadPolicy = { default: { maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000, timeoutRetry: retry, errorRetry: retry } };
    const config = { lowLatencyMode: true, enableWebVTT: true, renderTextTracksNatively: true,
      manifestLoadPolicy: loadPolicy, playlistLoadPolicy: loadPolicy };
    if (params.get('debug')) {
      player.log = [];
      const keep = level => (...args) => { if (player.log.length < 5000) player.log.push((performance.now() | 0) + ' ' + level + ' ' + args.join(' ')); };
      config.debug = { log: keep('log'), debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
    }
    const hls = player.hls = new Hls(config);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(e => fail('Playback did not start: ' + e.message)));
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_, data) => {
      if (data.subtitleTracks.length > 0) {
        hls.subtitleTrack = 0;
        hls.subtitleDisplay = true;
      }
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) {
        player.warnings[data.details] = (player.warnings[data.details] || 0) + 1;
        return;
      }
      const status = data.response && data.response.code ? ' (HTTP ' + data.response.code + ')' : '';
      fail('Playback failed: ' + data.details + status);
      state('failed');
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    setInterval(update, 250);
  }

  const src = source();
  if (src) {
    play(src);
  } else {
    const form = document.getElementById('pick');
    form.hidden = false;
    form.addEventListener('submit', e => {
      e.preventDefault();
      location.search = '?src=' + encodeURIComponent(document.getElementById('src').value);
    });
  }
})();
