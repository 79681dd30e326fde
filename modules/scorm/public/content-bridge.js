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

  const bridge = new window.CrossFrameAPI(playerOrigin, window.parent, { timeout: 15000 });

  // CrossFrameAPI answers every SetValue "true" at once, before the player
  // page has seen it, so a value the data model cannot hold would look stored
  // to the SCO and be refused later where it cannot hear. The SCO gets this
  // thin wrapper instead: it refuses an over-long value there and then with
  // the standard code (SCORM 1.2: 405, incorrect data type; 2004: 406, type
  // mismatch, as scorm-again answers for a value longer than its type allows),
  // keeps the value before it, and reports that code from GetLastError until
  // the SCO's next call. It also notes whether the SCO itself ended its
  // session, which its last words must say.
  let limits = [];
  try {
    limits = JSON.parse(body.getAttribute('data-limits') || '[]').map((l) => [new RegExp(l[0]), l[1]]);
  } catch (_e) {
    /* no limits given: the player page and the server still check */
  }
  const tooLong = version === '1.2' ? '405' : '406';
  const errorStrings = { 405: 'Incorrect Data Type', 406: 'Data Model Element Type Mismatch' };
  let ownError = null;
  let terminated = false;
  const RESETS = /^(LMS)?(Initialize|Finish|Terminate|GetValue|SetValue|Commit)$/;
  const api = new Proxy(bridge, {
    get(target, prop) {
      const inner = target[prop];
      if (typeof prop !== 'string' || typeof inner !== 'function' || prop.charAt(0) === '_') return inner;
      if (prop === 'LMSSetValue' || prop === 'SetValue') {
        return (name, value) => {
          const limit = limits.find((l) => l[0].test(String(name)));
          if (limit && String(value).length > limit[1]) {
            ownError = tooLong;
            return 'false';
          }
          ownError = null;
          return inner(name, value);
        };
      }
      if (prop === 'LMSGetLastError' || prop === 'GetLastError') return (...args) => (ownError !== null ? ownError : inner(...args));
      if (prop === 'LMSGetErrorString' || prop === 'GetErrorString' || prop === 'LMSGetDiagnostic' || prop === 'GetDiagnostic') {
        return (code, ...rest) => (ownError !== null && String(code) === ownError ? errorStrings[ownError] : inner(code, ...rest));
      }
      if (RESETS.test(prop)) {
        return (...args) => {
          ownError = null;
          if (!/^(LMSFinish|Terminate)$/.test(prop)) return inner(...args);
          terminated = true;
          const answer = inner(...args);
          // A SCO that ends its session only as its page closes: say so now, whichever
          // of its and this page's close-time listeners the browser runs first.
          sayLastWords();
          return answer;
        };
      }
      return inner;
    },
  });
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
  // The SCO's revision the player page last saw, which it posts here. Last
  // words go as "based on" it: the server stores them over what this page
  // itself stored last, but not over progress another tab stored since this
  // page last heard (modules/scorm/store.ts, STORE_WHEN). Until the player
  // says, 0: they are stored only if this page wrote last or nothing is stored.
  let revision = 0;
  window.addEventListener('message', (event) => {
    if (event.origin !== playerOrigin || event.source !== window.parent) return;
    const r = event.data?.scormRevision;
    if (typeof r === 'number' && Number.isSafeInteger(r) && r >= 0 && event.data.sco === sco) revision = r;
  });
  window.addEventListener('pagehide', () => {
    closing = true;
  });
  function sayLastWords() {
    if (!closing || !initialised || !lastWordsUrl || !sco || !navigator.sendBeacon) return;
    const cmi = {};
    bridge._cache.forEach((v, k) => {
      if (/^(cmi|adl)\./.test(k)) cmi[k] = v;
    });
    // Later than the player page's own close-time send (clock + 1000, in the same
    // millisecond at worst), which these words complete; a commit the player makes
    // for this SCO after relaunching it comes a millisecond later at least, so later still.
    const sequence = Math.max(lastSent + 1, Date.now() * 1000 + 1999);
    lastSent = sequence;
    // As the player page does: a SCO that reports no session time still spent some, measured from its launch.
    const timeName = version === '1.2' ? 'cmi.core.session_time' : 'cmi.session_time';
    if (!cmi[timeName] || /^(0+:00:00(\.0+)?|PT0+(\.0+)?S|PT0H0M0S)$/.test(cmi[timeName])) {
      const seconds = Math.max(0, Math.round((Date.now() - launched) / 1000));
      const pad = (n, w) => String(n).padStart(w, '0');
      cmi[timeName] =
        version === '1.2'
          ? pad(Math.floor(seconds / 3600), 4) + ':' + pad(Math.floor((seconds % 3600) / 60), 2) + ':' + pad(seconds % 60, 2)
          : 'PT' + seconds + 'S';
    }
    // terminated: the SCO called LMSFinish/Terminate as it closed, so a 1.2 status it left "not attempted" is settled.
    const words = { sco: sco, sequence: sequence, sessionId: sessionId, base: revision, final: true, terminated: terminated, cmi: cmi };
    navigator.sendBeacon(lastWordsUrl, new Blob([JSON.stringify(words)], { type: 'text/plain' }));
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
  let launched = Date.now();
  function start() {
    if (started) return;
    started = true;
    launched = Date.now();
    frame.src = launch;
  }
  bridge._post('getFlattenedCMI', []).then(
    (all) => {
      if (all && typeof all === 'object') {
        Object.keys(all).forEach((k) => {
          const v = all[k];
          if ((typeof v === 'string' || typeof v === 'number') && !bridge._cacheTimestamps.has(k)) bridge._cache.set(k, String(v));
        });
      }
      initialised = true;
      start();
    },
    () => start(),
  );
})();
