// The page's wiring: the drawing pad and uploads feed live predictions; the model chooser
// drives both the predictions and the model view below them.
import { $, el, replaceChildren, cssVar, formatInt, formatPercent } from './dom.js';
import * as api from './api.js';
import { DrawPad } from './drawpad.js';
import { LatestWins } from './latest.js';
import { PredictionView } from './prediction.js';
import { InputView, toPixels } from './inputview.js';
import { renderSummary, renderCurves, renderConfusion, snakeKeys } from './modelview.js';
import { MisreadView } from './misread.js';
import { NeuronsView } from './neurons.js';
import { CompareView } from './compare.js';
import { FeedbackPrompt, renderField } from './feedback.js';
import { TrainingPanel } from './training.js';

const state = {
  model: new URLSearchParams(location.search).get('model') || '',
  models: [],
  upload: null, // { file } while an uploaded image is shown
};

const pad = new DrawPad($('#pad-canvas'));
const prediction = new PredictionView($('#prediction'));
const inputView = new InputView($('#input-canvas'), $('#pixel-readout'));
const padFrame = $('#pad');
const undoButton = $('#undo');
const clearButton = $('#clear');
const fileInput = $('#file-input');
const modelSelect = $('#model-select');
const misread = new MisreadView($('#misread'), $('#confusion'));
const neurons = new NeuronsView($('#tiles'), $('#live'));
const compare = new CompareView($('#compare-body'), { a: $('#compare-a'), b: $('#compare-b') });
const feedback = new FeedbackPrompt($('#feedback'));
feedback.addEventListener('answered', () => renderField($('#field'), state.model));

// ---------------------------------------------------------------- predictions

/** A drawing whose strokes span less than this much of the pad is a dot, not a digit. */
const TOO_SMALL = 0.15;

const predictor = new LatestWins(async (job) => {
  const started = performance.now();
  const model = state.model || undefined;
  const input = job.file ? { file: job.file } : { dataUrl: pad.toDataURL() };
  const ask = (explain) => (input.file
    ? api.predictFile(input.file, model, undefined, { explain })
    : api.predictDataUrl(input.dataUrl, model, undefined, { explain }));
  // A model our network code cannot look inside still reads the digit: ask again without the explanation, and from
  // then on only without it (the default model is such a one: every stroke would cost two requests).
  const known = unexplainable.get(state.model);
  const result = known
    ? { ...(await ask(false)), unexplained: known }
    : await ask(true).catch((error) => {
      if (!isUnexplainable(error)) throw error;
      unexplainable.set(state.model, error);
      return ask(false).then((r) => ({ ...r, unexplained: error }));
    });
  return { result, elapsed: performance.now() - started, input };
}, {
  onResult: ({ result, elapsed, input }) => {
    if (!state.upload && pad.extent < TOO_SMALL) { prediction.tooSmall(); feedback.hide(); }
    else { prediction.show(result, elapsed); feedback.ask(result); }
    inputView.show(toPixels(result.input));
    neurons.show(result);
    compare.read(input);
    noticeModel(result);
  },
  onError: (error) => {
    neurons.clear();
    if (error.status === 422 && !state.upload && pad.extent < TOO_SMALL) prediction.tooSmall();
    else if (error.status === 422) prediction.error('Nothing to read', error.detail || 'The image looks empty: draw a digit with a few clear strokes.');
    else prediction.error(error.title, error.detail);
    feedback.hide();
    inputView.show(null);
  },
  onBusy: (busy) => prediction.busy(busy),
});

const isUnexplainable = (error) => error.status === 422 && error.title === 'Model cannot be looked inside';
/** The 422 of each chosen model ('' the default) that cannot be looked inside; forgotten when the models are listed again. */
const unexplainable = new Map();

function predictCurrent(now = true) {
  if (state.upload) predictor.submitNow({ file: state.upload.file });
  else if (pad.isEmpty) { predictor.cancel(); prediction.idle(); feedback.hide(); inputView.show(null); neurons.clear(); compare.read(null); }
  else if (now) predictor.submitNow({ drawing: true });
  else predictor.submit({ drawing: true });
}

function syncPad() {
  padFrame.classList.toggle('is-empty', pad.isEmpty);
  padFrame.dataset.strokes = String(pad.strokeCount - (pad.isDrawing ? 1 : 0)); // finished strokes
  undoButton.disabled = pad.isEmpty;
  clearButton.disabled = pad.isEmpty;
}

