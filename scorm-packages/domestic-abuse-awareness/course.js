(function () {
  'use strict';
  var ANSWERS = { q1: 'b', q2: 'a', q3: 'b' };
  var PAGES = 4;
  function findApi(win) {
    for (var i = 0; win && i < 10; i++) {
      if (win.API) return win.API;
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  var api = findApi(window);
  function get(name) { return api ? api.LMSGetValue(name) : ''; }
  function set(name, value) { if (api) api.LMSSetValue(name, String(value)); }
  function commit() { if (api) api.LMSCommit(''); }
  if (api) api.LMSInitialize('');
  var status = get('cmi.core.lesson_status');
  if (status === 'not attempted' || status === '') set('cmi.core.lesson_status', 'incomplete');
  var page = parseInt(get('cmi.core.lesson_location'), 10) || 1;
  var started = new Date();
  function show(n) {
    page = Math.max(1, Math.min(PAGES, n));
    for (var i = 1; i <= PAGES; i++) document.getElementById('page-' + i).hidden = i !== page;
    document.getElementById('back').disabled = page === 1;
    document.getElementById('next').disabled = page === PAGES;
    document.getElementById('progress').textContent = 'Page ' + page + ' of ' + PAGES;
    set('cmi.core.lesson_location', page);
    set('cmi.suspend_data', JSON.stringify({ page: page }));
    commit();
  }
  document.getElementById('back').addEventListener('click', function () { show(page - 1); });
  document.getElementById('next').addEventListener('click', function () { show(page + 1); });
  document.getElementById('quiz').addEventListener('submit', function (e) {
    e.preventDefault();
    var right = 0;
    Object.keys(ANSWERS).forEach(function (q, i) {
      var chosen = document.querySelector('input[name="' + q + '"]:checked');
      var correct = !!chosen && chosen.value === ANSWERS[q];
      if (correct) right++;
      set('cmi.interactions.' + i + '.id', q);
      set('cmi.interactions.' + i + '.type', 'choice');
      set('cmi.interactions.' + i + '.student_response', chosen ? chosen.value : '');
      set('cmi.interactions.' + i + '.result', correct ? 'correct' : 'wrong');
    });
    var score = Math.round((right / 3) * 100);
    set('cmi.core.score.min', 0);
    set('cmi.core.score.max', 100);
    set('cmi.core.score.raw', score);
    set('cmi.core.lesson_status', score >= 66 ? 'passed' : 'failed');
    commit();
    document.getElementById('result').textContent = 'You answered ' + right + ' of 3 correctly (' + score + '%). ' + (score >= 66 ? 'You have passed.' : 'Read the pages again and try once more.');
  });
  window.addEventListener('pagehide', function () {
    var secs = Math.round((new Date() - started) / 1000);
    var h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
    set('cmi.core.session_time', ('0000' + h).slice(-4) + ':' + ('0' + m).slice(-2) + ':' + ('0' + s).slice(-2));
    var st = get('cmi.core.lesson_status');
    set('cmi.core.exit', st === 'passed' || st === 'completed' ? '' : 'suspend');
    if (api) api.LMSFinish('');
  });
  show(page);
})();
