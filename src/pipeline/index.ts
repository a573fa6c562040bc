export { createRecognizer, type Recognizer, type RecognizerOptions, type FaceResult, type ImageInput, type RawImage } from './recognizer.js';
export { createClassifier, type Classifier, type ClassifierBackend, type ClassifierOptions } from './classifier.js';
