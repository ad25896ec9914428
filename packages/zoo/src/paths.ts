import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The package's root folder (src/ and dist/ both sit one level below it). */
export const ZOO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Absolute path of a file of this package, from its path relative to the package root (e.g. "models/dit-tiny.onnx"). */
export function zooPath(relative: string): string {
  return join(ZOO_ROOT, relative);
}
