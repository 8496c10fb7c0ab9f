// "The model": its summary (as Keras prints it), its training curves and its confusion matrix on
// the MNIST test set, with per-class precision and recall and the most frequent confusions named.
import { el, replaceChildren, formatInt, formatPercent } from './dom.js';
import { lineChart } from './charts.js';
import { recipeFacts } from './recipe.js';

/** Report keys are snake_case in the model file; accept camelCase too, whichever the API sends. */
export function snakeKeys(value) {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) =>
    [k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), snakeKeys(v)]));
}

const cap = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);
const OPTIMIZERS = { adam: 'Adam', sgd: 'SGD', rmsprop: 'RMSProp' };
const LOSSES = { crossentropy: 'Categorical cross-entropy', mse: 'Mean squared error' };
const LAYER_TYPES = { conv2d: 'Conv2D', max_pooling2d: 'MaxPooling2D', dense: 'Dense', dropout: 'Dropout' };

// ---------------------------------------------------------------- summary

export function renderSummary(root, model, report) {
  if (!report) {
    replaceChildren(root, el('p', { class: 'muted', text: 'This model carries no training report, so there is no summary to show.' }));
    return;
  }
  const arch = report.architecture;
  const hp = report.hyperparameters;
  // Convolution blocks keep the image square (28, halved by each pooling) with `units` channels; the flatten comes
  // before the first dense layer, as Keras lists it.
  const rows = [];
  let side = Math.round(Math.sqrt(arch.inputs));
  let values = arch.inputs;
  let flattened = false;
  for (const layer of arch.layers) {
    const spatial = layer.kind === 'conv2d' || layer.kind === 'max_pooling2d';
    if (layer.kind === 'max_pooling2d') side = Math.floor(side / 2);
    if (spatial) values = side * side * layer.units;
    else if (!flattened) {
      rows.push(['flatten (Flatten)', `(None, ${values})`, 0, null]);
      flattened = true;
    }
    const note = layer.kind === 'dropout' ? `rate ${layer.rate}` : layer.activation;
    const shape = spatial ? `(None, ${side}, ${side}, ${layer.units})` : `(None, ${layer.units})`;
    rows.push([`${layer.name} (${LAYER_TYPES[layer.kind] ?? cap(layer.kind)})`, shape, layer.parameters, note]);
  }
  const table = el('table', { class: 'summary-table' },
    el('caption', { class: 'visually-hidden', text: 'Layers of the network' }),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: 'Layer (type)' }),
      el('th', { scope: 'col', text: 'Output shape' }),
      el('th', { scope: 'col', class: 'num', text: 'Param #' }))),
    el('tbody', {}, rows.map(([name, shape, params, note]) => el('tr', {},
      el('td', {}, el('span', { class: 'mono', text: name }), note ? el('span', { class: 'tag', text: note }) : null),
      el('td', { class: 'mono', text: shape }),
      el('td', { class: 'num mono', text: formatInt(params) })))),
    el('tfoot', {}, el('tr', {},
      el('th', { scope: 'row', colspan: 2, text: 'Trainable parameters' }),
      el('td', { class: 'num mono', dataset: { role: 'total-parameters' }, text: formatInt(arch.parameters) }))));

  const history = report.history ?? [];
  const epochs = history.length;
  const stoppedEarly = hp && epochs < hp.epochs;
  const facts = [
    ['Test accuracy', formatPercent(report.test.accuracy, 2)],
    ['Test loss', report.test.loss.toFixed(4)],
    ['Epochs', hp ? `${epochs} of ${hp.epochs}${stoppedEarly ? ` (early stop, patience ${hp.patience})` : ''}` : String(epochs)],
    ['Optimizer', hp ? `${OPTIMIZERS[hp.optimizer] ?? hp.optimizer}, learning rate ${hp.learning_rate}${hp.optimizer === 'sgd' && hp.momentum ? `, momentum ${hp.momentum}` : ''}` : null],
    ['Loss', hp ? (LOSSES[hp.loss] ?? hp.loss) : null],
    ['Batch size', hp?.batch_size],
    ['Dropout', hp ? (hp.dropout ? String(hp.dropout) : 'none') : null],
    ['Validation split', hp ? formatPercent(hp.validation_split, 0) : null],
    ...recipeFacts(hp),
    ['Seed', hp?.seed],
    ['Images', report.dataset ? `${formatInt(report.dataset.train)} train · ${formatInt(report.dataset.validation)} validation · ${formatInt(report.dataset.test)} test` : null],
    ['Training time', epochs ? `${history.reduce((s, h) => s + (h.seconds ?? 0), 0).toFixed(1)} s` : null],
    ['Created', report.created ? new Date(report.created).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : null],
    ['Written by', report.producer ?? model.producer],
    ['File SHA-256', model.hash ? model.hash.slice(0, 12) : null, model.hash],
  ].filter(([, v]) => v !== null && v !== undefined);
  const dl = el('dl', { class: 'facts' }, facts.map(([k, v, title]) =>
    el('div', { class: 'fact' }, el('dt', { text: k }), el('dd', { text: v, title }))));
  replaceChildren(root, table, dl);
}

