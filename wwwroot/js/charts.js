// Training curves as SVG line charts drawn by hand: one point per epoch, training against
// validation, like the tutorial's Keras history plots. Colours come from the stylesheet.
import { svg } from './dom.js';

const M = { left: 50, right: 12, top: 14, bottom: 40 };

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) { const d = Math.abs(min) * 0.1 || 1; min -= d; max += d; }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(+v.toFixed(10));
  return { ticks, step };
}

/**
 * @param options.series [{ key, label, values, className }]
 * @param options.format value => tick/tooltip text
 * @param options.best { epoch, label } draws a marker line at that epoch
 * @param options.width, options.height the size in CSS pixels, so text is drawn at its real size
 */
export function lineChart({ title, series, format, best, width: W = 480, height: H = 260 }) {
  const n = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 0.05;
  lo -= pad; hi += pad;
  const { ticks } = niceTicks(lo, hi, 5);
  lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);
  const x = (epoch) => M.left + (n === 1 ? 0.5 : (epoch - 1) / (n - 1)) * (W - M.left - M.right);
  const y = (v) => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart', role: 'img', 'aria-label': title });
  const grid = svg('g', { class: 'chart-grid' });
  for (const t of ticks) {
    grid.append(svg('line', { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    grid.append(svg('text', { x: M.left - 8, y: y(t), class: 'chart-tick chart-tick-y', text: format(t, true) }));
  }
  // Epoch ticks: 1, then round multiples (5, 10, 15 ...) spaced to fit the width.
  const room = Math.max(2, Math.floor((W - M.left - M.right) / 36));
  const xStep = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => n / s <= room) ?? Math.ceil(n / room);
  const xTicks = [1];
  for (let e = xStep; e <= n; e += xStep) if (e > 1 && (e - 1) * (W - M.left - M.right) / Math.max(1, n - 1) >= 18) xTicks.push(e);
  for (const e of xTicks) {
    grid.append(svg('text', { x: x(e), y: H - M.bottom + 16, class: 'chart-tick chart-tick-x', text: e }));
  }
  grid.append(svg('text', { x: M.left + (W - M.left - M.right) / 2, y: H - 6, class: 'chart-axis-label', text: 'Epoch' }));
  grid.append(svg('line', { class: 'chart-axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
  root.append(grid);

  if (best && best.epoch >= 1 && best.epoch <= n) {
    // The label goes to whichever end of the marker line the curves leave free.
    const values = series.map((s) => s.values[best.epoch - 1]).filter(Number.isFinite);
    const curvesHigh = values.length && y(Math.min(...values)) < (M.top + H - M.bottom) / 2;
    const left = best.epoch > n * 0.7;
    root.append(svg('g', { class: 'chart-best' },
      svg('line', { x1: x(best.epoch), x2: x(best.epoch), y1: M.top, y2: H - M.bottom }),
      svg('text', { x: x(best.epoch) + (left ? -5 : 5), y: curvesHigh ? H - M.bottom - 8 : M.top + 10,
        class: left ? 'is-left' : '', text: best.label })));
  }

  for (const s of series) {
    const g = svg('g', { class: `chart-series ${s.className}`, dataset: { series: s.key } });
    const points = s.values.map((v, i) => [x(i + 1), y(v)]);
    if (points.length > 1) {
      g.append(svg('polyline', { points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ') }));
    }
    s.values.forEach((v, i) => {
      g.append(svg('circle', { cx: points[i][0].toFixed(1), cy: points[i][1].toFixed(1), r: n > 30 ? 2.5 : 3.5,
        class: 'chart-point', dataset: { epoch: i + 1 } },
        svg('title', { text: `Epoch ${i + 1}: ${s.label} ${format(v, false)}` })));
    });
    root.append(g);
  }
  return root;
}
