// The console's calls to the node's API: the user's token on every call (kept for this tab only),
// failures shown in the page with what the API answered, and formatting of numbers with units.
(function () {
  'use strict';
  const KEY = 'roomcast.token';

  function showError(text) {
    const el = document.getElementById('error');
    el.textContent = text;
    el.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { el.hidden = true; }, 15000);
  }

  class ApiError extends Error {
    constructor(method, path, status, body) {
      const what = body && body.error ? body.error + ': ' + (body.message || '') : (status ? 'HTTP ' + status : 'no answer');
      super(method + ' ' + path + ' failed (' + (status || 'network') + ') ' + what);
      this.status = status;
      this.body = body;
    }
  }

  async function call(method, path, body, quiet) {
    const headers = { Authorization: 'Bearer ' + api.token() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const err = new ApiError(method, path, 0, null);
      if (!quiet) showError(err.message);
      throw err;
    }
    const type = response.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
    if (!response.ok) {
      const err = new ApiError(method, path, response.status, data);
      if (response.status === 401) api.signedOut(err.message);
      else if (!quiet) showError(err.message);
      throw err;
    }
    return data;
  }

  const api = window.roomcastApi = {
    token: () => sessionStorage.getItem(KEY) || '',
    setToken: (t) => sessionStorage.setItem(KEY, t.trim()),
    forget: () => sessionStorage.removeItem(KEY),
    get: (path, quiet) => call('GET', path, undefined, quiet),
    post: (path, body) => call('POST', path, body || {}),
    showError,
    signedOut: () => {},
    // An SSE stream of the API with the token in the URL (EventSource cannot send headers).
    events: (path, type, onData) => {
      const es = new EventSource(path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(api.token()));
      es.addEventListener(type, (e) => { try { onData(JSON.parse(e.data)); } catch (err) { /* not JSON: ignored */ } });
      return es;
    },
    // A file the API serves only with the Authorization header: fetched, then saved by the browser.
    download: async (path, name) => {
      const r = await fetch(path, { headers: { Authorization: 'Bearer ' + api.token() } });
      if (!r.ok) { showError('GET ' + path + ' failed (' + r.status + ')'); return; }
      const url = URL.createObjectURL(await r.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
  };

  api.fmt = {
    bytes: (n) => n == null ? '–' : n >= 1e9 ? (n / 1e9).toFixed(2) + ' GB' : n >= 1e6 ? (n / 1e6).toFixed(1) + ' MB'
      : n >= 1e3 ? (n / 1e3).toFixed(0) + ' KB' : n + ' B',
    bitrate: (bps) => bps == null ? '–' : bps >= 1e6 ? (bps / 1e6).toFixed(2) + ' Mb/s' : (bps / 1e3).toFixed(0) + ' kb/s',
    seconds: (s) => {
      if (s == null || !Number.isFinite(s)) return '–';
      const m = Math.floor(s / 60);
      return m > 0 ? m + ' min ' + Math.round(s % 60) + ' s' : s.toFixed(1) + ' s';
    },
    time: (iso) => iso ? new Date(iso).toLocaleTimeString() : '–',
    percent: (part, whole) => whole > 0 ? (100 * part / whole).toFixed(1) + ' %' : '0 %',
  };

  // A small element builder: el('td', {class: 'x'}, 'text', child...).
  api.el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v != null) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : String(c == null ? '' : c));
    return e;
  };
})();
