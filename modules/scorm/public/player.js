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
  // Counts this page's commits, so the server can tell a late arrival of this page's own from a newer one.
  // Pages are told apart by data.sessionId; the server orders commits of different pages by revision.
  // Never behind the clock: the content frame's last words (content-bridge.js) go under the same
  // page id, numbered from the clock, and this page's later commits must still come after them.
  let sequence = 0;
  function nextSequence() {
    sequence = Math.max(sequence + 1, Date.now() * 1000 + 1000);
    return sequence;
  }
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
    return {
      sco: state.sco.identifier,
      sequence: nextSequence(),
      sessionId: data.sessionId,
      // The SCO's revision this page last saw: the server refuses to overwrite one it has not.
      base: state.sco.revision || 0,
      final: !!state.final,
      // The SCO itself called LMSFinish/Terminate (not the learner leaving it): the server settles a 1.2 status left "not attempted".
      terminated: !!state.terminated,
      cmi: withMeasuredTime(state, flatCmi(state.api)),
    };
  }

  /** A SCO that reports no session time still spent some: the player measures it from launch. */
  function withMeasuredTime(state, cmi) {
    const name = data.version === '1.2' ? 'cmi.core.session_time' : 'cmi.session_time';
    const reported = cmi[name];
    if (reported && !/^(0+:00:00(\.0+)?|PT0+(\.0+)?S|PT0H0M0S)$/.test(reported)) return cmi;
    const seconds = Math.max(0, Math.round((Date.now() - state.started) / 1000));
    if (data.version === '1.2') {
      const pad = (n, w) => String(n).padStart(w, '0');
      cmi[name] = pad(Math.floor(seconds / 3600), 4) + ':' + pad(Math.floor((seconds % 3600) / 60), 2) + ':' + pad(seconds % 60, 2);
    } else cmi[name] = 'PT' + seconds + 'S';
    return cmi;
  }

  /**
   * Opening a SCO again on this page starts it from what it last sent, as the
   * server now holds it (a 1.2 status left "not attempted" settled), not from
   * what the page loaded with.
   */
  function rememberForRelaunch(state, p) {
    const cmi = Object.assign({}, p.cmi);
    if (data.version === '1.2' && cmi['cmi.core.lesson_status'] === 'not attempted') cmi['cmi.core.lesson_status'] = 'completed';
    delete cmi['cmi.core.session_time'];
    delete cmi['cmi.session_time'];
    state.sco.cmi = Object.assign({}, state.sco.cmi, cmi);
  }

  /** Tells the learner plainly what happened to their progress; `reload` offers to load the latest. */
  function notice(text, reload) {
    const box = document.getElementById('scorm-notice');
    if (!box) return;
    document.getElementById('scorm-notice-text').textContent = text;
    const button = document.getElementById('scorm-notice-reload');
    button.hidden = !reload;
    button.onclick = () => location.reload();
    box.setAttribute('data-kind', reload ? 'behind' : 'unsaved');
    box.hidden = false;
  }

  /** Once what was kept has reached the server, the warning says so. */
  function noticeSaved() {
    const box = document.getElementById('scorm-notice');
    if (!box || box.hidden || box.getAttribute('data-kind') !== 'unsaved') return;
    document.getElementById('scorm-notice-text').textContent = 'Your progress has now been saved.';
    box.setAttribute('data-kind', 'saved');
  }

  /** What the server said of a commit, for the learner: stored, partly stored, behind another tab, or refused. */
  function readAnswer(state, status, answer) {
    if (status >= 200 && status < 300) {
      if (answer && typeof answer.revision === 'number' && answer.stored) {
        state.sco.revision = answer.revision;
        tellRevision(state);
      }
      noticeSaved();
      if (answer?.problems?.length)
        notice(
          'Some of what the module sent could not be saved, as it was not valid SCORM data: ' + answer.problems.join('; ') + '. Everything else was saved.',
        );
      showStatus(answer);
      showMarks(answer);
    } else if (answer?.reason === 'behind') {
      notice(answer.error.message, true);
    } else if (status === 0) {
      notice('Your progress could not be sent just now. It is kept in this browser and will be sent again when the connection is back.');
    } else {
      notice(
        'Your progress was not saved' + (answer?.error?.message ? ': ' + answer.error.message : '.') + ' It is kept in this browser and will be sent again.',
      );
    }
  }

  /**
   * The content frame sends the SCO's last words itself, after this page has
   * gone; it bases them on the revision this page last saw, so they never
   * overwrite progress another tab stored since (content-bridge.js).
   */
  function tellRevision(state) {
    if (state !== current || !frame.contentWindow) return;
    frame.contentWindow.postMessage({ scormRevision: state.sco.revision || 0, sco: state.sco.identifier }, data.contentOrigin);
  }

  /** Each SCO's status beside it in the contents list. */
  function showMarks(answer) {
    if (!answer?.items) return;
    if (Array.isArray(answer.locked)) {
      data.locked = answer.locked;
      document.querySelectorAll('[data-sco-lock]').forEach((el) => {
        const closed = data.locked.indexOf(el.getAttribute('data-sco-lock')) >= 0;
        el.hidden = !closed;
        const link = document.querySelector('[data-sco="' + CSS.escape(el.getAttribute('data-sco-lock')) + '"]');
        if (link && closed) link.setAttribute('aria-disabled', 'true');
        else if (link) link.removeAttribute('aria-disabled');
      });
    }
    Object.keys(answer.items).forEach((id) => {
      const label = data.labels[answer.items[id]] || answer.items[id];
      document.querySelectorAll('[data-sco-mark]').forEach((el) => {
        if (el.getAttribute('data-sco-mark') === id) el.textContent = label;
      });
    });
  }

  /**
   * SCORM 1.2 has limits on each value's length (suspend_data 4096, and so on);
   * an over-long one is refused at LMSSetValue with error 405, keeping the
   * value before it, as the run-time environment says, so it never reaches a
   * commit. scorm-again allows 1.2 suspend_data up to 64000 on purpose.
   */
  function guardLengths(api) {
    // SCORM 2004's limits scorm-again already checks at SetValue.
    if (data.version !== '1.2') return;
    const limits = (data.limits || []).map((l) => [new RegExp(l[0]), l[1]]);
    const setter = data.version === '1.2' ? 'LMSSetValue' : 'SetValue';
    const set = api[setter].bind(api);
    api[setter] = (name, value) => {
      const limit = limits.find((l) => l[0].test(String(name)));
      if (limit && String(value).length > limit[1]) {
        api.lastErrorCode = '405';
        return 'false';
      }
      return set(name, value);
    };
  }

  /**
   * The close-time send (LMSFinish or Terminate) goes as a beacon, whose answer
   * no page can read; it goes again here, so the status shows the final result,
   * then a 2004 exitAll returns the learner to the course page. It goes as
   * this page's next commit, so whichever of the two arrives second is
   * stored over the first (the same data) and its answer is never "stale".
   */
  function sendFinal(state, p) {
    const request = state.api.adl?.nav ? state.api.adl.nav.request : '';
    const again = Object.assign({}, p, { sequence: nextSequence() });
    fetch(data.commitUrl, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: Object.assign({ 'content-type': 'application/json' }, commitHeaders),
      body: JSON.stringify(again),
    })
      .then((res) => {
        // Stored (or superseded): the copy kept in this browser for the beacon's sake is not needed.
        if (res.ok) forgetUnsent(again);
        return res.json().then(
          (answer) => readAnswer(state, res.status, answer),
          () => {},
        );
      })
      .catch(() => {})
      .then(() => {
        if (state.leave || /^_?(exitAll|suspendAll|abandonAll)$/.test(request || '')) location.assign(data.courseUrl);
      });
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
            if (res.ok) noticeSaved();
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
    p.final = true;
    const body = new URLSearchParams();
    body.append('_csrf', data.csrfToken);
    body.append('payload', JSON.stringify(p));
    navigator.sendBeacon(data.commitUrl, body);
  }

  function showStatus(result) {
    const el = document.getElementById('scorm-status');
    if (!el || !result?.status) return;
    el.textContent = data.labels[result.status] || result.status;
    el.className = 'govuk-tag ' + (result.status === 'failed' ? 'govuk-tag--orange' : result.finished ? 'govuk-tag--green' : 'govuk-tag--blue');
    if (result.finished) showResult('scorm-result-finished', result.status);
    else if (result.status === 'failed') showResult('scorm-result-failed', result.status);
  }

  /**
   * The result and what to do next, shown once, above the content frame:
   * the frame is taller than many screens, so the page is brought back to
   * the top of the result and focus moved there for screen readers.
   */
  function showResult(id, status) {
    const box = document.getElementById(id);
    if (!box?.hidden) return;
    const heading = document.getElementById('scorm-result-heading');
    if (heading && id === 'scorm-result-finished') heading.textContent = heading.getAttribute(status === 'passed' ? 'data-passed' : 'data-completed');
    box.hidden = false;
    box.focus();
    box.scrollIntoView({ block: 'start' });
  }

  function launch(sco) {
    if (current) beacon(current);
    const state = { sco: sco, api: null, started: Date.now(), final: false };
    const settings = {
      autocommit: !data.review,
      autocommitSeconds: 3,
      lmsCommitUrl: data.review ? false : data.commitUrl,
      // The same object every time: scorm-again keeps it, so a renewed token goes with the next commit.
      xhrHeaders: commitHeaders,
      commitRequestDataType: 'application/json;charset=UTF-8',
      terminationCommitContentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      logLevel: 5,
      // SCORM 1.2: LMSFinish with the status still "not attempted" records "completed" (Moodle, RTE 3.4.4).
      // scorm-again only does so when the status was empty at LMSInitialize, so the server settles it too.
      autoCompleteLessonStatus: true,
      requestHandler: (_commitObject, metadata) => {
        if (metadata?.isTerminateCommit) {
          state.final = true;
          state.terminated = true;
        }
        const p = payload(state);
        state.sending = p;
        keepUnsent(p);
        // If this request never gets an answer (the server itself is down), try again later.
        retryLater();
        if (metadata?.isTerminateCommit) {
          rememberForRelaunch(state, p);
          sendFinal(state, p);
          return ['_csrf=' + encodeURIComponent(data.csrfToken), 'payload=' + encodeURIComponent(JSON.stringify(p))];
        }
        return p;
      },
      xhrResponseHandler: (xhr) => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        if (ok && state.sending) forgetUnsent(state.sending);
        else retryLater();
        let answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
          if (ok) renewToken(answer);
        } catch (_e) {
          /* not JSON: only the status matters */
        }
        readAnswer(state, xhr.status, answer);
        return { result: ok ? 'true' : 'false', errorCode: ok ? 0 : 101 };
      },
    };
    const api = data.version === '1.2' ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
    api.loadFromFlattenedJSON(sco.cmi);
    guardLengths(api);
    if (api.on) {
      for (const event of ['SequenceExitAll', 'SequenceAbandonAll']) {
        api.on(event, () => {
          state.leave = true;
        });
      }
    }
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
    'LMSInitialize',
    'LMSFinish',
    'LMSGetValue',
    'LMSSetValue',
    'LMSCommit',
    'LMSGetLastError',
    'LMSGetErrorString',
    'LMSGetDiagnostic',
    'Initialize',
    'Terminate',
    'GetValue',
    'SetValue',
    'Commit',
    'GetLastError',
    'GetErrorString',
    'GetDiagnostic',
    'getFlattenedCMI',
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
      if (msg.method === 'getFlattenedCMI') tellRevision(current);
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
    if (sco && data.locked.indexOf(sco.identifier) >= 0) return;
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
    if (!done && !data.scos[j].hidden && data.locked.indexOf(data.scos[j].identifier) < 0) {
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
