import * as tf from "@tensorflow/tfjs-core";
// Registers tfjs-core's gradient functions and chained tensor methods (see ./tfjs-extensions.ts); after the
// tfjs-core import, so that this tfjs-core creates the engine.
import "#tfjs-extensions";
import { installFastWasmBatchMatMul } from "./wasm-matmul.js";

/**
 * Picks the fastest TensorFlow.js backend that loads here: tfjs-node-gpu, tfjs-node, wasm, then the pure-JS cpu
 * backend. `ADAGEN_TF_BACKEND` (or the `backend` option) forces one: "tensorflow" (tfjs-node / -gpu), "wasm", "cpu".
 */
export type TfBackendName = "tensorflow" | "wasm" | "cpu";

export const BACKEND_ENV_VAR = "ADAGEN_TF_BACKEND";

let ready: Promise<TfBackendName> | undefined;

export function initTensorflow(options: { backend?: TfBackendName } = {}): Promise<TfBackendName> {
  const forced = options.backend ?? (process.env[BACKEND_ENV_VAR] as TfBackendName | undefined) ?? undefined;
  if (forced !== undefined && !["tensorflow", "wasm", "cpu"].includes(forced))
    throw new RangeError(`${BACKEND_ENV_VAR} must be one of tensorflow, wasm, cpu; got "${forced}"`);
  if (ready && (forced === undefined || tf.getBackend() === forced)) return ready;
  const attempt = pick(forced);
  ready = attempt;
  attempt.catch(() => {
    if (ready === attempt) ready = undefined; // a failed pick is not cached
  });
  return attempt;
}

async function pick(forced: TfBackendName | undefined): Promise<TfBackendName> {
  const order: TfBackendName[] = forced ? [forced] : ["tensorflow", "wasm", "cpu"];
  for (const name of order) {
    if (await tryBackend(name)) return name;
  }
  // The backends are optional peer dependencies: the application installs the one it wants.
  throw new Error(
    `no TensorFlow.js backend could be started (tried ${order.join(", ")}); install one of ` +
      `@tensorflow/tfjs-backend-wasm, @tensorflow/tfjs-backend-cpu, @tensorflow/tfjs-node, @tensorflow/tfjs-node-gpu`,
  );
}

async function tryBackend(name: TfBackendName): Promise<boolean> {
  try {
    if (name === "tensorflow") {
      // Optional native bindings; not installable on every machine, so loaded by a name the bundler leaves alone.
      const loaded = (await importOptional("@tensorflow/tfjs-node-gpu")) || (await importOptional("@tensorflow/tfjs-node"));
      if (!loaded) return false;
    } else if (name === "wasm") {
      await import("@tensorflow/tfjs-backend-wasm");
    } else {
      await import("@tensorflow/tfjs-backend-cpu");
    }
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    if (name === "wasm") installFastWasmBatchMatMul();
    return true;
  } catch {
    return false;
  }
}

async function importOptional(specifier: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}
