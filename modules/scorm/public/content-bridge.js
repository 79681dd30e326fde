/* Runs on the content origin, in the page that frames one SCO. The SCO finds
   the SCORM API here (window.API for 1.2, window.API_1484_11 for 2004): it is
   scorm-again's CrossFrameAPI, which answers from a copy of the run-time data
   and passes every call to the player page by postMessage, to that page's
   origin only. The player page holds the real API and alone talks to the
   product; nothing on this origin can. */
(() => {
  'use strict';
  const body = document.body;
  const playerOrigin = body.getAttribute('data-player-origin');
  const version = body.getAttribute('data-version');
  const launch = body.getAttribute('data-launch');
  const frame = document.getElementById('sco');
  if (!playerOrigin || !launch || !frame || !window.CrossFrameAPI || window.parent === window) return;

  const api = new window.CrossFrameAPI(playerOrigin, window.parent, { timeout: 15000 });
  if (version === '1.2') window.API = api;
  else window.API_1484_11 = api;

  // The quick-exit keys (Escape twice, Shift three times) must work while the
  // learner's keys go to the content: pass on which key it was, nothing more.
  const watched = new WeakSet();
  function onKeyup(event) {
    const key = event.key === 'Escape' || event.key === 'Shift' ? event.key : 'other';
    window.parent.postMessage({ quickExitKey: key }, playerOrigin);
  }
  function watch(doc) {
    if (!doc || watched.has(doc)) return;
    watched.add(doc);
    doc.addEventListener('keyup', onKeyup, true);
    const frames = doc.getElementsByTagName('iframe');
    for (let i = 0; i < frames.length; i++) watchFrame(frames[i]);
  }
  function watchFrame(f) {
    if (!f.getAttribute('data-keys-watched')) {
      f.setAttribute('data-keys-watched', 'yes');
      f.addEventListener('load', () => watchFrame(f));
    }
    try {
      watch(f.contentDocument);
    } catch (_e) {
      /* not this origin */
    }
  }
  watch(document);
  watchFrame(frame);

  // A SCO says its last words (cmi.exit, session time, Terminate) as its page
  // closes, after the player page has gone, so the bridge cannot carry them.
  // They go by beacon to this origin, under this frame's capability, which
  // stores them for this attempt only (modules/scorm/content-site.ts).
  const lastWordsUrl = body.getAttribute('data-last-words');
  const sco = body.getAttribute('data-sco');
  const sessionId = body.getAttribute('data-session');
  let closing = false;
  let initialised = false;
  let lastSent = 0;
  window.addEventListener('pagehide', () => {
    closing = true;
  });
  function sayLastWords() {
    if (!closing || !initialised || !lastWordsUrl || !sco || !navigator.sendBeacon) return;
    const cmi = {};
    api._cache.forEach((v, k) => {
      if (/^(cmi|adl)\./.test(k)) cmi[k] = v;
    });
    // Later than anything the player sent before it closed; its next page starts later still.
    const sequence = Math.max(lastSent + 1, Date.now() * 1000 + 999);
    lastSent = sequence;
    navigator.sendBeacon(lastWordsUrl, new Blob([JSON.stringify({ sco: sco, sequence: sequence, sessionId: sessionId, cmi: cmi })], { type: 'text/plain' }));
  }
  frame.addEventListener('load', () => {
    try {
      const w = frame.contentWindow;
      // Both: pagehide always fires; unload, where a SCO often writes, may not in every browser.
      w.addEventListener('pagehide', sayLastWords);
      w.addEventListener('unload', sayLastWords);
    } catch (_e) {
      /* the SCO left this origin: it has nothing to say here */
    }
  });

  // The SCO starts once the copy holds what the server stored, so its first
  // GetValue (a bookmark, suspend data) is already right.
  let started = false;
  function start() {
    if (started) return;
    started = true;
    frame.src = launch;
  }
  api._post('getFlattenedCMI', []).then(
    (all) => {
      if (all && typeof all === 'object') {
        Object.keys(all).forEach((k) => {
          const v = all[k];
          if ((typeof v === 'string' || typeof v === 'number') && !api._cacheTimestamps.has(k)) api._cache.set(k, String(v));
        });
      }
      initialised = true;
      start();
    },
    () => start(),
  );
})();
