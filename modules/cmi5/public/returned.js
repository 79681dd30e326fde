// The page an AU returns to (its returnURL). In the player's frame it asks the player page to
// show the result; opened in its own window it goes to the result page itself.
(() => {
  const origin = document.body.getAttribute('data-player-origin');
  const result = document.body.getAttribute('data-result');
  if (window.parent !== window) window.parent.postMessage({ type: 'cmi5-returned' }, origin);
  else window.location.replace(result);
})();
