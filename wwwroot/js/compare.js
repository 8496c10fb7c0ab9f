// Two models side by side: their training curves on one chart, their confusion matrices next to each
// other with the confusions each makes more often, their summaries, and both readings of your digit.
import { el, replaceChildren, formatInt, formatPercent } from './dom.js';
import * as api from './api.js';
import { lineChart } from './charts.js';
import { snakeKeys } from './modelview.js';

const SIDES = ['a', 'b'];

export class CompareView {
  #root;
  #selects;
  #reports = { a: null, b: null };
  #input = null; // the last thing read: { dataUrl } or { file }
  #readings = 0; // drops readings overtaken by newer ones
  #chartObserver = null;
  #stale = true; // the readings on screen are not of this input and these two models

  #visible = false;

  /** @param root the section's body; @param selects { a, b } the two model choosers */
  constructor(root, selects) {
    this.#root = root;
    this.#selects = selects;
    for (const side of SIDES) selects[side].addEventListener('change', () => this.#load());
    // Both models read the drawing only while the section is on screen: no requests for what nobody sees.
    new IntersectionObserver(([entry]) => {
      this.#visible = entry.isIntersecting;
      if (this.#visible) this.#readBoth();
    }).observe(root);
  }

  /** The service's models; A starts as the page's model, B as another one. */
  setModels(models, current) {
    const names = models.map((m) => m.name);
    const keep = (side, fallback) => (names.includes(this.#selects[side].value) ? this.#selects[side].value : fallback);
    const a = keep('a', current);
    const b = keep('b', names.find((n) => n !== a) ?? a);
    for (const [side, chosen] of [['a', a], ['b', b]]) {
      replaceChildren(this.#selects[side], names.map((n) => el('option', { value: n, selected: n === chosen, text: n })));
      this.#selects[side].disabled = names.length < 2;
    }
    if (names.length < 2) {
      replaceChildren(this.#root, el('p', { class: 'muted', text: 'Only one model is loaded: train another one to compare them.' }));
      return;
    }
    this.#load();
  }

  /** What the pad shows now (null when empty): both models read it (once the section is in view). */
  read(input) {
    if (input === this.#input) return;
    this.#input = input;
    this.#stale = true;
    if (this.#visible) this.#readBoth();
  }

  async #load() {
    const names = { a: this.#selects.a.value, b: this.#selects.b.value };
    this.#root.setAttribute('aria-busy', 'true');
    try {
      const models = await Promise.all(SIDES.map((s) => api.getModel(names[s])));
      if (names.a !== this.#selects.a.value || names.b !== this.#selects.b.value) return; // changed meanwhile
      SIDES.forEach((s, i) => { this.#reports[s] = models[i].report ? snakeKeys(models[i].report) : null; });
      this.#stale = true;
      replaceChildren(this.#root,
        el('div', { class: 'compare-readings', dataset: { role: 'readings' } }),
        el('div', { class: 'compare-grid' },
          el('article', { class: 'card' }, el('h3', { class: 'compare-head', text: 'Summaries' }), this.#summaries(names, models)),
          el('article', { class: 'card' }, el('h3', { class: 'compare-head', text: 'Training curves' }), this.#curves(names))),
        el('article', { class: 'card compare-matrices' },
          el('h3', { class: 'compare-head', text: 'Confusion matrices' }),
          el('div', { class: 'compare-pair' }, SIDES.map((s) => this.#matrix(names[s], this.#reports[s], s))),
          this.#differences(names)));
      this.#readBoth();
    } catch (error) {
      replaceChildren(this.#root, el('p', { class: 'error-text', text: `${error.title}. ${error.detail}` }));
    } finally {
      this.#root.setAttribute('aria-busy', 'false');
    }
  }

  #summaries(names, models) {
    const rows = [
      ['Parameters', (r, m) => formatInt(m.parameters ?? r.architecture.parameters)],
      ['Convolutions', (r) => (r.hyperparameters.convolutions.length ? `${r.hyperparameters.convolutions.join(' \u2192 ')} channels` : 'none')],
      ['Hidden layers', (r) => r.hyperparameters.hidden.join(' \u2192 ')],
      ['Activation', (r) => r.hyperparameters.activation],
      ['Dropout', (r) => (r.hyperparameters.dropout ? String(r.hyperparameters.dropout) : 'none')],
      ['Optimizer', (r) => `${r.hyperparameters.optimizer}, lr ${r.hyperparameters.learning_rate}`],
      ['Batch size', (r) => String(r.hyperparameters.batch_size)],
      ['Epochs', (r) => `${r.history.length} of ${r.hyperparameters.epochs}`],
      ['Training images', (r) => formatInt(r.dataset.train)],
      ['Test accuracy', (r) => formatPercent(r.test.accuracy, 2)],
      ['Training time', (r) => `${r.history.reduce((s, h) => s + (h.seconds ?? 0), 0).toFixed(1)} s`],
    ];
    return el('table', { class: 'compare-table compare-summary', dataset: { role: 'compare-summary' } },
      el('thead', {}, el('tr', {}, el('td'), SIDES.map((s) => el('th', { scope: 'col', class: `side-${s}`, text: `${s.toUpperCase()} · ${names[s]}` })))),
      el('tbody', {}, rows.map(([label, value]) => el('tr', {},
        el('th', { scope: 'row', text: label }),
        SIDES.map((s) => el('td', { class: 'mono', text: this.#reports[s] ? value(this.#reports[s], models[SIDES.indexOf(s)]) : 'no report' }))))));
  }

  #curves(names) {
    const series = SIDES.flatMap((s) => {
      const history = this.#reports[s]?.history ?? [];
      return history.length ? [
        { key: `${s}-val`, label: `${names[s]} validation accuracy`, values: history.map((h) => h.val_accuracy), className: `series-${s}` },
        { key: `${s}-train`, label: `${names[s]} training accuracy`, values: history.map((h) => h.accuracy), className: `series-${s} series-dashed` },
      ] : [];
    });
    if (!series.length) return el('p', { class: 'muted', text: 'Neither model carries a training history.' });
    const pct = (v, tick) => `${(v * 100).toFixed(tick ? 1 : 2)}%`;
    // Drawn at the box's real width, as the model view's charts, so the text keeps its size on a phone.
    const box = el('div', { class: 'chart-box' });
    let width = 0;
    this.#chartObserver?.disconnect();
    this.#chartObserver = new ResizeObserver(() => {
      const w = Math.round(box.clientWidth);
      if (!w || w === width) return;
      width = w;
      replaceChildren(box, lineChart({ title: 'Accuracy per epoch of both models', series, format: pct, width: w, height: Math.round(Math.min(300, Math.max(220, w * 0.5))) }));
    });
    this.#chartObserver.observe(box);
    return el('div', {},
      el('ul', { class: 'legend' }, SIDES.map((s) => el('li', { class: `legend-${s}`, text: names[s] })), el('li', { class: 'legend-dashed', text: 'training (dashed)' })),
      box);
  }

  #matrix(name, report, side) {
    const matrix = report?.test?.confusion;
    const body = !matrix ? el('p', { class: 'muted', text: 'No test-set evaluation in this model.' }) : el('table', { class: 'compare-heatmap' },
      el('thead', {}, el('tr', {}, el('td', { class: 'corner' }), matrix.map((_, p) => el('th', { scope: 'col', text: p })))),
      el('tbody', {}, matrix.map((row, t) => el('tr', {}, el('th', { scope: 'row', text: t }), row.map((n, p) => {
        const off = Math.max(1, ...matrix.flatMap((r, i) => r.filter((_, j) => j !== i)));
        const td = el('td', { class: `${t === p ? 'is-diagonal' : 'is-error'}${n === 0 ? ' is-zero' : ''}`, text: n });
        td.style.setProperty('--level', (t === p ? 0.5 : (n / off) ** 0.75).toFixed(3));
        return td;
      })))));
    return el('figure', { class: 'compare-matrix', dataset: { side } }, el('figcaption', { class: `side-${side}`, text: `${side.toUpperCase()} · ${name}` }), body);
  }

  /** The confusions that differ, the largest first each way: up to six A makes more often, then six for B. */
  #differences(names) {
    const [a, b] = SIDES.map((s) => this.#reports[s]?.test?.confusion);
    if (!a || !b) return el('p', { class: 'muted', text: 'The difference needs both models\u2019 test evaluations.' });
    const rows = [];
    a.forEach((row, t) => row.forEach((n, p) => { if (t !== p && n !== b[t][p]) rows.push({ t, p, a: n, b: b[t][p] }); }));
    const largest = (more) => rows.filter(more).sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b) || x.t - y.t || x.p - y.p).slice(0, 6);
    const shown = [...largest((r) => r.a > r.b), ...largest((r) => r.b > r.a)];
    const side = (r) => (r.a > r.b ? 'a' : 'b');
    return el('table', { class: 'compare-table compare-diff', dataset: { role: 'difference' } },
      el('caption', { text: `Confusions one model makes more often than the other: ${formatInt(rows.length)} differ, the largest up to six each way.` }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: 'Mistake' }),
        SIDES.map((s) => el('th', { scope: 'col', class: `num side-${s}`, title: names[s], text: s.toUpperCase() })),
        el('th', { scope: 'col', class: 'num', text: 'More often in' }))),
      el('tbody', {}, shown.map((r) => el('tr', { dataset: { actual: r.t, predicted: r.p, more: side(r) } },
        el('th', { scope: 'row', text: `${r.t} read as ${r.p}` }),
        el('td', { class: 'num mono', text: r.a }), el('td', { class: 'num mono', text: r.b }),
        el('td', { class: `num side-${side(r)}`, title: names[side(r)], text: `${side(r).toUpperCase()} +${Math.abs(r.a - r.b)}` })))));
  }

  async #readBoth() {
    const box = this.#root.querySelector('[data-role=readings]');
    if (!box || (!this.#stale && box.childElementCount)) return;
    this.#stale = false;
    const input = this.#input;
    const turn = ++this.#readings;
    if (!input) {
      replaceChildren(box, el('p', { class: 'muted', text: 'Draw a digit above and both models read it here.' }));
      return;
    }
    const names = SIDES.map((s) => this.#selects[s].value);
    const answers = await Promise.all(names.map((n) => (input.file ? api.predictFile(input.file, n) : api.predictDataUrl(input.dataUrl, n)).catch((e) => e)));
    if (turn !== this.#readings) return;
    replaceChildren(box, answers.map((answer, i) => el('p', { class: `reading side-${SIDES[i]}`, dataset: { model: names[i], digit: answer.digit ?? '' } },
      el('span', { class: 'reading-model', text: names[i] }),
      answer instanceof Error
        ? el('span', { class: 'error-text', text: answer.detail || answer.title })
        : [el('strong', { class: 'reading-digit', text: answer.digit }), el('span', { class: 'muted', text: formatPercent(answer.confidence) })])));
  }
}
