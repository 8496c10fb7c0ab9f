// How a model was trained beyond the tutorial's settings: its recipe, the distortions of its training
// images, its learning-rate schedule and label smoothing, as rows for the model summary's facts.
import { formatPercent } from './dom.js';

const SCHEDULES = { constant: 'Constant', cosine: 'Cosine', onecycle: 'One-cycle' };

/** The distortions as ranges: "±10° rotation, scale 0.92–1.08, ±6° shear, ±2 px shift, strokes ±0.5 px". */
function distortions(hp) {
  if (!hp.augment || hp.augment === 'none') return 'none';
  const scale = `${+(1 - hp.scale).toFixed(3)}–${+(1 + hp.scale).toFixed(3)}`;
  const strokes = hp.thickness ? `, strokes ±${hp.thickness} px` : '';
  const affine = `±${hp.rotation}° rotation, scale ${scale}, ±${hp.shear}° shear, ±${hp.shift} px shift${strokes}`;
  return hp.augment === 'elastic' ? `${affine}, elastic σ ${hp.elastic_sigma}, α ${hp.elastic_alpha}` : affine;
}

function schedule(hp) {
  const name = SCHEDULES[hp.lr_schedule] ?? hp.lr_schedule;
  if (!hp.lr_schedule || (hp.lr_schedule === 'constant' && !hp.warmup)) return 'constant';
  return `${name}, peak ${hp.learning_rate}${hp.warmup ? `, warm-up ${formatPercent(hp.warmup, 0)} of the steps` : ''}`;
}

/** [label, value] rows; none for a report without hyperparameters. */
export function recipeFacts(hp) {
  if (!hp) return [];
  return [
    ['Recipe', hp.recipe ?? 'tutorial'],
    ['Distortions', distortions(hp)],
    ['Learning-rate schedule', schedule(hp)],
    ['Label smoothing', hp.label_smoothing ? String(hp.label_smoothing) : 'none'],
  ];
}
