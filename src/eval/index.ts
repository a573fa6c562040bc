/** ferkit evaluation layer: metrics, calibration, prediction over datasets, reports and cross-validation. */
export * from './metrics.js';
export { fitTemperature, calibrateTemperature, nllAtTemperature, scoreAtTemperature, T_MIN, T_MAX, type TemperatureFit } from './calibration.js';
export { predictDataset, ensemblePredictor, averageProbabilities, defaultCropSize, type Predictor, type PredictOptions } from './predict.js';
// the TTA table lives in data (face views use it too); kept in eval's API, where `predictDataset` takes it
export { TTAS, TTA_VIEWS, isTta, type Tta } from '../data/tta.js';
export {
  renderConfusionSvg, renderReliabilitySvg, renderCurvesSvg, renderReportHtml, niceTicks, esc, PALETTE,
  type ConfusionSvgOptions, type CurveSeries, type CurvesOptions, type ReportMeta,
} from './report.js';
export { classKey, evaluateLogits, mapClasses, modelLabels, modelTemperature, ttaCalibrations, type CalibrationRecord } from './labels.js';
export { evaluateModel, evaluateEnsemble, graphInputSize, type EvaluateOptions } from './evaluate.js';
export { crossValidate, cvSplits, meanStd, type CvOptions, type CvResult, type CvTrainFn, type FoldResult, type MeanStd, type TrainedModel, type EnsembleMember } from './cv.js';
export { wilsonInterval, Z95 } from './interval.js';
export { comparePaired, mcnemarExact, type PairedComparison } from './paired.js';
export type { EvalResult } from './types.js';
