/**
 * Mixup (Zhang et al. 2018): each training batch is replaced by convex combinations of its images and of
 * their target distributions, x = lam * x_i + (1 - lam) * x_perm(i), with one lam ~ Beta(alpha, alpha) per
 * batch and a random pairing perm. On FER2013 the larger networks fit the training set well past what
 * they generalise (base: 75% training accuracy against 66.5% on PublicTest), and mixup is the standard
 * regulariser that attacks exactly that: it asks for linear behaviour between faces instead of
 * memorised ones.
 *
 * lam is folded into [0.5, 1] (lam = max(lam, 1 - lam)) so that the batch's own labels stay the majority
 * in every mixed sample: the training accuracy the trainer reports keeps its meaning.
 *
 * The randomness of a step comes from (seed, step) alone, not from a stream carried across steps, so a
 * resumed run mixes exactly as an uninterrupted one.
 */
import { hash2, Rng } from '../engine/rng.js';

/** A Gamma(shape, 1) sample (Marsaglia and Tsang 2000; shape < 1 by Gamma(shape + 1) * U^(1/shape)). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal(), t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t, u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(alpha, alpha) sample, from two Gamma samples. */
export function sampleBeta(rng: Rng, alpha: number): number {
  const a = sampleGamma(rng, alpha), b = sampleGamma(rng, alpha);
  return a / (a + b);
}

/** The mixing weight (folded into [0.5, 1]) and the pairing of one training step. */
export function mixupDraw(seed: number, step: number, alpha: number, batch: number): { lambda: number; perm: Int32Array } {
  const rng = new Rng(hash2(hash2(seed, 0x6d697875), step));
  const l = sampleBeta(rng, alpha);
  const perm = Int32Array.from({ length: batch }, (_, i) => i);
  rng.shuffle(perm);
  return { lambda: Math.max(l, 1 - l), perm };
}

/**
 * Mix a batch in place: input [batch][px] and targets [batch][K] become lam * own + (1 - lam) * partner's
 * (K is the targets' row width: the classes, or twice that when a distillation target keeps two parts).
 * Reads the partners from a copy, so the pairing may be any permutation.
 */
export function mixBatch(input: Float32Array | Float64Array, targets: Float32Array | Float64Array, batch: number, px: number, K: number,
  lambda: number, perm: Int32Array): void {
  if (perm.length !== batch) throw new RangeError(`mixBatch: ${perm.length} partners for a batch of ${batch}`);
  const x0 = input.slice(0, batch * px), t0 = targets.slice(0, batch * K), mu = 1 - lambda;
  for (let j = 0; j < batch; j++) {
    const p = perm[j];
    for (let i = 0; i < px; i++) input[j * px + i] = lambda * x0[j * px + i] + mu * x0[p * px + i];
    for (let k = 0; k < K; k++) targets[j * K + k] = lambda * t0[j * K + k] + mu * t0[p * K + k];
  }
}
