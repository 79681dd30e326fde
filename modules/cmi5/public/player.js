// The AU returns to its returnURL (a page of the content origin) when it ends; that page tells
// this one, and the learner sees their result here. Nothing else from the frame is listened to.
(() => {
  const player = document.getElementById('cmi5-player');
  if (!player) return;
  const contentOrigin = player.getAttribute('data-content-origin');
  window.addEventListener('message', (event) => {
    if (event.origin !== contentOrigin || !event.data || event.data.type !== 'cmi5-returned') return;
    window.location.assign(player.getAttribute('data-result'));
  });
})();
