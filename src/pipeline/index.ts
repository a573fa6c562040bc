export { createRecognizer, type Recognizer, type RecognizerOptions, type FaceResult, type ImageInput, type RawImage } from './recognizer.js';
export { createClassifier, type Classifier, type ClassifierBackend, type ClassifierOptions } from './classifier.js';
export { analyzeVideo } from './video.js';
export { probeVideo, decodeFrames } from './video-decode.js';
export { IouTracker } from './tracker.js';
export { ProbabilitySmoother } from './smoothing.js';
export { renderTimelineSvg, renderTimelineHtml, writeTimeline } from './timeline.js';
