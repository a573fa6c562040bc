/**
 * Per-sample target distributions for the soft-target loss, shared by distillation and mixup: the
 * label-smoothed one-hot vector that cross-entropy with smoothing aims at.
 */

/** The smoothed one-hot target of class `label` at class `k`, of K. */
export function smoothedLabel(k: number, label: number, K: number, smoothing: number): number {
  return (k === label ? 1 - smoothing : 0) + smoothing / K;
}

/** Smoothed one-hot targets [batch][K] of `labels` into `out`. */
export function labelTargets(out: Float32Array | Float64Array, labels: Int32Array, K: number, smoothing: number): void {
  for (let j = 0; j < labels.length; j++) {
    for (let k = 0; k < K; k++) out[j * K + k] = smoothedLabel(k, labels[j], K, smoothing);
  }
}
