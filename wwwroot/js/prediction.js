// The verdict: the predicted digit, the model's confidence in words, and ten probability bars; or that the
// image does not look like a digit (the model's detector, isDigit false), or is too small to read.
import { el, formatPercent } from './dom.js';

/** "a 7", "an 8". */
const article = (digit) => `${digit === 8 ? 'an' : 'a'} ${digit}`;
const capital = (text) => text[0].toUpperCase() + text.slice(1);

/** What the probabilities say, in words a person would use. */
export function describe(probabilities) {
  const ranked = probabilities.map((p, digit) => ({ digit, p })).sort((a, b) => b.p - a.p);
  const [first, second] = ranked;
  if (first.p >= 0.9) {
    return { level: 'sure', headline: `It's ${article(first.digit)}.`, detail: `The network is confident (${formatPercent(first.p)}).` };
  }
  if (first.p >= 0.6) {
    return {
      level: 'likely',
      headline: `Probably ${article(first.digit)}.`,
      detail: `Fairly sure (${formatPercent(first.p)}), though it could be ${article(second.digit)} (${formatPercent(second.p)}).`,
    };
  }
  return {
    level: 'unsure',
    headline: `${capital(article(first.digit))} or ${article(second.digit)}?`,
    detail: `The network is unsure: ${first.digit} at ${formatPercent(first.p)}, ${second.digit} at ${formatPercent(second.p)}. Try drawing it more clearly.`,
  };
}

export class PredictionView {
  #root;
  #digit;
  #headline;
  #detail;
  #meta;
  #rows = [];

  constructor(root) {
    this.#root = root;
    this.#digit = root.querySelector('[data-role=digit]');
    this.#headline = root.querySelector('[data-role=headline]');
    this.#detail = root.querySelector('[data-role=detail]');
    this.#meta = root.querySelector('[data-role=meta]');
    const list = root.querySelector('[data-role=bars]');
    for (let d = 0; d < 10; d++) {
      const fill = el('span', { class: 'bar-fill' });
      const value = el('span', { class: 'bar-value', text: '–' });
      const row = el('li', { class: 'bar', dataset: { digit: d } },
        el('span', { class: 'bar-digit', text: d }),
        el('span', { class: 'bar-track' }, fill),
        value);
      list.append(row);
      this.#rows.push({ row, fill, value });
    }
    this.idle();
  }

  /** Nothing to read yet. */
  idle(message = 'Draw a digit or drop an image, and the network reads it as you go.') {
    this.#set('idle', '?', 'Waiting for a digit', message, '');
    this.#bars(null);
  }

  busy(on) { this.#root.classList.toggle('is-busy', on); }

  show(result, elapsedMs) {
    if (result.isDigit === false) {
      this.#notDigit(result, elapsedMs);
      return;
    }
    const words = describe(result.probabilities);
    this.#set(words.level, String(result.digit), words.headline, words.detail,
      `${result.model} · ${Math.round(elapsedMs)} ms round trip`);
    this.#root.dataset.digit = result.digit;
    this.#bars(result.probabilities, result.digit);
  }

  /** A drawing too small to read (a dot): said so, whatever the network made of it. */
  tooSmall() {
    this.#set('not-digit', '·', 'Too small to read', 'That is only a dot or a tiny stroke: draw the digit larger, across most of the pad.', '');
    this.#bars(null);
  }

  /** The detector says this is not a digit: the network's guess stays visible, greyed. */
  #notDigit(result, elapsedMs) {
    this.#set('not-digit', '?', "That doesn't look like a digit",
      `The network's closest digit would be ${result.digit} (${formatPercent(result.confidence)}), but its detector does not take this for a digit. Draw one digit, 0 to 9.`,
      `${result.model} · ${Math.round(elapsedMs)} ms round trip`);
    this.#bars(result.probabilities, result.digit);
  }

  error(title, detail) {
    this.#set('error', '!', title, detail, '');
    this.#bars(null);
  }

  #set(state, digit, headline, detail, meta) {
    this.#root.dataset.state = state;
    delete this.#root.dataset.digit;
    this.#digit.textContent = digit;
    this.#headline.textContent = headline;
    this.#detail.textContent = detail;
    this.#meta.textContent = meta;
  }

  #bars(probabilities, winner) {
    this.#rows.forEach(({ row, fill, value }, d) => {
      const p = probabilities ? probabilities[d] : 0;
      fill.style.transform = `scaleX(${Math.max(0, Math.min(1, p))})`;
      value.textContent = probabilities ? formatPercent(p) : '–';
      row.classList.toggle('is-winner', probabilities !== null && d === winner);
      row.setAttribute('aria-label', probabilities ? `${d}: ${formatPercent(p)}` : `${d}`);
    });
  }
}