// ---------------------------------------------------------------- curves

export function renderCurves(root, report) {
  const history = report?.history ?? [];
  if (!history.length) {
    replaceChildren(root, el('p', { class: 'muted', text: 'No training history in this model.' }));
    return;
  }
  let best = 0;
  history.forEach((h, i) => { if (h.val_accuracy > history[best].val_accuracy) best = i; });
  const pct = (v, tick) => `${(v * 100).toFixed(tick ? (v * 100) % 1 ? 1 : 0 : 2)}%`;
  const num = (v, tick) => (tick ? +v.toFixed(3) : v.toFixed(4)).toString();
  const legend = el('ul', { class: 'legend' },
    el('li', { class: 'legend-train', text: 'Training' }),
    el('li', { class: 'legend-val', text: 'Validation' }));
  const figure = (title, options, note) => {
    const box = el('div', { class: 'chart-box' });
    // Drawn at the box's real width, so the text keeps its size on a phone and on a desktop.
    let width = 0;
    const draw = () => {
      const w = Math.round(box.clientWidth);
      if (!w || w === width) return;
      width = w;
      replaceChildren(box, lineChart({ ...options, width: w, height: Math.round(Math.min(280, Math.max(200, w * 0.42))) }));
    };
    chartObserver.observe(box);
    chartDrawers.set(box, draw);
    return el('figure', { class: 'chart-figure' },
      el('figcaption', {}, el('span', { class: 'chart-title', text: title }), note ? el('span', { class: 'muted', text: note }) : null),
      box);
  };
  // Only this root's charts are replaced: another section's keep following their size.
  for (const box of root.querySelectorAll('.chart-box')) { chartObserver.unobserve(box); chartDrawers.delete(box); }
  replaceChildren(root, legend, el('div', { class: 'charts' },
    figure('Accuracy', {
      title: 'Accuracy per epoch, training and validation',
      series: [
        { key: 'accuracy', label: 'training accuracy', values: history.map((h) => h.accuracy), className: 'series-train' },
        { key: 'val_accuracy', label: 'validation accuracy', values: history.map((h) => h.val_accuracy), className: 'series-val' },
      ],
      format: pct,
      best: { epoch: best + 1, label: `best ${pct(history[best].val_accuracy, false)}` },
    }, `best validation at epoch ${best + 1}`),
    figure('Loss', {
      title: 'Loss per epoch, training and validation',
      series: [
        { key: 'loss', label: 'training loss', values: history.map((h) => h.loss), className: 'series-train' },
        { key: 'val_loss', label: 'validation loss', values: history.map((h) => h.val_loss), className: 'series-val' },
      ],
      format: num,
    }, `${history.length} epochs`)));
  for (const box of root.querySelectorAll('.chart-box')) chartDrawers.get(box)();
}

const chartDrawers = new Map();
const chartObserver = new ResizeObserver((entries) => {
  for (const entry of entries) chartDrawers.get(entry.target)?.();
});

// ---------------------------------------------------------------- confusion matrix

/** The off-diagonal cells, most frequent first. */
export function topConfusions(matrix, count = 5) {
  const cells = [];
  matrix.forEach((row, t) => row.forEach((n, p) => { if (t !== p && n > 0) cells.push({ actual: t, predicted: p, n }); }));
  return cells.sort((a, b) => b.n - a.n || a.actual - b.actual).slice(0, count);
}

