/* SCORM player: holds the SCO's run-time API (scorm-again), starts it from the
   data the server stored, commits as the module goes and, when the page
   closes, sends the latest data with a beacon. The SCO itself plays on the
   content origin, in a sandboxed frame, and reaches this API only through
   the postMessage bridge below (content-bridge.js is its other end). */
(() => {
  'use strict';
  const root = document.getElementById('scorm-player');
  const frame = document.getElementById('scorm-frame');
  if (!root || !frame || !window.Scorm12API) return;
  const data = JSON.parse(root.getAttribute('data-player'));
  // Increases with every commit, across page loads too, so the server can drop late arrivals.
  let sequence = Date.now() * 1000;
  let current = null;
  // One set of headers for every commit. The commit token lets a commit be stored without
  // reading the session; when it expires the session is used, and its answer brings a new token.
  const commitHeaders = { 'x-csrf-token': data.csrfToken, accept: 'application/json' };
  if (data.commitToken) commitHeaders['x-commit-token'] = data.commitToken;

  function renewToken(answer) {
    if (answer && typeof answer.commitToken === 'string') commitHeaders['x-commit-token'] = answer.commitToken;
  }

  function flatCmi(api) {
    const flat = api.getFlattenedCMI();
    const out = {};
    Object.keys(flat).forEach((k) => {
      if (typeof flat[k] === 'string' || typeof flat[k] === 'number') out[k] = String(flat[k]);
    });
    return out;
  }

  function payload(state) {
    // Never behind the clock: the content frame's last words (content-bridge.js) are numbered from it.
    sequence = Math.max(sequence + 1, Date.now() * 1000 + 1000);
    return { sco: state.sco.identifier, sequence: sequence, sessionId: data.sessionId, cmi: flatCmi(state.api) };
  }

  // The learner's latest data that the server has not yet acknowledged, kept
  // in this browser until it has (the server or its database may be down for
  // a while). Each commit holds the whole CMI, so the latest one is enough.
  const unsentPrefix = 'scorm-unsent:' + data.attemptId + ':';
  let retryTimer = null;

  function keepUnsent(p) {
    try {
      localStorage.setItem(unsentPrefix + p.sco, JSON.stringify(p));
    } catch (_e) {
      /* storage full or blocked: the commit still goes to the server */
    }
  }

  function forgetUnsent(p) {
    try {
      const kept = JSON.parse(localStorage.getItem(unsentPrefix + p.sco) || 'null');
      if (kept && kept.sequence <= p.sequence) localStorage.removeItem(unsentPrefix + p.sco);
    } catch (_e) {
      /* nothing kept */
    }
  }

  function unsentPayloads() {
    const found = [];
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key && key.indexOf(unsentPrefix) === 0) found.push(JSON.parse(localStorage.getItem(key)));
      }
    } catch (_e) {
      /* storage blocked */
    }
    return found;
  }

  /** Sends what is kept; resolves true when the server has all of it. */
  function sendUnsent() {
    const kept = unsentPayloads();
    return Promise.all(
      kept.map((p) =>
        fetch(data.commitUrl, {
          method: 'POST',
          credentials: 'same-origin',
          headers: Object.assign({ 'content-type': 'application/json' }, commitHeaders),
          body: JSON.stringify(p),
        })
          .then((res) => {
            // 2xx: stored (or already superseded); 4xx other than a timeout or being signed out
            // (401, or 403 for a form that expired with the session): the server will never take it.
            const later = [401, 403, 408, 429].indexOf(res.status) >= 0;
            if (res.ok || (res.status >= 400 && res.status < 500 && !later)) forgetUnsent(p);
            if (res.ok) res.json().then(renewToken, () => {});
            return res.ok;
          })
          .catch(() => false),
      ),
    ).then((results) => results.every(Boolean));
  }

  function retryLater() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      sendUnsent().then((ok) => {
        if (!ok && unsentPayloads().length) retryLater();
      });
    }, 5000);
  }

  function beacon(state) {
    if (!state || data.review || !navigator.sendBeacon) return;
    const p = payload(state);
    keepUnsent(p);
    const body = new URLSearchParams();
    body.append('_csrf', data.csrfToken);
    body.append('payload', JSON.stringify(p));
    navigator.sendBeacon(data.commitUrl, body);
  }

  function showStatus(result) {
    const el = document.getElementById('scorm-status');
    if (!el || !result?.status) return;
    const labels = { 'not attempted': 'Not started', incomplete: 'In progress', completed: 'Completed', passed: 'Passed', failed: 'Not passed' };
    el.textContent = labels[result.status] || result.status;
  }

  function launch(sco) {
    if (current) beacon(current);
    const state = { sco: sco, api: null };
    const settings = {
      autocommit: !data.review,
      autocommitSeconds: 3,
      lmsCommitUrl: data.review ? false : data.commitUrl,
      // The same object every time: scorm-again keeps it, so a renewed token goes with the next commit.
      xhrHeaders: commitHeaders,
      commitRequestDataType: 'application/json;charset=UTF-8',
      terminationCommitContentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      logLevel: 5,
      requestHandler: (_commitObject, metadata) => {
        const p = payload(state);
        state.sending = p;
        keepUnsent(p);
        // If this request never gets an answer (the server itself is down), try again later.
        retryLater();
        if (metadata?.isTerminateCommit) {
          return ['_csrf=' + encodeURIComponent(data.csrfToken), 'payload=' + encodeURIComponent(JSON.stringify(p))];
        }
        return p;
      },
      xhrResponseHandler: (xhr) => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        if (ok && state.sending) forgetUnsent(state.sending);
        else retryLater();
        try {
          const answer = JSON.parse(xhr.responseText);
          if (ok) renewToken(answer);
          showStatus(answer);
        } catch (_e) {
          /* not JSON: only the status matters */
        }
        return { result: ok ? 'true' : 'false', errorCode: ok ? 0 : 101 };
      },
    };
    const api = data.version === '1.2' ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
    api.loadFromFlattenedJSON(sco.cmi);
    state.api = api;
    current = state;
    if (data.version === '1.2') window.API = api;
    else window.API_1484_11 = api;
    frame.src = sco.url;
    const links = document.querySelectorAll('[data-sco]');
    for (let i = 0; i < links.length; i++) {
      if (links[i].getAttribute('data-sco') === sco.identifier) links[i].setAttribute('aria-current', 'step');
      else links[i].removeAttribute('aria-current');
    }
  }

  // The bridge: calls from the content frame, and only from it, on the content
  // origin, and only the SCORM API's own methods. Answers go to that origin only.
  const BRIDGED = [
    'LMSInitialize', 'LMSFinish', 'LMSGetValue', 'LMSSetValue', 'LMSCommit', 'LMSGetLastError', 'LMSGetErrorString', 'LMSGetDiagnostic',
    'Initialize', 'Terminate', 'GetValue', 'SetValue', 'Commit', 'GetLastError', 'GetErrorString', 'GetDiagnostic', 'getFlattenedCMI',
  ];
  window.addEventListener('message', (event) => {
    if (event.origin !== data.contentOrigin || event.source !== frame.contentWindow) return;
    const msg = event.data;
    if (!msg || typeof msg !== 'object') return;
    const reply = (answer) => event.source.postMessage(answer, data.contentOrigin);
    if (typeof msg.quickExitKey === 'string') {
      // Keys pressed in the content, for the quick exit (modules/safety), which listens on this document.
      const key = msg.quickExitKey === 'Escape' || msg.quickExitKey === 'Shift' ? msg.quickExitKey : 'Unidentified';
      document.dispatchEvent(new KeyboardEvent('keyup', { key: key }));
      return;
    }
    if (typeof msg.messageId !== 'string' || !msg.messageId || msg.messageId.length > 100) return;
    if (msg.isHeartbeat === true) return reply({ messageId: msg.messageId, isHeartbeat: true });
    const api = current?.api;
    if (!api || typeof msg.method !== 'string' || BRIDGED.indexOf(msg.method) < 0) {
      return reply({ messageId: msg.messageId, error: { message: 'Method not allowed', code: '101' } });
    }
    const params = (Array.isArray(msg.params) ? msg.params : []).slice(0, 2).map((p) => (typeof p === 'number' ? String(p) : p));
    if (params.some((p) => typeof p !== 'string')) return reply({ messageId: msg.messageId, error: { message: 'Arguments must be strings', code: '201' } });
    try {
      const result = api[msg.method].apply(api, params);
      reply({ messageId: msg.messageId, result: msg.method === 'getFlattenedCMI' ? flatCmi(api) : result });
    } catch (_e) {
      reply({ messageId: msg.messageId, error: { message: 'General exception', code: '101' } });
    }
  });

  function byId(id) {
    for (let i = 0; i < data.scos.length; i++) if (data.scos[i].identifier === id) return data.scos[i];
    return null;
  }

  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('[data-sco]') : null;
    if (!link) return;
    event.preventDefault();
    const sco = byId(link.getAttribute('data-sco'));
    if (sco) launch(sco);
  });

  window.addEventListener('pagehide', () => {
    beacon(current);
  });

  // Start at the first SCO not yet finished, so a learner comes back where they were.
  let start = data.scos[0];
  for (let j = 0; j < data.scos.length; j++) {
    const c = data.scos[j].cmi;
    const done = c['cmi.core.lesson_status'] === 'completed' || c['cmi.core.lesson_status'] === 'passed' || c['cmi.completion_status'] === 'completed';
    if (!done) {
      start = data.scos[j];
      break;
    }
  }
  window.addEventListener('online', () => sendUnsent());

  // Data kept from an earlier visit that never reached the server goes first;
  // once it is stored, the page starts again from what the server now holds.
  if (!data.review && unsentPayloads().length) {
    sendUnsent().then((ok) => {
      if (ok && !sessionStorage.getItem(unsentPrefix + 'reloaded')) {
        sessionStorage.setItem(unsentPrefix + 'reloaded', '1');
        location.reload();
      } else {
        if (!ok) retryLater();
        launch(start);
      }
    });
  } else {
    sessionStorage.removeItem(unsentPrefix + 'reloaded');
    launch(start);
  }
})();