pad.addEventListener('input', () => {
  state.upload = null;
  padFrame.dataset.source = 'drawing';
  syncPad();
  predictCurrent(false);
});
pad.addEventListener('strokeend', () => { syncPad(); predictCurrent(true); });
pad.addEventListener('change', () => {
  if (!pad.hasImage) { state.upload = null; padFrame.dataset.source = 'drawing'; }
  syncPad();
  predictCurrent(true);
});

// A button that disables itself would drop the keyboard focus on the floor: hand it to the pad.
const keepFocus = (button) => { if (button.disabled && document.activeElement === button) padFrame.focus(); };
undoButton.addEventListener('click', () => { pad.undo(); keepFocus(undoButton); });
clearButton.addEventListener('click', () => { pad.clear(); keepFocus(clearButton); });

document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if (typing || e.altKey) return;
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'z') { if (pad.undo()) e.preventDefault(); }
  else if (e.target === padFrame && (e.key === 'Delete' || e.key === 'Escape')) { pad.clear(); e.preventDefault(); }
  else if (e.target === padFrame && e.key === 'Backspace') { pad.undo(); e.preventDefault(); }
});

// ---------------------------------------------------------------- uploads

$('#upload').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  if (fileInput.files?.length) useFile(fileInput.files[0]);
  fileInput.value = '';
});

async function useFile(file) {
  state.upload = { file };
  padFrame.dataset.source = 'upload';
  $('#upload-name').textContent = file.name || 'Uploaded image';
  predictCurrent(true); // the service reads the file itself; the preview below is only for the eye
  let preview;
  try {
    preview = await createImageBitmap(file);
  } catch {
    preview = await placeholderFor(file);
  }
  if (state.upload?.file !== file) return; // drawn over or replaced meanwhile
  pad.showImage(preview);
  syncPad();
}

/** A picture for files the browser cannot decode itself (the service may still read them). */
async function placeholderFor(file) {
  const c = new OffscreenCanvas(200, 200);
  const ctx = c.getContext('2d');
  ctx.fillStyle = cssVar('--text-muted') || '#666';
  ctx.font = '16px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(file.type || 'image', 100, 100);
  return c.transferToImageBitmap();
}

// Dropping anywhere on the page reads the file instead of navigating away to it.
let dragDepth = 0;
const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
document.addEventListener('dragenter', (e) => { if (hasFiles(e)) { dragDepth++; document.body.classList.add('is-dragging'); } });
document.addEventListener('dragleave', (e) => { if (hasFiles(e) && --dragDepth <= 0) { dragDepth = 0; document.body.classList.remove('is-dragging'); } });
document.addEventListener('dragover', (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
document.addEventListener('drop', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('is-dragging');
  const file = e.dataTransfer.files[0];
  if (file) useFile(file);
});

// ---------------------------------------------------------------- "what the network sees"

const valuesToggle = $('#show-values');
valuesToggle.addEventListener('click', () => {
  const on = valuesToggle.getAttribute('aria-pressed') !== 'true';
  valuesToggle.setAttribute('aria-pressed', String(on));
  $('#sees').classList.toggle('is-expanded', on);
  inputView.showValues = on;
  // On a narrow screen the enlarged image scrolls sideways: start with its middle in view.
  const frame = $('.sees-frame');
  frame.scrollLeft = on ? (frame.scrollWidth - frame.clientWidth) / 2 : 0;
});

// ---------------------------------------------------------------- models

/** Name and file hash of every model: when it changes, the service has loaded, replaced or dropped one. */
const signature = (models) => models.map((m) => `${m.name}@${m.hash}`).join('|');

/**
 * Fills the model chooser from GET /models and shows the chosen model. `quiet` is for refreshes:
 * they change nothing on screen unless the service's models changed.
 */
async function loadModels({ quiet = false } = {}) {
  let models, failures;
  try {
    ({ models, failures } = await api.listModels());
  } catch (error) {
    if (quiet) return;
    replaceChildren(modelSelect, el('option', { text: 'unavailable' }));
    modelSelect.disabled = true;
    showBanner(`Could not list the models: ${error.title}. ${error.detail}`);
    return;
  }
  if (quiet && signature(models) === signature(state.models)) return;
  state.models = models;
  unexplainable.clear(); // a model replaced under its name may be one to look inside
  if (!models.length) {
    replaceChildren(modelSelect, el('option', { text: 'no model loaded' }));
    modelSelect.disabled = true;
    showBanner('The service has no model loaded yet. Put a trained .onnx file in its models directory.');
    return;
  }
  if (failures.length) {
    showBanner(failures.map((f) => `The model file ${f.file ?? f.name} could not be loaded: ${f.error}`).join(' '));
  } else {
    $('#banner').hidden = true;
  }
  const fallback = models.find((m) => m.isDefault) ?? models[0];
  if (!models.some((m) => m.name === state.model)) state.model = fallback.name;
  replaceChildren(modelSelect, models.map((m) => el('option', {
    value: m.name,
    selected: m.name === state.model,
    text: `${m.name}${m.isDefault ? ' (default)' : ''}${m.accuracy !== null ? ` · ${formatPercent(m.accuracy, 2)}` : ''}`,
  })));
  modelSelect.disabled = false;
  compare.setModels(models, state.model);
  await loadModelView();
}

// The service swaps models while running: an answer from a file we have not seen, or coming back
// to the tab, refreshes the chooser and the model view.
function noticeModel(result) {
  const known = state.models.find((m) => m.name === result.model);
  if (result.modelSha256 && known && known.hash && known.hash !== result.modelSha256) loadModels({ quiet: true });
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && state.models.length) loadModels({ quiet: true });
});