export function renderConfusion(root, confusion, noun = 'test images') {
  const { matrix } = confusion;
  const labels = confusion.labels ?? matrix.map((_, i) => i);
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const maxDiag = Math.max(...matrix.map((r, i) => r[i]));
  const maxOff = Math.max(1, ...matrix.flatMap((r, i) => r.filter((_, j) => j !== i)));

  const cells = new Map();
  const heat = el('table', { class: 'heatmap', dataset: { total } },
    el('caption', { class: 'visually-hidden', text: 'Confusion matrix: rows are the true digit, columns the predicted digit' }),
    el('thead', {}, el('tr', {}, el('td', { class: 'corner' }), labels.map((l) => el('th', { scope: 'col', text: l })))),
    el('tbody', {}, matrix.map((row, t) => el('tr', {},
      el('th', { scope: 'row', text: labels[t] }),
      row.map((n, p) => {
        const diagonal = t === p;
        const level = diagonal ? n / maxDiag : (n / maxOff) ** 0.75;
        const td = el('td', {
          class: `cell ${diagonal ? 'is-diagonal' : 'is-error'}${n === 0 ? ' is-zero' : ''}${level > 0.55 ? ' is-strong' : ''}`,
          dataset: { actual: labels[t], predicted: labels[p], count: n },
          title: diagonal ? `${labels[t]} read correctly: ${formatInt(n)} times` : `${labels[t]} read as ${labels[p]}: ${formatInt(n)} times`,
          text: String(n),
        });
        td.style.setProperty('--level', level.toFixed(3));
        cells.set(`${t},${p}`, td);
        return td;
      })))));

  const perClass = confusion.perClass ?? confusion.per_class ?? [];
  const worstRecall = Math.min(...perClass.map((c) => c.recall));
  const classes = el('table', { class: 'perclass' },
    el('caption', { class: 'visually-hidden', text: 'Precision and recall per digit' }),
    el('thead', {}, el('tr', {},
      ['Digit', 'Precision', 'Recall', 'F1', 'Images'].map((h, i) => el('th', { scope: 'col', class: i ? 'num' : '', text: h })))),
    el('tbody', {}, perClass.map((c) => el('tr', { class: c.recall === worstRecall ? 'is-weakest' : '' },
      el('th', { scope: 'row', text: c.digit }),
      el('td', { class: 'num mono', text: (c.precision * 100).toFixed(1) }),
      el('td', { class: 'num mono', text: (c.recall * 100).toFixed(1) }),
      el('td', { class: 'num mono', text: ((c.f1 ?? 0) * 100).toFixed(1) }),
      el('td', { class: 'num mono', text: formatInt(c.support) })))));

  const top = confusion.topConfusions?.length
    ? confusion.topConfusions.slice(0, 5).map((c) => ({ actual: c.true ?? c.actual, predicted: c.predicted, n: c.count }))
    : topConfusions(matrix);
  const maxTop = top[0]?.n ?? 1;
  const list = el('ol', { class: 'confusions' }, top.map((c) => {
    const meter = el('span', { class: 'confusion-meter' }, el('span', {}));
    meter.firstChild.style.transform = `scaleX(${c.n / maxTop})`;
    const item = el('li', { tabindex: 0, dataset: { actual: c.actual, predicted: c.predicted } },
      el('span', { class: 'confusion-text', text: `${labels[c.actual]} read as ${labels[c.predicted]}: ${formatInt(c.n)} times` }),
      meter);
    const cell = cells.get(`${c.actual},${c.predicted}`);
    const on = () => cell.classList.add('is-highlighted');
    const off = () => cell.classList.remove('is-highlighted');
    item.addEventListener('mouseenter', on); item.addEventListener('focus', on);
    item.addEventListener('mouseleave', off); item.addEventListener('blur', off);
    return item;
  }));

  const errors = total - matrix.reduce((s, r, i) => s + r[i], 0);
  replaceChildren(root,
    el('div', { class: 'heatmap-wrap' },
      el('p', { class: 'axis-label axis-label-x', text: 'Predicted digit' }),
      el('div', { class: 'heatmap-body' },
        el('p', { class: 'axis-label axis-label-y', text: 'True digit' }),
        el('div', { class: 'heatmap-scroll' }, heat)),
      el('p', { class: 'muted heatmap-note' },
        `${formatInt(total)} ${total === 1 ? noun.replace(/s$/, '') : noun} · ${formatInt(errors)} misread · accuracy ${formatPercent(confusion.accuracy ?? (total ? (total - errors) / total : 0), 2)}`)),
    el('div', { class: 'confusion-side' },
      el('h4', { text: 'Most frequent confusions' }), list,
      el('h4', {}, 'Per digit ', el('span', { class: 'muted', text: '(precision, recall and F1 in %)' })), classes));
}
