/**
 * Per-sample target distributions for the soft-target loss, shared by distillation and mixup: the
 * label-smoothed one-hot vector that cross-entropy with smoothing aims at.
 */

/** The smoothed one-hot target of class `label` at class `k`, of K. */
export function smoothedLabel(k: number, label: number, K: number, smoothing: number): number {
  return (k === label ? 1 - smoothing : 0) + smoothing / K;
}

/**
 * Smoothed one-hot targets of `labels` into `out`, rows of `width` values: the label in the first K, zeros
 * after (width 2K is distillation at a temperature, whose teacher part blendTeacher fills later).
 */
export function labelTargets(out: Float32Array | Float64Array, labels: Int32Array, K: number, smoothing: number, width = K): void {
  for (let j = 0; j < labels.length; j++) {
    for (let k = 0; k < K; k++) out[j * width + k] = smoothedLabel(k, labels[j], K, smoothing);
    for (let k = K; k < width; k++) out[j * width + k] = 0;
  }
}
