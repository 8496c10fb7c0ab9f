// The boxes of the digits read, laid over the number pad: each a focusable list item placed where the
// service found the digit, labelled with it; pointing at one (mouse, touch or keyboard focus) picks it.
import { el, replaceChildren, formatPercent } from './dom.js';
import { describe } from './prediction.js';

export class DigitBoxes extends EventTarget {
  #layer;
  #boxes = [];

  constructor(layer) {
    super();
    this.#layer = layer;
  }

  /**
   * Shows the digits of a /predict/sequence answer. `frame` says where the image the service read lies on the pad:
   * fractions of the pad ({ x, y, width, height }) and that image's size in pixels ({ imageWidth, imageHeight }).
   */
  show(digits, frame) {
    this.#boxes = digits.map((digit, index) => {
      const { box } = digit;
      const left = frame.x + (box.x / frame.imageWidth) * frame.width;
      const top = frame.y + (box.y / frame.imageHeight) * frame.height;
      const item = el('div', {
        class: 'digit-box',
        role: 'listitem',
        tabindex: 0,
        dataset: { index, level: describe(digit.probabilities).level },
        'aria-label': `Digit ${index + 1}: ${digit.digit}, ${formatPercent(digit.confidence)} sure`,
      }, el('span', { text: digit.digit }));
      Object.assign(item.style, {
        left: `${left * 100}%`,
        top: `${top * 100}%`,
        width: `${(box.width / frame.imageWidth) * frame.width * 100}%`,
        height: `${(box.height / frame.imageHeight) * frame.height * 100}%`,
      });
      const pick = () => this.#pick(index);
      item.addEventListener('pointerenter', pick);
      item.addEventListener('pointerdown', pick);
      item.addEventListener('focus', pick);
      return item;
    });
    replaceChildren(this.#layer, this.#boxes);
  }

  clear() {
    this.#boxes = [];
    replaceChildren(this.#layer);
  }

  #pick(index) {
    this.#boxes.forEach((box, i) => box.classList.toggle('is-pointed', i === index));
    this.dispatchEvent(new CustomEvent('pick', { detail: index }));
  }
}
