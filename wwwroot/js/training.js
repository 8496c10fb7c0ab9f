// "Train your own": the tutorial's knobs as a form, a job started through POST /jobs, its epochs
// drawn live from the job's server-sent events with the model section's charts, and the finished
// model handed to the picker. When this client may not train, the section says why and how.
import { $, el, replaceChildren, formatInt, formatPercent } from './dom.js';
import * as api from './api.js';
import { renderCurves, snakeKeys } from './modelview.js';

const KEY_STORAGE = 'mnist-training-key';

/** The tutorial's two experiments, on everything else's defaults. */
const PRESETS = {
  dropout: { label: 'Tutorial, with dropout', values: { dropout: 0.3 } },
  plain: { label: 'Tutorial, without dropout', values: { dropout: 0 } },
};

/** Training images to learn from: all of MNIST takes minutes, a slice seconds. */
const SUBSETS = [[2000, '2,000 (seconds)'], [6000, '6,000'], [12000, '12,000'], [0, 'all 60,000 (minutes)']];

export class TrainingPanel {
  /** @param root the section; @param onModel (name) => called once a job's model is served */
  constructor(root, { onModel }) {
    this.root = root;
    this.onModel = onModel;
    this.form = $('#train-form', root);
    this.status = $('#train-status', root);
    this.progress = $('#train-progress', root);
    this.curves = $('#train-curves', root);
    this.startButton = $('#train-start', root);
    this.cancelButton = $('#train-cancel', root);
    this.job = null;
    this.events = null;
    this.history = [];
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.start(); });
    this.cancelButton.addEventListener('click', () => this.cancel());
    $('#train-key', root).addEventListener('change', (e) => {
      sessionStorage.setItem(KEY_STORAGE, e.target.value.trim());
      this.load();
    });
  }

  get key() { return sessionStorage.getItem(KEY_STORAGE) || undefined; }

  /** Reads the server's defaults, limits and this client's access, and builds the form from them. */
  async load() {
    let info;
    try {
      info = await api.listJobs(this.key);
    } catch (error) {
      this.setAccess(false, `Training is not available: ${error.title}. ${error.detail}`);
      return;
    }
    if (!this.built) this.build(info.limits);
    this.setAccess(info.access.allowed, info.access.reason);
    const running = info.jobs.find((j) => j.state === 'running' || j.state === 'queued');
    if (running && !this.job) this.follow(running);
  }

  setAccess(allowed, reason) {
    this.root.dataset.access = allowed ? 'allowed' : 'denied';
    $('#train-access', this.root).textContent = allowed ? '' : reason;
    $('#train-key-row', this.root).hidden = allowed && !this.key;
    this.startButton.disabled = !allowed || Boolean(this.job);
  }

  build(limits) {
    this.built = true;
    this.defaults = limits.defaults;
    const d = limits.defaults;
    const number = (name, label, value, attrs) => field(name, label, el('input', { type: 'number', name, id: `train-${name}`, value, required: true, ...attrs }));
    const choice = (name, label) => field(name, label, el('select', { name, id: `train-${name}` },
      (limits.choices[name] ?? [d[name]]).map((c) => el('option', { value: c, text: c, selected: c === d[name] }))));
    replaceChildren($('#train-fields', this.root),
      field('hidden', 'Hidden layers', el('input', { name: 'hidden', id: 'train-hidden', value: d.hidden.join(', '), required: true,
        pattern: '\\s*\\d+(\\s*,\\s*\\d+)*\\s*', title: `Widths, input side first, e.g. 256, 128 (at most ${limits.maxHiddenLayers} layers of ${formatInt(limits.maxHiddenWidth)})` })),
      choice('activation', 'Activation'),
      number('dropout', 'Dropout', d.dropout, { min: 0, max: 0.95, step: 0.05 }),
      choice('optimizer', 'Optimizer'),
      number('learningRate', 'Learning rate', d.learningRate, { min: 0.00001, step: 'any' }),
      number('batchSize', 'Batch size', d.batchSize, { min: 1, max: 60000 }),
      number('epochs', 'Epochs', Math.min(d.epochs, limits.maxEpochs), { min: 1, max: limits.maxEpochs }),
      number('patience', 'Patience', d.patience, { min: 1 }),
      number('validationSplit', 'Validation split', d.validationSplit, { min: 0.05, max: 0.5, step: 0.05 }),
      choice('loss', 'Loss'),
      number('seed', 'Seed', d.seed, { step: 1 }),
      field('trainLimit', 'Training images', el('select', { name: 'trainLimit', id: 'train-trainLimit' },
        SUBSETS.map(([n, text]) => el('option', { value: n, text, selected: n === 2000 })))),
      field('includeFeedback', 'People\'s answers', el('span', { class: 'train-check' },
        el('input', { type: 'checkbox', name: 'includeFeedback', id: 'train-includeFeedback' }),
        el('span', { text: 'also train on the digits people corrected or confirmed' }))));
    replaceChildren($('#train-presets', this.root), Object.entries(PRESETS).map(([id, preset]) =>
      el('button', { type: 'button', class: 'button button-small', dataset: { preset: id }, text: preset.label })));
    for (const button of this.root.querySelectorAll('[data-preset]')) {
      button.addEventListener('click', () => this.applyPreset(PRESETS[button.dataset.preset].values));
    }
  }

  applyPreset(values) {
    for (const [name, value] of Object.entries({ ...this.defaults, ...values })) {
      const input = this.form.elements.namedItem(name);
      if (input) input.value = Array.isArray(value) ? value.join(', ') : value;
    }
  }

  /** The form as the API's settings, in its camelCase names. */
  settings() {
    const f = this.form.elements;
    // The form holds the tutorial's knobs: what it leaves out is the tutorial recipe's too.
    const settings = {
      recipe: 'tutorial',
      hidden: f.hidden.value.split(',').map((w) => Number(w.trim())),
      activation: f.activation.value,
      optimizer: f.optimizer.value,
      loss: f.loss.value,
    };
    for (const name of ['dropout', 'learningRate', 'batchSize', 'epochs', 'patience', 'validationSplit', 'seed']) settings[name] = Number(f[name].value);
    const limit = Number(f.trainLimit.value);
    if (limit) settings.trainLimit = limit;
    if (f.includeFeedback.checked) settings.includeFeedback = true;
    return settings;
  }

  async start() {
    this.showErrors({});
    this.startButton.disabled = true;
    try {
      const job = await api.startJob(this.settings(), this.key);
      this.follow(job);
    } catch (error) {
      this.startButton.disabled = false;
      if (error.errors) this.showErrors(error.errors);
      this.say(`${error.title}. ${error.detail}`, 'error');
      if (error.status === 403) this.load();
    }
  }

  async cancel() {
    if (!this.job) return;
    this.cancelButton.disabled = true;
    try {
      await api.cancelJob(this.job.id, this.key);
      this.say('Cancelling: the training stops at its next batch and writes no model.');
    } catch (error) {
      this.cancelButton.disabled = false;
      this.say(`${error.title}. ${error.detail}`, 'error');
    }
  }

  /** Watches a job's events: epochs redraw the curves, progress moves the bar, the end says how it went. */
  follow(job) {
    this.job = job;
    this.history = [];
    this.root.dataset.state = job.state;
    this.startButton.disabled = true;
    this.cancelButton.disabled = false;
    this.cancelButton.hidden = false;
    this.drawCurves();
    this.setProgress(job.progress?.epoch ?? 0, job.progress?.epochs ?? 1, 0, 1);
    this.say(`Job ${job.id}: ${job.state === 'queued' ? 'waiting for the worker' : 'training'}…`);
    this.events?.close();
    const events = new EventSource(`jobs/${encodeURIComponent(job.id)}/events`);
    this.events = events;
    const data = (e) => JSON.parse(e.data);
    events.addEventListener('state', (e) => {
      const state = data(e);
      this.root.dataset.state = state.state;
      if (state.attempt !== this.attempt) { this.attempt = state.attempt; this.history = []; this.drawCurves(); }
      if (state.state === 'running') this.say(`Job ${job.id}: training${state.error ? ` (${state.error})` : ''}…`);
    });
    events.addEventListener('epoch', (e) => {
      const epoch = data(e);
      this.history.push(epoch);
      this.drawCurves();
      this.setProgress(epoch.epoch, this.job.settings?.epochs ?? epoch.epoch, 1, 1);
      this.say(`Epoch ${epoch.epoch}: validation accuracy ${formatPercent(epoch.valAccuracy, 2)}, loss ${epoch.valLoss.toFixed(4)}.`);
    });
    events.addEventListener('progress', (e) => {
      const p = data(e);
      this.setProgress(p.epoch - 1, p.epochs ?? 1, p.batch, p.batches);
    });
    events.addEventListener('done', (e) => {
      const end = data(e);
      this.finish('succeeded');
      this.setProgress(1, 1, 1, 1);
      this.say(`Done: ${end.model} reads ${formatPercent(end.testAccuracy, 2)} of the 10,000 test digits correctly. It is now chosen in the model picker.`, 'success');
      this.onModel(end.model);
    });
    events.addEventListener('failed', (e) => {
      const end = data(e);
      this.finish(end.state);
      this.say(end.state === 'cancelled' ? `Cancelled. ${end.reason ?? ''}` : `The training failed: ${end.reason}`, end.state === 'cancelled' ? '' : 'error');
    });
  }

  finish(state) {
    this.events?.close();
    this.events = null;
    this.job = null;
    this.root.dataset.state = state;
    this.cancelButton.hidden = true;
    this.startButton.disabled = this.root.dataset.access !== 'allowed';
  }

  drawCurves() {
    if (this.history.length) renderCurves(this.curves, { history: snakeKeys(this.history) });
    else replaceChildren(this.curves, el('p', { class: 'muted', text: 'The curves draw here, a point per epoch, as the network learns.' }));
    this.curves.dataset.epochs = String(this.history.length);
  }

  /** Epochs done plus the share of the running epoch's batches. */
  setProgress(epochsDone, epochs, batch, batches) {
    const share = Math.min(1, (epochsDone + (batches ? batch / batches : 0)) / Math.max(1, epochs));
    this.progress.value = share;
    this.progress.textContent = formatPercent(share, 0);
    $('#train-progress-text', this.root).textContent = epochs > 1 || epochsDone < 1
      ? `Epoch ${Math.min(epochsDone + 1, epochs)} of ${epochs}${batches > 1 && batch < batches ? ` · batch ${batch} of ${batches}` : ''}`
      : '';
  }

  say(text, tone = '') {
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }

  showErrors(errors) {
    for (const input of this.form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    for (const note of this.form.querySelectorAll('.field-error')) note.remove();
    for (const [name, messages] of Object.entries(errors)) {
      const input = this.form.elements.namedItem(name);
      if (!input) continue;
      input.setAttribute('aria-invalid', 'true');
      input.closest('.field').append(el('span', { class: 'field-error', text: messages.join(' ') }));
    }
  }
}

function field(name, label, input) {
  return el('label', { class: 'field', for: `train-${name}` }, el('span', { class: 'field-label', text: label }), input);
}
