/** ferkit evaluation layer: metrics, calibration, prediction over datasets, reports and cross-validation. */
export * from './metrics.js';
export { fitTemperature, calibrateTemperature, nllAtTemperature, scoreAtTemperature, T_MIN, T_MAX, type TemperatureFit } from './calibration.js';
export { predictDataset, ensemblePredictor, defaultCropSize, TTAS, TTA_VIEWS, isTta, type Predictor, type PredictOptions, type Tta } from './predict.js';
export {
  renderConfusionSvg, renderReliabilitySvg, renderCurvesSvg, renderReportHtml, niceTicks, esc, PALETTE,
  type ConfusionSvgOptions, type CurveSeries, type CurvesOptions, type ReportMeta,
} from './report.js';
export { classKey, evaluateLogits, mapClasses, modelLabels, modelTemperature, ttaCalibrations, type CalibrationRecord } from './labels.js';
export { evaluateModel, evaluateEnsemble, graphInputSize, type EvaluateOptions } from './evaluate.js';
export { crossValidate, cvSplits, meanStd, type CvOptions, type CvResult, type CvTrainFn, type FoldResult, type MeanStd, type TrainedModel } from './cv.js';
export type { EvalResult } from './types.js';
