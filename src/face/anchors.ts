/**
 * BlazeFace anchor centres, in MediaPipe's SSD anchor layout.
 *
 * MediaPipe's SsdAnchorsCalculator with `fixed_anchor_size: true` (what both face models use) gives every
 * anchor width = height = 1, so only the centres matter: the box regressors are offsets from the centre in
 * input pixels and sizes in input pixels. Layers with the same stride share one feature map, and their
 * anchors are interleaved per cell, which is why MediaPipe's four layers [8, 16, 16, 16] (front, 128 px) or
 * [16, 32, 32, 32] (back, 256 px) with 2 anchors each become two grids here: 16x16 cells x 2 anchors and
 * 8x8 cells x 6 anchors = 512 + 384 = 896 anchors, matching the two output tensors of each model.
 *
 * Order (the models' output order): grid by grid, then row (y) by row, then column (x), then the anchors
 * of a cell. A cell's anchors share its centre ((x + 0.5) / cols, (y + 0.5) / rows) (anchor offset 0.5).
 */

export interface AnchorSpec {
  /** side of the square model input in pixels */
  inputSize: number;
  /** stride of each feature grid, in input pixels */
  strides: readonly number[];
  /** anchors per cell of each grid */
  anchorsPerCell: readonly number[];
}

/** The front (selfie) model: 128x128 input, strides 8 and 16. */
export const FRONT_ANCHORS: AnchorSpec = { inputSize: 128, strides: [8, 16], anchorsPerCell: [2, 6] };
/** The back (rear camera) model: 256x256 input, strides 16 and 32 (checked: both output 512 + 384 rows). */
export const BACK_ANCHORS: AnchorSpec = { inputSize: 256, strides: [16, 32], anchorsPerCell: [2, 6] };

/**
 * Anchor centres as (x, y) pairs normalised to [0, 1] of the model input: [x0, y0, x1, y1, ...].
 * Length is 2 * total anchors (896 anchors for both BlazeFace models).
 */
export function blazeFaceAnchors(inputSize: number, strides: readonly number[], anchorsPerCell: readonly number[]): Float32Array {
  if (!Number.isInteger(inputSize) || inputSize < 1) throw new RangeError(`blazeFaceAnchors: inputSize must be a positive integer, got ${inputSize}`);
  if (strides.length !== anchorsPerCell.length || strides.length === 0) {
    throw new RangeError(`blazeFaceAnchors: need one anchorsPerCell entry per stride, got ${strides.length} strides and ${anchorsPerCell.length} counts`);
  }
  // Feature map size is ceil(input / stride), as in MediaPipe.
  const dims = strides.map((s) => {
    if (!(s > 0)) throw new RangeError(`blazeFaceAnchors: strides must be positive, got ${s}`);
    return Math.ceil(inputSize / s);
  });
  let total = 0;
  dims.forEach((d, i) => { total += d * d * anchorsPerCell[i]; });
  const out = new Float32Array(total * 2);
  let k = 0;
  dims.forEach((d, i) => {
    for (let y = 0; y < d; y++) {
      const cy = (y + 0.5) / d;
      for (let x = 0; x < d; x++) {
        const cx = (x + 0.5) / d;
        for (let a = 0; a < anchorsPerCell[i]; a++) { out[k++] = cx; out[k++] = cy; }
      }
    }
  });
  return out;
}

/** Anchors of a spec (see blazeFaceAnchors). */
export function anchorsFor(spec: AnchorSpec): Float32Array {
  return blazeFaceAnchors(spec.inputSize, spec.strides, spec.anchorsPerCell);
}
