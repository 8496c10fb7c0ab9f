// Misread digits: a click on a confusion-matrix cell off the diagonal shows the test images behind it
// (from the model report's misread list), each with the probabilities the model gave.
import { el, replaceChildren, formatInt, formatPercent } from './dom.js';
import { testImageUrl, problemAt } from './api.js';

const SHOWN = 60; // images per cell; the rest are counted

export class MisreadView {
  #root;
  #confusion;
  #misread = null; // the report's list, or null when the model has none
  #selected = null;
  #imagesProblem = null; // once a test image fails, the service's reason

  /** @param root the card's body; @param confusion the element the confusion matrix is rendered into */
  constructor(root, confusion) {
    this.#root = root;
    this.#confusion = confusion;
    const choose = (cell) => cell && this.show(+cell.dataset.actual, +cell.dataset.predicted);
    confusion.addEventListener('click', (e) => choose(e.target.closest('td.cell.is-error')));
    confusion.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      const cell = e.target.closest('td.cell.is-error');
      if (cell) { e.preventDefault(); choose(cell); }
    });
  }

  /** A newly shown model: its report's misread list (snake_case report), after its matrix was rendered. */
  setModel(report) {
    this.#misread = Array.isArray(report?.misread) ? report.misread : null;
    this.#selected = null;
    for (const cell of this.#confusion.querySelectorAll('td.cell.is-error:not(.is-zero)')) {
      cell.tabIndex = 0;
      cell.setAttribute('role', 'button');
      cell.classList.add('is-clickable');
    }
    const note = !report
      ? 'This model carries no report, so there is no list of the test images it misreads.'
      : this.#misread
        ? 'Click a cell off the diagonal (say true 4, read 9) to see those test images and what the model thought of them.'
        : 'This model\u2019s report does not list the test images it misread (it was written before they were recorded): the counts in the matrix are all it has. Retrain it to see them.';
    replaceChildren(this.#root, el('p', { class: 'muted', dataset: { role: 'misread-note' }, text: note }));
  }

  show(actual, predicted) {
    this.#confusion.querySelector('td.cell.is-selected')?.classList.remove('is-selected');
    this.#confusion.querySelector(`td.cell[data-actual="${actual}"][data-predicted="${predicted}"]`)?.classList.add('is-selected');
    this.#selected = `${actual},${predicted}`;
    const count = +(this.#confusion.querySelector(`td.cell[data-actual="${actual}"][data-predicted="${predicted}"]`)?.dataset.count ?? 0);
    const title = el('h4', { class: 'misread-title', text: `${actual} read as ${predicted}: ${formatInt(count)} test image${count === 1 ? '' : 's'}` });
    if (!this.#misread) {
      replaceChildren(this.#root, title, el('p', { class: 'muted', text: 'The model\u2019s report does not list which images these are.' }));
      return;
    }
    const entries = this.#misread.filter((m) => m.label === actual && m.digit === predicted);
    const grid = el('ul', { class: 'misread-grid', dataset: { actual, predicted } }, entries.slice(0, SHOWN).map((m) => this.#figure(m)));
    const more = entries.length > SHOWN ? el('p', { class: 'muted', text: `and ${formatInt(entries.length - SHOWN)} more` }) : null;
    const problem = el('p', { class: 'error-text misread-problem', hidden: !this.#imagesProblem, text: this.#imagesProblem ?? '' });
    replaceChildren(this.#root, title, problem, entries.length ? grid : el('p', { class: 'muted', text: 'None.' }), more);
    // On a phone the card is a screen or two below the matrix: bring the answer to the tap into view.
    title.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  #figure(m) {
    // The digit read, the runner-up, and a third only when it had a say (0.1 % or more).
    const ranked = m.probabilities.map((p, digit) => ({ digit, p })).sort((a, b) => b.p - a.p).filter((r, i) => i < 2 || (i === 2 && r.p >= 0.001));
    const image = el('img', { src: testImageUrl(m.index), width: 56, height: 56, alt: `Test image ${m.index}, a ${m.label}` });
    image.addEventListener('error', () => this.#imageFailed(m.index, image), { once: true });
    return el('li', { class: 'misread-item', dataset: { index: m.index, label: m.label } },
      image,
      el('span', { class: 'misread-index mono', text: `#${m.index}` }),
      el('ol', { class: 'misread-probs', 'aria-label': 'The model\u2019s most probable digits' }, ranked.map(({ digit, p }) => {
        const fill = el('span', {});
        fill.style.transform = `scaleX(${p})`;
        return el('li', { class: digit === m.digit ? 'is-read' : digit === m.label ? 'is-true' : '' },
          el('span', { class: 'mono', text: digit }), el('span', { class: 'misread-meter' }, fill),
          el('span', { class: 'mono', text: formatPercent(p) }));
      })));
  }

  async #imageFailed(index, image) {
    image.hidden = true;
    if (this.#imagesProblem) return;
    const error = await problemAt(testImageUrl(index));
    this.#imagesProblem = `The test images cannot be shown: ${error.title}. ${error.detail}`;
    const note = this.#root.querySelector('.misread-problem');
    if (note) { note.textContent = this.#imagesProblem; note.hidden = false; }
  }
}
