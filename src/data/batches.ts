/**
 * Mini-batches over a Dataset and an index list (e.g. one fold's train indices).
 *
 * Epoch e's order comes from Rng(hash2(seed, e)), not from one generator advanced epoch after epoch, so
 * resuming at epoch 7 gives exactly the order a full run would have had at epoch 7. Augmentation of batch b
 * in epoch e likewise uses its own Rng(hash2(hash2(seed ^ AUG, e), b)), so batches can be filled in any
 * order (or by several workers) with the same result.
 */
import { hash2, Rng } from '../engine/rng.js';
import type { Augmenter } from './augment.js';
import type { Dataset } from './dataset.js';
import { INPUT_LUT } from './normalize.js';

const AUG_SALT = 0x5eed_a06;

export interface BatchOptions {
  batchSize: number;
  /** seeds the per-epoch shuffles and augmentations (default 0) */
  seed?: number;
  /** shuffle each epoch (default true) */
  shuffle?: boolean;
  /** drop the last partial batch (default true: training wants equal batches, e.g. for batch norm) */
  dropLast?: boolean;
}

export class BatchIterator {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly indices: Int32Array;
  private readonly orderBuf: Int32Array;
  private epochNo = -1;

  constructor(readonly dataset: Dataset, indices: ArrayLike<number> | undefined, opts: BatchOptions) {
    const count = dataset.labels.length;
    this.indices = indices ? Int32Array.from(indices) : Int32Array.from({ length: count }, (_, i) => i);
    for (const i of this.indices) if (i < 0 || i >= count) throw new RangeError(`BatchIterator: index ${i} is outside the dataset (0..${count - 1})`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`BatchIterator: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.shuffle = opts.shuffle ?? true;
    this.dropLast = opts.dropLast ?? true;
    this.orderBuf = new Int32Array(this.indices.length);
    this.setEpoch(0);
  }

  /** Samples in this iterator. */
  get length(): number { return this.indices.length; }

  /** Full batches only when dropLast (the remainder is skipped this epoch, a different one next epoch). */
  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.indices.length / this.batchSize) : Math.ceil(this.indices.length / this.batchSize);
  }

  get epoch(): number { return this.epochNo; }

  /** This epoch's sample order (dataset indices); a view, valid until the next setEpoch. */
  get order(): Int32Array { return this.orderBuf; }

  /** Switches to epoch `e`: recomputes the order from (seed, e) alone. */
  setEpoch(e: number): void {
    if (e === this.epochNo) return;
    this.epochNo = e;
    this.orderBuf.set(this.indices);
    if (this.shuffle) new Rng(hash2(this.seed, e)).shuffle(this.orderBuf);
  }

  /** Number of samples in batch `b` (batchSize except possibly the last when dropLast is false). */
  batchLength(b: number): number {
    if (!Number.isInteger(b) || b < 0 || b >= this.batchesPerEpoch) throw new RangeError(`BatchIterator: batch ${b} is outside 0..${this.batchesPerEpoch - 1}`);
    return Math.min(this.batchSize, this.indices.length - b * this.batchSize);
  }

  /** The dataset indices of batch `b` in the current epoch (a view). */
  batchIndices(b: number): Int32Array {
    const len = this.batchLength(b);
    return this.orderBuf.subarray(b * this.batchSize, b * this.batchSize + len);
  }

  /**
   * Writes batch `b` of the current epoch: images as normalised inputs (N x size x size, augmented if an
   * augmenter is given) and class indices. Returns how many samples were written.
   */
  fill(b: number, inputOut: Float32Array | Float64Array, labelsOut: Int32Array, augmenter?: Augmenter): number {
    const ds = this.dataset, px = ds.size * ds.size, idx = this.batchIndices(b), len = idx.length;
    if (inputOut.length < len * px) throw new RangeError(`BatchIterator.fill: input buffer holds ${inputOut.length} values, batch needs ${len * px}`);
    if (labelsOut.length < len) throw new RangeError(`BatchIterator.fill: labels buffer holds ${labelsOut.length}, batch needs ${len}`);
    if (augmenter && augmenter.size !== ds.size) throw new RangeError(`BatchIterator.fill: augmenter is for ${augmenter.size}x${augmenter.size} images, dataset has ${ds.size}x${ds.size}`);
    const rng = augmenter ? new Rng(hash2(hash2(this.seed ^ AUG_SALT, this.epochNo), b)) : undefined;
    const lut = INPUT_LUT, images = ds.images;
    for (let k = 0; k < len; k++) {
      const i = idx[k], src = images.subarray(i * px, (i + 1) * px);
      if (augmenter) augmenter.apply(src, inputOut, k * px, rng);
      else for (let j = 0, o = k * px; j < px; j++) inputOut[o + j] = lut[src[j]];
      labelsOut[k] = ds.labels[i];
    }
    return len;
  }
}

/** For evaluation: every sample exactly once, in the given order, the last batch possibly partial. */
export class EvalIterator extends BatchIterator {
  constructor(dataset: Dataset, indices: ArrayLike<number> | undefined, batchSize: number) {
    super(dataset, indices, { batchSize, shuffle: false, dropLast: false });
  }
}
