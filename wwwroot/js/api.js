// The service's HTTP API. Every error becomes an ApiError carrying the RFC 7807
// problem's title and detail, so the page can say what went wrong in the service's own words.

export class ApiError extends Error {
  constructor(status, title, detail, errors) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title || `HTTP ${status}`;
    this.detail = detail || '';
    this.errors = errors ?? null; // a 400's problems by field, e.g. { epochs: ["epochs must be ..."] }
  }
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, { ...init, headers: { Accept: 'application/json', ...(init?.headers ?? {}) } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The service is not reachable', 'Check that MnistService is running, then try again.');
  }
  const type = response.headers.get('Content-Type') ?? '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiError(response.status, body?.title ?? response.statusText, body?.detail ?? '', body?.errors);
  }
  if (body === null) throw new ApiError(response.status, 'Unexpected answer', `Expected JSON from ${url}.`);
  return body;
}

const withModel = (path, model) => (model ? `${path}?model=${encodeURIComponent(model)}` : path);
const predictPath = (model, explain) => `${withModel('predict', model)}${explain ? `${model ? '&' : '?'}explain=true` : ''}`;

/** POST /predict with a canvas data URL ("data:image/png;base64,..."); `explain` adds what the network computed. */
export function predictDataUrl(dataUrl, model, signal, { explain = false } = {}) {
  return request(predictPath(model, explain), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: dataUrl }),
    signal,
  });
}

/** POST /predict with an uploaded file, as multipart/form-data field "image". */
export function predictFile(file, model, signal, { explain = false } = {}) {
  const form = new FormData();
  form.append('image', file, file.name || 'image');
  return request(predictPath(model, explain), { method: 'POST', body: form, signal });
}

/** URL of MNIST test image `index` (a PNG; the true digit is in the X-Mnist-Label header). */
export const testImageUrl = (index) => `datasets/mnist/test/${index}`;

/** URL of a dense layer's weights drawn as one tile per unit (a PNG). */
export const weightsUrl = (model, layer = 'dense_1') => `models/${encodeURIComponent(model)}/weights/${layer}`;

/** Why an image URL did not load, in the service's own words (images cannot show a problem+json themselves). */
export async function problemAt(url) {
  try {
    await request(url);
    return new ApiError(0, 'Unexpected answer', `Expected a picture from ${url}.`);
  } catch (error) {
    return error;
  }
}

/** POST /predict/sequence with a canvas data URL: the number written on it. */
export function readNumberDataUrl(dataUrl, model, signal) {
  return request(withModel('predict/sequence', model), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: dataUrl }),
    signal,
  });
}

/** POST /predict/sequence with an uploaded file, as multipart/form-data field "image". */
export function readNumberFile(file, model, signal) {
  const form = new FormData();
  form.append('image', file, file.name || 'image');
  return request(withModel('predict/sequence', model), { method: 'POST', body: form, signal });
}

/** GET /models: the loaded models (and the files that failed to load). */
export async function listModels() {
  const body = await request('models');
  const list = Array.isArray(body) ? body : (body.models ?? body.items ?? []);
  return { models: list.map(normalizeModel), failures: body.failures ?? [] };
}

/** GET /models/{name}: one model with its training report. */
export async function getModel(name) {
  const body = await request(`models/${encodeURIComponent(name)}`);
  // { model: {summary}, report } — or a flat summary that carries its report.
  return normalizeModel(body.model ? { ...body.model, report: body.report ?? null } : body);
}

/** GET /metrics/confusion?model=NAME */
export function getConfusion(name) {
  return request(withModel('metrics/confusion', name));
}

/** POST /feedback: the right digit for the reading `id` (a /predict answer's id). */
export function sendFeedback(id, label) {
  return request('feedback', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id, label }),
  });
}

/** DELETE /feedback/{id}: takes an answer back. */
export async function deleteFeedback(id) {
  const response = await fetch(`feedback/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, body?.title ?? response.statusText, body?.detail ?? '');
  }
}

/** GET /metrics/feedback?model=NAME: the confusion matrix on people's answers. */
export function getFieldConfusion(name) {
  return request(withModel('metrics/feedback', name));
}

/** The key for training and model changes from another machine (X-Api-Key), when the user gave one. */
const keyHeader = (key) => (key ? { 'X-Api-Key': key } : {});

/** GET /jobs: every job, this client's access, the server's limits and defaults. */
export function listJobs(key) {
  return request('jobs', { headers: keyHeader(key) });
}

/** POST /jobs with training settings (camelCase); answers the queued job. */
export function startJob(settings, key) {
  return request('jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...keyHeader(key) },
    body: JSON.stringify(settings),
  });
}

/** DELETE /jobs/{id}: cancels a job. */
export function cancelJob(id, key) {
  return request(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE', headers: keyHeader(key) });
}

function normalizeModel(m) {
  return {
    ...m,
    name: m.name,
    hash: m.sha256 ?? m.hash ?? m.fileHash ?? '',
    parameters: m.parameters ?? m.report?.architecture?.parameters ?? null,
    accuracy: m.testAccuracy ?? m.accuracy ?? m.report?.test?.accuracy ?? null,
    created: m.created ?? m.report?.created ?? null,
    isDefault: Boolean(m.isDefault ?? m.default),
    report: m.report ?? null,
  };
}
