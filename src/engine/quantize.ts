/**
 * Linear 8-bit quantization parameters for an int8 ONNX export (onnxruntime's "QDQ" format): activations
 * as uint8 with a per-tensor scale and zero point, weights as symmetric int8 with one scale per output
 * channel, biases as int32 in the product of the two scales. The scalar functions here are the whole of
 * the arithmetic; onnx-export.ts only places the QuantizeLinear/DequantizeLinear nodes.
 */

/** uint8 affine parameters: real = (q - zeroPoint) * scale */
export interface QParams { scale: number; zeroPoint: number }

/** [min, max] of an activation tensor, observed on calibration data */
export type Range = [number, number];

/**
 * Parameters that cover [min, max] with 256 levels. The range is widened to contain 0, so that 0 (ReLU's
 * floor, padding) is exact; a ReLU output (min 0) gets zero point 0, which lets onnxruntime drop the ReLU.
 */
export function uint8Params([min, max]: Range): QParams {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) throw new RangeError(`uint8Params: bad range [${min}, ${max}]`);
  const lo = Math.min(0, min), hi = Math.max(0, max);
  const scale = hi - lo > 0 ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** What onnxruntime's QuantizeLinear then DequantizeLinear do to x (round half to even, saturate). */
export function fakeQuantize(x: number, { scale, zeroPoint }: QParams): number {
  const v = x / scale;
  let r = Math.round(v);
  if (Math.abs(v % 1) === 0.5 && r % 2 !== 0) r -= 1; // ties to even
  return (Math.min(255, Math.max(0, r + zeroPoint)) - zeroPoint) * scale;
}

/**
 * Symmetric per-output-channel weights in `bits` bits (7 or 8): scale_k = max|w_k| / qmax with
 * qmax = 2^(bits-1) - 1 (63 or 127), q = round(w / scale_k) in [-qmax, qmax], stored as int8.
 * `w` is laid out output-channel first ([K, ...]), as convolution weights are.
 *
 * 7 bits is what the ONNX export uses: x86 CPUs without VNNI (AVX2 only) multiply uint8 activations by int8
 * weights with an instruction that adds two products into a saturating int16, and 2 * 255 * 127 overflows
 * it, so onnxruntime's integer kernels give wrong sums there (onnxruntime's own quantizer calls the
 * remedy "reduce_range"). With |q| <= 63 the pair sum stays below 2^15 on every CPU.
 */
export function quantizeWeights(w: Float32Array, channels: number, bits: 7 | 8): { q: Int8Array; scales: Float32Array } {
  if (!(Number.isInteger(channels) && channels > 0 && w.length % channels === 0)) {
    throw new RangeError(`quantizeWeights: ${w.length} weights do not split into ${channels} channels`);
  }
  if (bits !== 7 && bits !== 8) throw new RangeError(`quantizeWeights: bits must be 7 or 8, got ${bits}`);
  const qmax = (1 << (bits - 1)) - 1;
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let k = 0; k < channels; k++) {
    let m = 0;
    for (let j = 0; j < per; j++) m = Math.max(m, Math.abs(w[k * per + j]));
    const s = m > 0 ? m / qmax : 1;
    scales[k] = s;
    for (let j = 0; j < per; j++) q[k * per + j] = Math.max(-qmax, Math.min(qmax, Math.round(w[k * per + j] / s)));
  }
  return { q, scales };
}

/** Biases in int32 at scale inputScale * weightScale_k, the accumulator's scale in an integer convolution. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  if (b.length !== weightScales.length) throw new RangeError(`quantizeBias: ${b.length} biases for ${weightScales.length} channels`);
  const scales = new Float32Array(b.length);
  const q = new Int32Array(b.length);
  for (let k = 0; k < b.length; k++) {
    scales[k] = inputScale * weightScales[k];
    q[k] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[k] / scales[k])));
  }
  return { q, scales };
}

/**
 * Widens `ranges` (by name) to cover every value of `outputs`: calibration runs the float model with its
 * activations exposed over a few batches and folds each batch in here. Min/max, not percentiles: measured
 * on tiny (docs/latency.md) it cost 0.5 points of accuracy, and nothing in ferkit clips outliers.
 */
export function widenRanges(ranges: Record<string, Range>, outputs: Record<string, ArrayLike<number>>): Record<string, Range> {
  for (const [name, data] of Object.entries(outputs)) {
    let lo = ranges[name]?.[0] ?? Infinity, hi = ranges[name]?.[1] ?? -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) throw new RangeError(`widenRanges: activation "${name}" has a non-finite value`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo <= hi) ranges[name] = [lo, hi];
  }
  return ranges;
}
