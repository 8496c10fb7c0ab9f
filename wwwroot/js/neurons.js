// What the neurons learned and how they answer your digit: the first layer's weights as one 28x28 tile
// per unit, then, for the digit on the pad, each hidden layer's activations, the ten scores before
// softmax, and the saliency (where more ink would raise the answer). All from POST /predict?explain=true.
import { el, replaceChildren, cssVar, formatInt } from './dom.js';
import { weightsUrl, problemAt } from './api.js';

export class NeuronsView {
  #tiles;
  #live;
  #saliency;

  /** @param tiles the first-layer card's body; @param live the drawn digit's card body */
  constructor(tiles, live) {
    this.#tiles = tiles;
    this.#live = live;
    this.#saliency = el('canvas', { width: 28, height: 28, class: 'saliency', role: 'img',
      'aria-label': 'Saliency: where more ink would raise the answered digit (red) or lower it (blue)' });
    this.clear();
  }

  /** The first layer of `model` as tiles. */
  showModel(model) {
    const image = el('img', { class: 'weight-tiles', src: weightsUrl(model), alt: `Weights of ${model}'s first layer: one 28 by 28 tile per unit` });
    image.addEventListener('error', async () => {
      const error = await problemAt(weightsUrl(model));
      replaceChildren(this.#tiles, el('p', { class: 'muted', text: `${error.title}. ${error.detail}` }));
    }, { once: true });
    replaceChildren(this.#tiles, image, el('p', { class: 'card-note tiles-legend' },
      el('span', {}, el('span', { class: 'swatch swatch-positive' }), ' ink here raises the unit'),
      el('span', {}, el('span', { class: 'swatch swatch-negative' }), ' ink here lowers it'),
      el('span', { text: 'Each tile is scaled to its own largest weight.' })));
  }

  /** Nothing drawn. */
  clear() {
    replaceChildren(this.#live, el('p', { class: 'muted', dataset: { role: 'live-note' }, text: 'Draw a digit above: each hidden unit lights up as strongly as it fires.' }));
  }

  /** A prediction's explanation (result.explain), or why it has none (result.unexplained, an ApiError). */
  show(result) {
    const explain = result?.explain;
    if (!explain) {
      if (result?.unexplained) replaceChildren(this.#live, el('p', { class: 'muted', text: result.unexplained.detail }));
      else this.clear();
      return;
    }
    const layers = explain.activations.map((values, i) => this.#layer(values, i));
    replaceChildren(this.#live, ...layers, this.#logits(explain.logits, result.digit), this.#saliencyFigure(explain.saliency, result.digit));
  }

  #layer(values, index) {
    const max = Math.max(1e-9, ...values);
    const firing = values.filter((v) => v > 0).length;
    const columns = values.length > 64 ? 32 : 16;
    const grid = el('div', { class: 'units', dataset: { layer: index + 1, firing } });
    grid.style.setProperty('--columns', columns);
    values.forEach((v, unit) => {
      const cell = el('span', { class: 'unit', title: `unit ${unit + 1}: ${v.toFixed(3)}` });
      cell.style.setProperty('--level', Math.max(0, v / max).toFixed(3));
      grid.append(cell);
    });
    return el('figure', { class: 'layer-figure' },
      el('figcaption', {}, el('span', { class: 'chart-title', text: `Hidden layer ${index + 1}` }),
        el('span', { class: 'muted', text: `${formatInt(firing)} of ${formatInt(values.length)} units fire` })),
      grid);
  }

  #logits(logits, digit) {
    const extent = Math.max(1e-9, ...logits.map(Math.abs));
    return el('figure', { class: 'layer-figure' },
      el('figcaption', {}, el('span', { class: 'chart-title', text: 'Scores before softmax' }), el('span', { class: 'muted', text: 'z = h\u00b7W + b' })),
      el('ol', { class: 'logits', dataset: { role: 'logits' } }, logits.map((z, d) => {
        const fill = el('span', { class: z >= 0 ? 'logit-positive' : 'logit-negative' });
        fill.style.transform = `scaleX(${Math.abs(z) / extent})`;
        return el('li', { class: d === digit ? 'is-winner' : '', dataset: { digit: d, value: z.toFixed(3) } },
          el('span', { class: 'mono', text: d }), el('span', { class: 'logit-track' }, fill), el('span', { class: 'mono num', text: z.toFixed(2) }));
      })));
  }

  #saliencyFigure(saliency, digit) {
    const ctx = this.#saliency.getContext('2d');
    const image = ctx.createImageData(28, 28);
    const extent = Math.max(1e-12, ...saliency.map(Math.abs));
    const [pr, pg, pb] = rgb(cssVar('--saliency-positive') || '#b2182b');
    const [nr, ng, nb] = rgb(cssVar('--saliency-negative') || '#2166ac');
    saliency.forEach((s, i) => {
      const t = Math.min(1, Math.abs(s) / extent);
      const [r, g, b] = s >= 0 ? [pr, pg, pb] : [nr, ng, nb];
      image.data.set([255 + (r - 255) * t, 255 + (g - 255) * t, 255 + (b - 255) * t, 255], i * 4);
    });
    ctx.putImageData(image, 0, 0);
    return el('figure', { class: 'layer-figure saliency-figure' },
      el('figcaption', {}, el('span', { class: 'chart-title', text: `Where the ${digit} comes from` })),
      this.#saliency,
      el('p', { class: 'card-note', text: `The gradient of p(${digit}) for each pixel: red, more ink there would raise it; blue, lower it.` }));
  }
}

function rgb(hex) {
  const n = parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
