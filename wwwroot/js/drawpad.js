// The drawing pad: pointer events (mouse, touch, pen) become strokes of points in [0, 1] pad
// coordinates, rendered as round marker lines through quadratic curves. Keeping strokes as
// vectors makes undo trivial and lets the pad export a clean MNIST-polarity image (white ink
// on black) at any size, independent of the screen's pixel ratio.

/**
 * Stroke width as a fraction of the pad's height. A digit drawn across about two thirds of the
 * pad's height is scaled by the service to 20 px of a 28 px image, so this gives strokes of about
 * 2.5 px there: the thickness of MNIST's pen strokes.
 */
export const STROKE_WIDTH = 0.085;
const MIN_STEP = 0.003; // ignore jitter smaller than this (pad units)

export class DrawPad extends EventTarget {
  #canvas;
  #ctx;
  #strokes = [];
  #active = null; // { pointerId, points }
  #image = null; // an uploaded image shown instead of strokes
  #frame = 0;
  #aspect;
  colors = { paper: '#fff', ink: '#111' };

  /** @param aspect width over height: 1 for one digit, wider for a number. */
  constructor(canvas, { aspect = 1 } = {}) {
    super();
    this.#aspect = aspect;
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', (e) => this.#up(e));
    canvas.addEventListener('pointercancel', (e) => this.#up(e));
    canvas.addEventListener('lostpointercapture', (e) => this.#up(e));
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  get strokeCount() { return this.#strokes.length; }
  get isEmpty() { return this.#strokes.length === 0 && this.#image === null; }
  get hasImage() { return this.#image !== null; }
  get isDrawing() { return this.#active !== null; }

  /** The longer side of the strokes' bounding box in pad units, stroke width included (0 when nothing is drawn). */
  get extent() {
    const points = this.#strokes.flat();
    if (!points.length) return 0;
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) + STROKE_WIDTH;
  }

  /** Removes the last stroke (or the uploaded image). Returns whether anything changed. */
  undo() {
    if (this.#image) { this.#image = null; }
    else if (this.#strokes.length) { this.#strokes.pop(); }
    else return false;
    this.#changed('change');
    return true;
  }

  clear() {
    const had = !this.isEmpty;
    this.#strokes = [];
    this.#image = null;
    this.#active = null;
    this.#changed('change');
    return had;
  }

  /** Shows an uploaded image (an ImageBitmap or image element) in place of the drawing. */
  showImage(image) {
    this.#strokes = [];
    this.#active = null;
    this.#image = image;
    this.#schedule();
  }

  /** The drawing as a PNG data URL: white ink on black, size pixels high (and aspect times that wide). */
  toDataURL(size = 280) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(size * this.#aspect);
    canvas.height = size;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.#drawStrokes(ctx, canvas.width, canvas.height, '#fff');
    return canvas.toDataURL('image/png');
  }

  /**
   * Where the shown content lies on the pad, as fractions of its width and height, with the size of the image
   * it came from in that image's pixels: the uploaded image as fitted, else the whole pad (size as toDataURL's).
   */
  contentFrame(size = 280) {
    if (!this.#image) return { x: 0, y: 0, width: 1, height: 1, imageWidth: Math.round(size * this.#aspect), imageHeight: size };
    const { width, height } = this.#image;
    const { x, y, w, h } = this.#fit(this.#canvas.width, this.#canvas.height);
    return { x: x / this.#canvas.width, y: y / this.#canvas.height, width: w / this.#canvas.width, height: h / this.#canvas.height, imageWidth: width, imageHeight: height };
  }

  redraw() { this.#schedule(); }

  #down(e) {
    if (this.#active || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.#canvas.setPointerCapture(e.pointerId);
    if (this.#image) this.#image = null; // drawing replaces an upload
    this.#active = { pointerId: e.pointerId, points: [this.#point(e)] };
    this.#strokes.push(this.#active.points);
    this.#changed('input');
  }

  #move(e) {
    if (!this.#active || e.pointerId !== this.#active.pointerId) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    let added = false;
    for (const ev of events.length ? events : [e]) {
      const p = this.#point(ev);
      const last = this.#active.points[this.#active.points.length - 1];
      if (Math.hypot(p.x - last.x, p.y - last.y) >= MIN_STEP) {
        this.#active.points.push(p);
        added = true;
      }
    }
    if (added) this.#changed('input');
  }

  #up(e) {
    if (!this.#active || e.pointerId !== this.#active.pointerId) return;
    this.#active = null;
    if (this.#canvas.hasPointerCapture(e.pointerId)) this.#canvas.releasePointerCapture(e.pointerId);
    this.#changed('strokeend');
  }

  #point(e) {
    const r = this.#canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return { x: clamp((e.clientX - r.left) / r.width), y: clamp((e.clientY - r.top) / r.height) };
  }

  #changed(type) {
    this.#schedule();
    this.dispatchEvent(new Event(type));
  }

  #resize() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.#canvas.clientWidth * dpr));
    if (this.#canvas.width !== width) {
      this.#canvas.width = width;
      this.#canvas.height = Math.max(1, Math.round(width / this.#aspect));
      this.#render();
    }
  }

  #schedule() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => { this.#frame = 0; this.#render(); });
  }

  #render() {
    const ctx = this.#ctx;
    const { width, height } = this.#canvas;
    ctx.fillStyle = this.colors.paper;
    ctx.fillRect(0, 0, width, height);
    if (this.#image) {
      const { x, y, w, h } = this.#fit(width, height);
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(this.#image, x, y, w, h);
      return;
    }
    this.#drawStrokes(ctx, width, height, this.colors.ink);
  }

  /** The uploaded image fitted into 90 % of a width x height canvas, centred. */
  #fit(width, height) {
    const scale = Math.min(width / this.#image.width, height / this.#image.height) * 0.9;
    const w = this.#image.width * scale, h = this.#image.height * scale;
    return { x: (width - w) / 2, y: (height - h) / 2, w, h };
  }

  #drawStrokes(ctx, width, height, color) {
    ctx.save();
    ctx.strokeStyle = ctx.fillStyle = color;
    ctx.lineWidth = STROKE_WIDTH * height;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    for (const points of this.#strokes) drawStroke(ctx, points, width, height);
    ctx.restore();
  }
}

/** A marker stroke: a dot for a tap, else a quadratic curve through the midpoints of the points. */
function drawStroke(ctx, points, width, height) {
  const p = points.map(({ x, y }) => ({ x: x * width, y: y * height }));
  ctx.beginPath();
  if (p.length === 1) {
    ctx.arc(p[0].x, p[0].y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.moveTo(p[0].x, p[0].y);
  for (let i = 1; i < p.length - 1; i++) {
    const mx = (p[i].x + p[i + 1].x) / 2, my = (p[i].y + p[i + 1].y) / 2;
    ctx.quadraticCurveTo(p[i].x, p[i].y, mx, my);
  }
  const last = p[p.length - 1];
  ctx.lineTo(last.x, last.y);
  ctx.stroke();
}
