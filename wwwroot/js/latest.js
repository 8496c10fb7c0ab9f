// Live prediction without a pile-up: submissions are debounced, at most one request is in
// flight, and when it returns the newest submission (if any) goes next; older ones are dropped.
// A submission is a function that builds its request only when it is sent, so the request
// always carries the drawing as it is at that moment.

export class LatestWins {
  #send;
  #pending = null;
  #inFlight = false;
  #timer = 0;
  #firstWait = 0;
  #generation = 0;

  /**
   * @param send async (job) => result
   * @param onResult (result, job) => void, called only for jobs not cancelled meanwhile
   * @param onError (error, job) => void
   * @param delay quiet time before sending (ms); maxWait bounds the delay while input keeps coming
   */
  constructor(send, { onResult, onError, onBusy, delay = 90, maxWait = 220 }) {
    this.#send = send;
    this.onResult = onResult;
    this.onError = onError;
    this.onBusy = onBusy ?? (() => {});
    this.delay = delay;
    this.maxWait = maxWait;
  }

  get busy() { return this.#inFlight || this.#pending !== null; }

  /** Queues a job after the debounce delay. */
  submit(job) {
    this.#pending = job;
    const now = performance.now();
    if (!this.#timer) this.#firstWait = now;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.delay, this.#firstWait + this.maxWait - now));
    this.#timer = setTimeout(() => { this.#timer = 0; this.#pump(); }, wait);
    this.onBusy(true);
  }

  /** Queues a job to go as soon as nothing is in flight. */
  submitNow(job) {
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#pending = job;
    this.onBusy(true);
    this.#pump();
  }

  /** Forgets the pending job and ignores the answer of the one in flight. */
  cancel() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#pending = null;
    this.#generation++;
    if (!this.#inFlight) this.onBusy(false);
  }

  async #pump() {
    if (this.#inFlight || this.#timer) return;
    while (this.#pending) {
      const job = this.#pending;
      this.#pending = null;
      const generation = this.#generation;
      this.#inFlight = true;
      try {
        const result = await this.#send(job);
        if (generation === this.#generation) this.onResult(result, job);
      } catch (error) {
        if (generation === this.#generation) this.onError(error, job);
      } finally {
        this.#inFlight = false;
      }
      if (this.#timer) return; // a newer job is still debouncing; its timer pumps again
    }
    this.onBusy(false);
  }
}
