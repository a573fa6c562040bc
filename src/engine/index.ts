// ferkit's training and inference engine: graph, plans, kernels, sessions. Knows nothing about faces.
export * from './graph.js';
export * from './params.js';
export * from './session.js';
export { Rng, hash2 } from './rng.js';
export type { Op, OptimizerSpec, TrainSpec, Plan } from './plan.js';
export { LrSchedule, type ScheduleSpec } from './schedule.js';
export { encodeSafetensors, decodeSafetensors, type StoredDtype } from './safetensors.js';
export { encodeModel, decodeModel, type ModelData } from './model-file.js';
export { foldBatchNorm } from './fold.js';
export { macsPerImage } from './stats.js';
export { exportOnnx, ACTIVATION_PREFIX, type OnnxExportOptions, type ActivationRanges } from './onnx-export.js';
export { uint8Params, fakeQuantize, quantizeWeights, quantizeBias, widenRanges, type QParams, type Range } from './quantize.js';
