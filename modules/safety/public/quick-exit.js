/* Quick exit: the "Exit this page" button, Escape pressed twice or Shift pressed
   three times takes the person to an ordinary site at once. location.replace
   takes this page out of the tab's history, so Back does not bring it back.
   Progress is kept: the SCORM player saves on pagehide (and on the event below). */
(() => {
  'use strict';
  const button = document.querySelector('.app-quick-exit a');
  if (!button) return;
  const exitUrl = button.getAttribute('href');
  let leaving = false;

  function leave() {
    if (leaving) return;
    leaving = true;
    document.dispatchEvent(new CustomEvent('app:quick-exit'));
    // Cover the page straight away, in case the next site is slow to answer.
    const overlay = document.createElement('div');
    overlay.className = 'govuk-exit-this-page-overlay';
    overlay.textContent = 'Loading.';
    document.body.appendChild(overlay);
    window.location.replace(exitUrl);
  }

  button.addEventListener('click', (event) => {
    event.preventDefault();
    leave();
  });

  let escapes = 0;
  let shifts = 0;
  let escapeTimer;
  let shiftTimer;
  function onKeyup(event) {
    if (event.key === 'Escape') {
      shifts = 0;
      escapes += 1;
      clearTimeout(escapeTimer);
      if (escapes >= 2) leave();
      else
        escapeTimer = setTimeout(() => {
          escapes = 0;
        }, 2000);
    } else if (event.key === 'Shift') {
      escapes = 0;
      shifts += 1;
      clearTimeout(shiftTimer);
      if (shifts >= 3) leave();
      else
        shiftTimer = setTimeout(() => {
          shifts = 0;
        }, 5000);
    } else {
      escapes = 0;
      shifts = 0;
    }
  }

  // E-learning plays in frames from this site, and a learner's keys go to the
  // frame they are working in: listen there too, however deep.
  const watched = new WeakSet();
  function watch(doc) {
    if (!doc || watched.has(doc)) return;
    watched.add(doc);
    doc.addEventListener('keyup', onKeyup, true);
    const frames = doc.getElementsByTagName('iframe');
    for (let i = 0; i < frames.length; i++) watchFrame(frames[i]);
  }
  function watchFrame(frame) {
    if (frame.dataset.quickExitWatched !== 'yes') {
      frame.dataset.quickExitWatched = 'yes';
      frame.addEventListener('load', () => watchFrame(frame));
    }
    try {
      watch(frame.contentDocument);
    } catch (_e) {
      /* a frame from another site keeps its keys to itself */
    }
  }
  watch(document);
  // Frames added after the page loaded (the player adds its content frame's page later).
  const again = () => {
    const frames = document.getElementsByTagName('iframe');
    for (let i = 0; i < frames.length; i++) watchFrame(frames[i]);
  };
  new MutationObserver(again).observe(document.body, { childList: true, subtree: true });
})();
