// ferkit's face layer: detection (BlazeFace), image loading and FER-style alignment.
export * from './types.js';
export { blazeFaceAnchors, anchorsFor, FRONT_ANCHORS, BACK_ANCHORS, type AnchorSpec } from './anchors.js';
export { decodeBlazeFace, letterbox, sigmoid, SCORE_CLIP, type InputTransform, type DecodeOptions as BlazeFaceDecodeOptions } from './decode.js';
export { iou, nonMaxSuppression, DEFAULT_IOU_THRESHOLD, type Rect, type NmsOptions } from './nms.js';
export { fillInputTensor, type Region } from './preprocess.js';
export {
  createBlazeFace, planPasses, tileGrid, minFaceSize, DEFAULT_MIN_SCORE, DEFAULT_MAX_FACES, MIN_FACE_INPUT_PX, TILE_MIN_SIDE, TILE_OVERLAP,
  AUTO_FRONT_MIN_SIZE, AUTO_BACK_MAX_SIZE, AUTO_FRONT_MIN_SCORE,
  isBlazeFaceDetector, type BlazeFaceOptions, type BlazeFaceModel, type BlazeFaceDetector, type BlazeFaceDetectOptions, type DetectionPass,
} from './blazeface.js';
export { loadRgb, DEFAULT_MAX_PIXELS, type LoadRgbOptions } from './image.js';
export { alignFace, alignmentTransform, DEFAULT_ALIGN_SIZE, DEFAULT_ALIGN_MARGIN, DEFAULT_ALIGN_OFFSET_Y, type AlignOptions, type AlignTransform } from './align.js';
