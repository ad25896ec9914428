import { initTensorflow } from "../runtime/backend.js";

/** Tests run on the same backend the product picks here (wasm). */
export async function setupTensorflow(): Promise<void> {
  await initTensorflow();
}
