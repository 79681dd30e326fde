// "Print this page" links: shown only when this script runs, since without it they would do nothing.
for (const link of document.querySelectorAll('.app-print-link')) {
  link.hidden = false;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    window.print();
  });
}
