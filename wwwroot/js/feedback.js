// "Right?": after each reading, one tap confirms it or picks the right digit (POST /feedback with the
// reading's id); the answer can be taken back (DELETE /feedback/{id}). And the field matrix: the model's
// confusion matrix on what people answered (GET /metrics/feedback).
import { el, replaceChildren } from './dom.js';
import * as api from './api.js';
import { renderConfusion } from './modelview.js';

export class FeedbackPrompt extends EventTarget {
  #root;
  #question;
  #yes;
  #digits = [];
  #status;
  #reading = null; // { id, digit } of the reading asked about
  #answered = null; // the stored answer's id

  constructor(root) {
    super();
    this.#root = root;
    this.#question = el('p', { class: 'feedback-question', text: 'Right?' });
    this.#yes = el('button', { class: 'button button-small feedback-yes', type: 'button', dataset: { role: 'confirm' } }, 'Yes');
    this.#yes.addEventListener('click', () => this.#answer(this.#reading.digit));
    const picker = el('div', { class: 'feedback-digits', role: 'group', 'aria-label': 'No, it is this digit' });
    for (let d = 0; d < 10; d++) {
      const button = el('button', { class: 'button button-small feedback-digit', type: 'button', dataset: { digit: d }, 'aria-label': `No, it's a ${d}` }, String(d));
      button.addEventListener('click', () => this.#answer(d));
      picker.append(button);
      this.#digits.push(button);
    }
    this.#status = el('p', { class: 'feedback-status', 'aria-live': 'polite' });
    replaceChildren(root,
      el('div', { class: 'feedback-ask' }, this.#question, this.#yes, el('span', { class: 'feedback-or muted', text: 'No, it’s' }), picker),
      this.#status);
    this.hide();
  }

  /** Asks about a new reading (an answer of POST /predict). */
  ask(result) {
    this.#reading = { id: result.id, digit: result.digit };
    this.#answered = null;
    this.#root.hidden = !result.id;
    this.#root.dataset.state = 'asking';
    this.#yes.textContent = `Yes, a ${result.digit}`;
    for (const button of this.#digits) button.hidden = Number(button.dataset.digit) === result.digit;
    this.#setDisabled(false);
    replaceChildren(this.#status);
  }

  hide() {
    this.#reading = null;
    this.#root.hidden = true;
  }

  async #answer(label) {
    const reading = this.#reading;
    if (!reading) return;
    this.#setDisabled(true);
    try {
      const record = await api.sendFeedback(reading.id, label);
      if (this.#reading !== reading) return;
      this.#answered = record.id;
      this.#root.dataset.state = record.correct ? 'confirmed' : 'corrected';
      const undo = el('button', { class: 'link-button', type: 'button', dataset: { role: 'undo-feedback' } }, 'Undo');
      undo.addEventListener('click', () => this.#undo(reading));
      replaceChildren(this.#status, record.correct
        ? `Thanks: confirmed as a ${label}. `
        : `Thanks: stored as a ${label} (the model read a ${reading.digit}), to train better models. `, undo);
      this.dispatchEvent(new CustomEvent('answered', { detail: record }));
    } catch (error) {
      if (this.#reading !== reading) return;
      this.#root.dataset.state = 'error';
      this.#setDisabled(false);
      replaceChildren(this.#status, el('span', { class: 'error-text', text: `${error.title}. ${error.detail}` }));
    }
  }

  async #undo(reading) {
    try {
      await api.deleteFeedback(this.#answered);
      if (this.#reading !== reading) return;
      this.ask({ id: reading.id, digit: reading.digit });
      this.dispatchEvent(new CustomEvent('answered', { detail: null }));
    } catch (error) {
      replaceChildren(this.#status, el('span', { class: 'error-text', text: `${error.title}. ${error.detail}` }));
    }
  }

  #setDisabled(disabled) {
    this.#yes.disabled = disabled;
    for (const button of this.#digits) button.disabled = disabled;
  }
}

/** The field matrix of `model`, or why there is none yet. */
export async function renderField(root, model) {
  let confusion;
  try {
    confusion = await api.getFieldConfusion(model);
  } catch (error) {
    replaceChildren(root, el('p', { class: 'error-text', text: `${error.title}. ${error.detail}` }));
    return;
  }
  if (confusion.model !== model) return;
  if (!confusion.total) {
    replaceChildren(root, el('p', { class: 'muted', dataset: { role: 'field-empty' },
      text: 'No answers for this model yet: draw a digit and tell the page whether it read it right.' }));
    return;
  }
  renderConfusion(root, confusion, 'answers');
}
