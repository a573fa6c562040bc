export { createRecognizer, type Recognizer, type RecognizerOptions, type FaceResult, type ImageInput, type RawImage } from './recognizer.js';
export { createClassifier, CLASSIFIER_BACKENDS, CLASSIFIER_TTAS, type Classifier, type ClassifierBackend, type ClassifierOptions, type ClassifierTta } from './classifier.js';
export { analyzeVideo, DEFAULT_FULL_DETECT_SECONDS, type AnalyzeVideoOptions, type VideoAnalysis } from './video.js';
export { AdaptiveDetectionPolicy, fullDetectFrames, type AdaptiveDetectionOptions, type DetectionMode } from './adaptive-detection.js';
export { probeVideo, decodeFrames } from './video-decode.js';
export { IouTracker } from './tracker.js';
export { ProbabilitySmoother } from './smoothing.js';
export { renderTimelineSvg, renderTimelineHtml, writeTimeline } from './timeline.js';
