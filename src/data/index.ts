/** ferkit data layer: reading datasets, decoding faces, augmentation, splits and batches. */
export { FER_LABELS, CONTEMPT, canonicalLabel, ferIndex, type FerLabel } from './labels.js';
export { type Dataset, datasetLength, imageAt, subset, classCounts, concat } from './dataset.js';
export { decodeFace, decodeMany, DEFAULT_MAX_PIXELS, type DecodeOptions, type DecodeManyOptions, type DecodeManyResult } from './decode.js';
export {
  loadDataset, DATASET_FORMATS, IMAGE_EXTENSIONS, readCkPlus, readFer2013Csv, readFer2013Folders, readFolder, readJaffe,
  type DatasetFormat, type LoadDatasetOptions, type ReaderOptions, type CkPlusOptions, type Fer2013CsvOptions,
  type Fer2013FolderOptions, type FolderOptions,
} from './readers/index.js';
export { loadDatasetCached, datasetCacheKey, encodeDatasetCache, decodeDatasetCache, type CacheEvent } from './cache.js';
export { INPUT_MEAN, INPUT_STD, INPUT_LUT, toInput, fromInput } from './normalize.js';
export { Augmenter, tenCrop, mirrorImages, IDENTITY_PARAMS, type AugmentOptions, type AugmentParams } from './augment.js';
export { TTA_VIEWS, TTAS, isTta, type Tta } from './tta.js';
export { writeViews, averageViews, defaultCropSize } from './views.js';
export { stratifiedHoldout, kFold, subjectKFold, type Split } from './splits.js';
export { BatchIterator, EvalIterator, type BatchOptions } from './batches.js';
