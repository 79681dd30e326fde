import fs from 'node:fs';
import path from 'node:path';
import { ZipArchive } from 'archiver';

/**
 * The project's own small SCORM 1.2 module: three short pages of domestic
 * abuse awareness for Group 1 and a three-question check. Written for this
 * project; free to reuse under the project's licence.
 */
export const DEMO_PACKAGE_IDENTIFIER = 'org.example.vale-partnership.domestic-abuse-awareness';

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="${DEMO_PACKAGE_IDENTIFIER}" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="awareness">
    <organization identifier="awareness">
      <title>Domestic abuse awareness</title>
      <item identifier="awareness_sco" identifierref="awareness_resource">
        <title>Domestic abuse awareness (Group 1)</title>
        <adlcp:masteryscore>66</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="awareness_resource" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
      <file href="course.js"/>
      <file href="course.css"/>
    </resource>
  </resources>
</manifest>
`;

const INDEX = `<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>Domestic abuse awareness</title>
  <link rel="stylesheet" href="course.css">
</head>
<body>
  <main>
    <p class="progress" id="progress" aria-live="polite"></p>
    <section class="page" id="page-1" data-page="1">
      <h1>What domestic abuse is</h1>
      <p>Domestic abuse is any incident or pattern of controlling, coercive, threatening, degrading or violent behaviour between people aged 16 or over who are, or have been, intimate partners or family members.</p>
      <p>It is not only physical violence. It includes emotional, psychological, sexual and economic abuse, and coercive control: a pattern of acts used to harm, punish or frighten someone and make them dependent.</p>
      <p>Anyone can experience domestic abuse, whatever their age, gender, sexuality, ethnicity, religion, disability or income. Children who see, hear or live with it are victims in their own right.</p>
    </section>
    <section class="page" id="page-2" data-page="2" hidden>
      <h1>Signs you might notice at work</h1>
      <ul>
        <li>A colleague or customer seems frightened of a partner or family member, or anxious about getting home on time.</li>
        <li>Frequent lateness or absence, or unexplained injuries explained away.</li>
        <li>Someone else controls their money, phone, travel or who they see.</li>
        <li>They seem withdrawn, or a partner calls or turns up much more than you would expect.</li>
      </ul>
      <p>None of these proves abuse, and many people show no signs at all. What matters is noticing, and knowing what to do next.</p>
    </section>
    <section class="page" id="page-3" data-page="3" hidden>
      <h1>What to do</h1>
      <p>If someone is in immediate danger, call 999. If they cannot speak, they can press 55 when prompted on a mobile.</p>
      <p>Otherwise: listen, believe them, and do not judge. Do not confront the person causing harm. Tell your safeguarding lead or manager, following your organisation's policy, and give the person the details of local and national support services.</p>
      <p>Look after yourself too: hearing about abuse can be upsetting. Talk to your manager or your organisation's employee support.</p>
    </section>
    <section class="page" id="page-4" data-page="4" hidden>
      <h1>Check what you have learned</h1>
      <form id="quiz">
        <fieldset>
          <legend>1. Which of these can be domestic abuse?</legend>
          <label><input type="radio" name="q1" value="a"> Only physical violence</label>
          <label><input type="radio" name="q1" value="b"> Controlling someone's money, phone and who they see</label>
          <label><input type="radio" name="q1" value="c"> Only abuse between people who live together</label>
        </fieldset>
        <fieldset>
          <legend>2. Children who live with domestic abuse are:</legend>
          <label><input type="radio" name="q2" value="a"> Victims in their own right</label>
          <label><input type="radio" name="q2" value="b"> Not affected if they are not hurt</label>
        </fieldset>
        <fieldset>
          <legend>3. A colleague tells you their partner is controlling them. What should you do first?</legend>
          <label><input type="radio" name="q3" value="a"> Speak to the partner to sort it out</label>
          <label><input type="radio" name="q3" value="b"> Listen, believe them, and follow your safeguarding policy</label>
          <label><input type="radio" name="q3" value="c"> Tell them it is a private matter</label>
        </fieldset>
        <button type="submit" id="submit-quiz">Submit answers</button>
      </form>
      <p id="result" aria-live="polite"></p>
    </section>
    <nav>
      <button type="button" id="back">Back</button>
      <button type="button" id="next">Next</button>
    </nav>
  </main>
  <script src="course.js"></script>
</body>
</html>
`;

const SCRIPT = `(function () {
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
`;

const STYLE = `body { font-family: Arial, sans-serif; font-size: 19px; line-height: 1.4; color: #0b0c0c; margin: 20px; }
h1 { font-size: 32px; }
fieldset { border: 0; margin: 0 0 20px; padding: 0; }
legend { font-weight: 700; margin-bottom: 10px; }
label { display: block; margin: 5px 0; }
button { font-size: 19px; padding: 8px 12px; margin-right: 10px; }
nav { margin-top: 30px; }
`;

/** Writes the demo package zip to `outFile` (creating folders) and returns the path. */
export async function buildDemoScorm(outFile: string): Promise<string> {
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const out = fs.createWriteStream(outFile);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    out.on('error', reject);
    archive.on('error', reject);
  });
  archive.pipe(out);
  archive.append(MANIFEST, { name: 'imsmanifest.xml' });
  archive.append(INDEX, { name: 'index.html' });
  archive.append(SCRIPT, { name: 'course.js' });
  archive.append(STYLE, { name: 'course.css' });
  await archive.finalize();
  await closed;
  return outFile;
}
