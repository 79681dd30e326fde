/* Uploads a SCORM zip with a progress bar (XHR upload progress); without JavaScript the form posts normally. */
(() => {
  'use strict';
  const form = document.getElementById('scorm-upload');
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const progressGroup = document.getElementById('upload-progress-group');
  const progress = document.getElementById('upload-progress');
  const progressText = document.getElementById('upload-progress-text');
  const errorBox = document.getElementById('package-error');
  const errorText = document.getElementById('package-error-text');
  const group = document.getElementById('package-group');

  // The same GOV.UK error summary the page has when the form posts without JavaScript.
  function showSummary(message) {
    let summary = document.querySelector('.govuk-error-summary');
    if (!summary) {
      summary = document.createElement('div');
      summary.className = 'govuk-error-summary';
      summary.tabIndex = -1;
      summary.innerHTML =
        '<div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li><a href="#package"></a></li></ul></div></div>';
      const main = document.getElementById('main-content');
      main.insertBefore(summary, main.firstChild);
    }
    const list = summary.querySelector('.govuk-error-summary__list');
    list.innerHTML = '<li><a href="#package"></a></li>';
    list.querySelector('a').textContent = message;
    if (!document.title.startsWith('Error: ')) document.title = 'Error: ' + document.title;
    summary.focus();
  }

  function showError(message) {
    errorText.textContent = message;
    errorBox.hidden = false;
    group.classList.add('govuk-form-group--error');
    progressGroup.hidden = true;
    showSummary(message);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.getAttribute('action'));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', form.querySelector('input[name="_csrf"]').value);
    progressGroup.hidden = false;
    errorBox.hidden = true;
    group.classList.remove('govuk-form-group--error');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      progress.value = pct;
      progress.textContent = pct + '%';
      progressText.textContent = pct < 100 ? 'Uploaded ' + pct + '%' : 'Uploaded. Checking and unpacking the package…';
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (_e) {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body?.redirect) {
        window.location.assign(body.redirect);
      } else {
        showError(body?.error?.message || 'The upload failed. Try again.');
      }
    });
    xhr.addEventListener('error', () => {
      showError('The upload was interrupted. Check your connection and try again.');
    });
    xhr.send(new FormData(form));
  });
})();
