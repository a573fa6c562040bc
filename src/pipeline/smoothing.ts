/**
 * Temporal smoothing of expression probabilities, per track.
 *
 * The choice: a first-order low-pass filter (exponential moving average) with a time constant TAU in
 * SECONDS, discretised exactly for the actual time step between two observations:
 *
 *     alpha = 1 - exp(-dt / TAU),   s <- s + alpha * (p - s)
 *
 * A fixed per-frame alpha (the usual EMA) would smooth a 60 fps video twice as long as a 30 fps one and
 * would not handle frames sampled with --fps, or gaps where the face was not detected. With alpha from dt,
 * the response depends only on time: after a step change of the input, the smoothed value has covered
 * 1 - exp(-t / TAU) of the step t seconds later, at any frame rate (63% at TAU, 95% at 3 TAU). The default
 * TAU = 0.5 s keeps expressions that last about a second (a smile takes ~0.5 to 4 s) while removing the
 * frame-to-frame flicker of a per-image classifier; micro-expressions (< 0.5 s) are attenuated.
 *
 * A convex combination of probability vectors is a probability vector, so smoothed probabilities still sum
 * to 1 and no renormalisation is needed. A track's first observation initialises the state as-is.
 */

export const DEFAULT_TIME_CONSTANT = 0.5;

export interface SmootherState {
  time: number;
  probs: Float64Array;
}

/** Smooths probability vectors of several tracks (keyed by track id) over time. */
export class ProbabilitySmoother {
  readonly timeConstant: number;
  private state = new Map<number, SmootherState>();

  /** timeConstant in seconds (default 0.5); 0 disables smoothing */
  constructor(timeConstant: number = DEFAULT_TIME_CONSTANT) {
    if (!(timeConstant >= 0 && Number.isFinite(timeConstant))) throw new RangeError(`ProbabilitySmoother: timeConstant must be a non-negative number of seconds, got ${timeConstant}`);
    this.timeConstant = timeConstant;
  }

  /** The weight of a new observation `dt` seconds after the previous one. */
  alpha(dt: number): number {
    if (this.timeConstant === 0) return 1;
    return dt > 0 ? 1 - Math.exp(-dt / this.timeConstant) : 0;
  }

  /**
   * Adds track `id`'s probabilities observed at `time` seconds (times of one track must not decrease) and
   * returns the smoothed vector (a new array).
   */
  update(id: number, time: number, probs: ArrayLike<number>): Float64Array {
    const s = this.state.get(id);
    if (!s) {
      const init = Float64Array.from(probs);
      this.state.set(id, { time, probs: init });
      return init.slice();
    }
    if (s.probs.length !== probs.length) throw new RangeError(`ProbabilitySmoother: track ${id} had ${s.probs.length} probabilities, now ${probs.length}`);
    if (time < s.time) throw new RangeError(`ProbabilitySmoother: track ${id} went back in time (${time} s after ${s.time} s)`);
    const a = this.alpha(time - s.time);
    for (let k = 0; k < probs.length; k++) s.probs[k] += a * (probs[k] - s.probs[k]);
    s.time = time;
    return s.probs.slice();
  }

  /** Forgets a track (e.g. when the tracker drops it). */
  delete(id: number): void { this.state.delete(id); }

  /** Forgets every track whose id is not in `live`. */
  retain(live: Iterable<number>): void {
    const keep = new Set(live);
    for (const id of [...this.state.keys()]) if (!keep.has(id)) this.state.delete(id);
  }
}

/** Convenience for labelled probabilities (Record<label, number>), in `labels` order. */
export function smoothRecord(sm: ProbabilitySmoother, id: number, time: number, labels: readonly string[], probs: Record<string, number>): Record<string, number> {
  const v = sm.update(id, time, labels.map((l) => probs[l] ?? 0));
  const out: Record<string, number> = {};
  labels.forEach((l, k) => { out[l] = v[k]; });
  return out;
}
