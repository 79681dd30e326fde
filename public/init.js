import { initAll } from '/assets/govuk-frontend.min.js';
initAll();

// A data table needs both its dimensions (WCAG 1.4.10), so on a narrow screen a
// wide one scrolls sideways inside its own box, never the whole page. The box
// takes the keyboard focus and is named after the table only while it scrolls,
// so tables that fit add no extra tab stop.
const boxes = [...document.querySelectorAll('main table')].map((table) => {
  let box = table.parentElement;
  if (!box.classList.contains('app-table-wrap')) {
    box = document.createElement('div');
    box.className = 'app-table-wrap';
    table.before(box);
    box.append(table);
  }
  const heading = table.caption?.textContent.trim() || box.previousElementSibling?.textContent.trim().slice(0, 80) || 'Table';
  return { box, name: `${heading.replace(/\s+/g, ' ')} (scrolls sideways)` };
});
function fit() {
  for (const { box, name } of boxes) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0;
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', name);
    } else {
      box.removeAttribute('tabindex');
      box.removeAttribute('role');
      box.removeAttribute('aria-label');
    }
  }
}
fit();
addEventListener('resize', fit);
