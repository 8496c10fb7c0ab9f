// "Write a number": a wide pad whose drawing (or an uploaded photo) goes to POST /predict/sequence as it changes;
// the text read, each digit's box over the drawing, and the probabilities of the digit pointed at.
import { $, formatPercent } from './dom.js';
import * as api from './api.js';
import { DrawPad } from './drawpad.js';
import { LatestWins } from './latest.js';
import { PredictionView } from './prediction.js';
import { DigitBoxes } from './digitboxes.js';

/** Width over height of the pad: room for about ten digits of MNIST's proportions. */
const ASPECT = 4;
/** Height of the image sent for a drawing, in pixels. */
const SENT_HEIGHT = 200;

const frame = $('#number-pad');
const pad = new DrawPad($('#number-canvas'), { aspect: ASPECT });
const boxes = new DigitBoxes($('#number-boxes'));
const digitView = new PredictionView($('#number-digit'));
const text = $('#number-text');
const detail = $('#number-detail');
const undoButton = $('#number-undo');
const clearButton = $('#number-clear');
const fileInput = $('#number-file');
const modelSelect = $('#model-select'); // the page's model chooser, filled by app.js
let upload = null; // the file shown, while an uploaded image is on the pad
let digits = [];

const idleDigit = 'Point at a digit of the number to see how sure the network is of it.';

const reader = new LatestWins(async (job) => {
  const started = performance.now();
  const model = modelSelect.value && !modelSelect.disabled ? modelSelect.value : undefined;
  const result = job.file
    ? await api.readNumberFile(job.file, model)
    : await api.readNumberDataUrl(pad.toDataURL(SENT_HEIGHT), model);
  return { result, elapsed: performance.now() - started };
}, {
  onResult: ({ result, elapsed }) => show(result, elapsed),
  onError: (error) => {
    digits = [];
    boxes.clear();
    setText('error', error.status === 422 ? error.title : 'Could not read it',
      error.detail || 'Write the digits a little larger and clearer.');
    digitView.idle(idleDigit);
  },
  onBusy: (busy) => digitView.busy(busy),
});

function show(result, elapsed) {
  digits = result.digits;
  boxes.show(digits, pad.contentFrame(SENT_HEIGHT));
  setText('read', result.text,
    `${digits.length} digit${digits.length === 1 ? '' : 's'}, all right with probability ${formatPercent(result.confidence)} · ${result.model} · ${Math.round(elapsed)} ms`);
  digitView.idle(idleDigit);
}

function setText(state, value, words) {
  text.dataset.state = state;
  text.textContent = value;
  detail.textContent = words;
}

boxes.addEventListener('pick', (e) => {
  const digit = digits[e.detail];
  if (!digit) return;
  digitView.show({ ...digit, model: '' }, 0);
  $('#number-digit [data-role=meta]').textContent = `Digit ${e.detail + 1} of ${digits.length}, in the box labelled ${digit.digit}.`;
});

function readCurrent(now = true) {
  if (upload) reader.submitNow({ file: upload });
  else if (pad.isEmpty) {
    reader.cancel();
    digits = [];
    boxes.clear();
    setText('idle', '…', 'Write a few digits and the network reads them as you go.');
    digitView.idle(idleDigit);
  } else if (now) reader.submitNow({ drawing: true });
  else reader.submit({ drawing: true });
}

function syncPad() {
  frame.classList.toggle('is-empty', pad.isEmpty);
  frame.dataset.strokes = String(pad.strokeCount - (pad.isDrawing ? 1 : 0));
  undoButton.disabled = pad.isEmpty;
  clearButton.disabled = pad.isEmpty;
}

pad.addEventListener('input', () => {
  upload = null;
  frame.dataset.source = 'drawing';
  boxes.clear(); // they would no longer match the strokes
  syncPad();
});
pad.addEventListener('strokeend', () => { syncPad(); readCurrent(true); });
pad.addEventListener('change', () => {
  if (!pad.hasImage) { upload = null; frame.dataset.source = 'drawing'; }
  syncPad();
  readCurrent(true);
});
undoButton.addEventListener('click', () => pad.undo());
clearButton.addEventListener('click', () => pad.clear());
frame.addEventListener('keydown', (e) => {
  if (e.target !== frame) return;
  if (e.key === 'Delete' || e.key === 'Escape') { pad.clear(); e.preventDefault(); }
  else if (e.key === 'Backspace') { pad.undo(); e.preventDefault(); }
});
modelSelect.addEventListener('change', () => { if (!pad.isEmpty) readCurrent(true); });

$('#number-upload').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', async () => {
  const file = fileInput.files?.[0];
  fileInput.value = '';
  if (!file) return;
  let preview;
  try {
    preview = await createImageBitmap(file);
  } catch {
    setText('error', 'Not an image the browser can show', `${file.name} could not be decoded here.`);
    return;
  }
  upload = file;
  frame.dataset.source = 'upload';
  pad.showImage(preview); // shown first, so that the boxes are placed over the image as fitted
  syncPad();
  readCurrent(true);
});

digitView.idle(idleDigit);
syncPad();
