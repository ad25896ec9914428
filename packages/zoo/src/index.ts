export { ZOO_ROOT, zooPath } from "./paths.js";
export {
  loadFashionMnist,
  imagesToFloat,
  FASHION_MNIST_CLASSES,
  type FashionMnist,
  type FashionMnistSplit,
} from "./idx.js";
export {
  loadManifest,
  modelPath,
  sha256File,
  verifyFile,
  readFixture,
  loadReferenceStats,
  type Paradigm,
  type ZooModelName,
  type FileEntry,
  type TensorSpec,
  type GraphContract,
  type ZooModelEntry,
  type ZooManifest,
  type Fixture,
  type FixtureTensor,
  type ReferenceStats,
} from "./manifest.js";
export { checkParity, type ParityResult } from "./parity.js";
export { ZOO_CARDS, cardPath, type ZooCardName } from "./cards.js";
