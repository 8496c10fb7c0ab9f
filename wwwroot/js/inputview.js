// "What the network sees": the 28x28 image the service fed to the model, enlarged, with the
// value of each pixel on hover (or with the arrow keys), and optionally written into every cell
// as in the tutorial's figure of one digit with its pixel values.
import { cssVar } from './dom.js';

export const SIDE = 28;

/**
 * The service's `input` field as 784 values in 0-255 (row-major, MNIST polarity). Accepts a
 * flat array, 28 rows, or an object holding either (pixels/data/values), in 0-1 or 0-255.
 */
export function toPixels(input) {
  let values = input;
  if (values && !Array.isArray(values)) values = values.pixels ?? values.data ?? values.values ?? values.rows;
  if (!Array.isArray(values)) return null;
  const flat = Array.isArray(values[0]) ? values.flat() : values;
  if (flat.length !== SIDE * SIDE) return null;
  const scale = Math.max(...flat) <= 1 ? 255 : 1;
  return flat.map((v) => Math.round(Math.min(255, Math.max(0, v * scale))));
}

export class InputView {
  #canvas;
  #ctx;
  #readout;
  #pixels = null;
  #cursor = null; // { row, col }
  #showValues = false;
  #frame = 0;

  constructor(canvas, readout) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    this.#readout = readout;
    canvas.addEventListener('pointermove', (e) => this.#hover(e));
    canvas.addEventListener('pointerdown', (e) => this.#hover(e));
    canvas.addEventListener('pointerleave', () => { if (document.activeElement !== canvas) this.#setCursor(null); });
    canvas.addEventListener('focus', () => this.#setCursor(this.#cursor ?? { row: 14, col: 14 }));
    canvas.addEventListener('blur', () => this.#setCursor(null));
    canvas.addEventListener('keydown', (e) => this.#key(e));
    new ResizeObserver(() => this.#schedule()).observe(canvas);
    this.#schedule();
  }

  get pixels() { return this.#pixels; }

  set showValues(on) {
    this.#showValues = on;
    this.#schedule();
  }

  /** Shows a new input (784 values 0-255), or nothing. */
  show(pixels) {
    this.#pixels = pixels;
    this.#canvas.dataset.state = pixels ? 'shown' : 'empty';
    this.#updateReadout();
    this.#schedule();
  }

  #hover(e) {
    const r = this.#canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - r.left) / r.width) * SIDE);
    const row = Math.floor(((e.clientY - r.top) / r.height) * SIDE);
    this.#setCursor(col >= 0 && col < SIDE && row >= 0 && row < SIDE ? { row, col } : null);
  }

  #key(e) {
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    const c = this.#cursor ?? { row: 14, col: 14 };
    if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      const step = e.shiftKey ? 4 : 1;
      const clamp = (v) => Math.min(SIDE - 1, Math.max(0, v));
      this.#setCursor({ row: clamp(c.row + dr * step), col: clamp(c.col + dc * step) });
    } else if (e.key === 'Home') this.#setCursor({ row: c.row, col: 0 });
    else if (e.key === 'End') this.#setCursor({ row: c.row, col: SIDE - 1 });
    else return;
    e.preventDefault();
  }

  #setCursor(cursor) {
    this.#cursor = cursor;
    this.#updateReadout();
    this.#schedule();
  }

  #updateReadout() {
    const c = this.#cursor;
    if (!this.#pixels) {
      this.#readout.textContent = 'The 28 × 28 pixels the model received appear here.';
    } else if (!c) {
      this.#readout.textContent = 'Point at a pixel (or focus the image and use the arrow keys) to read its value.';
    } else {
      const v = this.#pixels[c.row * SIDE + c.col];
      this.#readout.textContent = `Row ${c.row}, column ${c.col}: ${v} of 255 (input ${(v / 255).toFixed(2)})`;
    }
  }

  #schedule() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => { this.#frame = 0; this.#render(); });
  }

  #render() {
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const size = Math.max(SIDE, Math.round(canvas.clientWidth * dpr));
    if (canvas.width !== size) canvas.width = canvas.height = size;
    const ctx = this.#ctx;
    const cell = size / SIDE;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, size, size);
    const pixels = this.#pixels;
    if (pixels) {
      for (let i = 0; i < pixels.length; i++) {
        if (!pixels[i]) continue;
        const v = pixels[i];
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        const x = (i % SIDE), y = Math.floor(i / SIDE);
        // Snap to device pixels so neighbouring cells leave no hairline gaps.
        ctx.fillRect(Math.round(x * cell), Math.round(y * cell), Math.round((x + 1) * cell) - Math.round(x * cell), Math.round((y + 1) * cell) - Math.round(y * cell));
      }
    }
    if (cell >= 6 * dpr) {
      ctx.strokeStyle = 'rgba(255,255,255,0.07)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 1; i < SIDE; i++) {
        const p = Math.round(i * cell) + 0.5;
        ctx.moveTo(p, 0); ctx.lineTo(p, size);
        ctx.moveTo(0, p); ctx.lineTo(size, p);
      }
      ctx.stroke();
    }
    if (pixels && this.#showValues) {
      ctx.font = `${Math.max(6, cell * 0.36)}px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < pixels.length; i++) {
        const v = pixels[i];
        if (!v) continue;
        ctx.fillStyle = v > 140 ? '#111' : '#eee';
        ctx.fillText(String(v), ((i % SIDE) + 0.5) * cell, (Math.floor(i / SIDE) + 0.5) * cell);
      }
    }
    const c = this.#cursor;
    if (c) {
      ctx.strokeStyle = cssVar('--accent-bright') || '#818cf8';
      ctx.lineWidth = Math.max(2, dpr * 2);
      ctx.strokeRect(c.col * cell + 1, c.row * cell + 1, cell - 2, cell - 2);
    }
  }
}
