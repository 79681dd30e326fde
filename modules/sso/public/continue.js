// Moves on to the organisation's identity provider as soon as the page opens; without
// JavaScript the person presses the button. A link's navigation is not a form's, so the
// CSP's form-action 'self' does not stop it.
const link = document.querySelector('[data-sso-continue]');
if (link) window.location.replace(link.href);