modelSelect.addEventListener('change', async () => {
  state.model = modelSelect.value;
  const url = new URL(location.href);
  const def = state.models.find((m) => m.isDefault);
  if (def && def.name === state.model) url.searchParams.delete('model'); else url.searchParams.set('model', state.model);
  history.replaceState(null, '', url);
  predictCurrent(true);
  await loadModelView();
});

async function loadModelView() {
  const name = state.model;
  const section = $('#model');
  section.setAttribute('aria-busy', 'true');
  $('#model-name').textContent = name;
  try {
    const [model, confusion] = await Promise.all([
      api.getModel(name),
      api.getConfusion(name).catch((e) => (e.status === 404 ? null : Promise.reject(e))),
    ]);
    if (name !== state.model) return; // another model was chosen meanwhile
    const report = model.report ? snakeKeys(model.report) : null;
    $('#model-lede').textContent = report
      ? `${formatInt(report.architecture.parameters)} parameters, trained for ${report.history.length} epochs, ${formatPercent(report.test.accuracy, 2)} correct on the 10,000 test images.`
      : 'This model carries no training report.';
    renderSummary($('#summary'), model, report);
    renderCurves($('#curves'), report);
    renderField($('#field'), name);
    if (confusion) renderConfusion($('#confusion'), confusion);
    else if (report?.test?.confusion) renderConfusion($('#confusion'), { matrix: report.test.confusion, accuracy: report.test.accuracy, perClass: [] });
    else replaceChildren($('#confusion'), el('p', { class: 'muted', text: 'No test-set evaluation in this model.' }));
    misread.setModel(report);
    neurons.showModel(name);
  } catch (error) {
    if (name !== state.model) return;
    for (const id of ['#summary', '#curves', '#confusion', '#misread']) {
      replaceChildren($(id), el('p', { class: 'error-text', text: `${error.title}. ${error.detail}` }));
    }
  } finally {
    if (name === state.model) section.setAttribute('aria-busy', 'false');
  }
}

function showBanner(message) {
  const banner = $('#banner');
  banner.textContent = message;
  banner.hidden = false;
}

// ---------------------------------------------------------------- theme

const dark = matchMedia('(prefers-color-scheme: dark)');
function applyTheme() {
  pad.colors = { paper: cssVar('--pad-paper') || '#fff', ink: cssVar('--pad-ink') || '#111' };
  pad.redraw();
}
dark.addEventListener('change', applyTheme);
applyTheme();
syncPad();
loadModels();

// A model just trained from the page: the service loads it within a second or so; then it is chosen.
const training = new TrainingPanel($('#train'), {
  onModel: async (name) => {
    for (let tries = 0; tries < 40 && !state.models.some((m) => m.name === name); tries++) {
      await loadModels({ quiet: true });
      if (!state.models.some((m) => m.name === name)) await new Promise((r) => setTimeout(r, 250));
    }
    state.model = name;
    await loadModels();
    predictCurrent(true);
  },
});
training.load();
