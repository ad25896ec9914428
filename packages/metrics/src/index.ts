export { MetricsInputError } from "./errors.js";
export {
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyHeader,
  parseNpy,
  parseNpyHeader,
  serializeNpy,
  toFloat64,
  numel,
} from "./npy.js";
export {
  readNpz,
  writeNpz,
  serializeNpz,
  writeFileAtomic,
  NpzReader,
  type NpzMemberInfo,
  type RowBatch,
} from "./npz.js";
export {
  type FeatureStatistics,
  type FeatureBatch,
  type FeatureRows,
  StatisticsAccumulator,
  featureStatistics,
  checkFinite,
} from "./stats.js";
export { readStatistics, writeStatistics, statisticsFromArrays } from "./stats-file.js";
export { frechetDistance, traceSqrtProduct, type FrechetOptions, type FrechetResult } from "./fid.js";
export { kernelInceptionDistance, mmd2Unbiased, type KidOptions, type KidResult } from "./kid.js";
export { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from "./inception-score.js";
export { averageRanks, rocAuc, spearman } from "./rank.js";
export { precisionRecall, type PrecisionRecallOptions, type PrecisionRecallResult } from "./precision-recall.js";
export { NumpyRandomState } from "./numpy-random.js";
export {
  type ImageBatch,
  decodePngImage,
  listPngFiles,
  pngFolderBatches,
  countPngFiles,
  npzImageBatches,
  sampleBatchShape,
  imagesToNpy,
  isDirectory,
} from "./images.js";
export {
  FeatureExtractor,
  readExtractorSpec,
  type ExtractorSpec,
  type ExtractedBatch,
  type ExtractProgress,
} from "./extractor.js";
export {
  pivotedCholesky,
  symmetricEigenvalues,
  symmetricEigen,
  tridiagonalize,
  tridiagonalQL,
  gemmAcc,
  type GemmOptions,
  type PivotedCholesky,
  type SymmetricEigen,
} from "./linalg.js";
export { decodeIdx, readIdx, type IdxArray } from "./idx.js";
export { ProgressBar, formatDuration } from "./progress.js";
