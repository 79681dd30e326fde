/* SCORM player: gives the SCO window.API (1.2) or window.API_1484_11 (2004)
   through scorm-again, starts it from the data the server stored, commits as
   the module goes and, when the page closes, sends the latest data with a beacon. */
(() => {
  'use strict';
  const root = document.getElementById('scorm-player');
  const frame = document.getElementById('scorm-frame');
  if (!root || !frame || !window.Scorm12API) return;
  const data = JSON.parse(root.getAttribute('data-player'));
  // Increases with every commit, across page loads too, so the server can drop late arrivals.
  let sequence = Date.now() * 1000;
  let current = null;

  function flatCmi(api) {
    const flat = api.getFlattenedCMI();
    const out = {};
    Object.keys(flat).forEach((k) => {
      if (typeof flat[k] === 'string' || typeof flat[k] === 'number') out[k] = String(flat[k]);
    });
    return out;
  }

  function payload(state) {
    sequence += 1;
    return { sco: state.sco.identifier, sequence: sequence, sessionId: data.sessionId, cmi: flatCmi(state.api) };
  }

  function beacon(state) {
    if (!state || data.review || !navigator.sendBeacon) return;
    const body = new URLSearchParams();
    body.append('_csrf', data.csrfToken);
    body.append('payload', JSON.stringify(payload(state)));
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
      xhrHeaders: { 'x-csrf-token': data.csrfToken, accept: 'application/json' },
      commitRequestDataType: 'application/json;charset=UTF-8',
      terminationCommitContentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      logLevel: 5,
      requestHandler: (_commitObject, metadata) => {
        const p = payload(state);
        if (metadata?.isTerminateCommit) {
          return ['_csrf=' + encodeURIComponent(data.csrfToken), 'payload=' + encodeURIComponent(JSON.stringify(p))];
        }
        return p;
      },
      xhrResponseHandler: (xhr) => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        try {
          showStatus(JSON.parse(xhr.responseText));
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
  launch(start);
})();
