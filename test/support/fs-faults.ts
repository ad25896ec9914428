/**
 * Preloaded into a spawned CLI by test/bad-inputs.test.ts (`node --import tsx --import ./test/support/fs-faults.ts`):
 * the write of an atomic temporary file (`.NAME.PID.TIME.tmp`, @adagen/metrics' writeFileAtomic) fails the way a
 * full disk fails, or is hit by Ctrl-C halfway, so the test can check that neither leaves a file behind.
 * ADAGEN_TEST_FS_FAULT picks the fault:
 *   enospc  half the bytes are written, then the write throws ENOSPC (what a full disk does)
 *   sigint  half the bytes are written, the process sends itself SIGINT, then the rest is written
 * Test-only: nothing in the product reads this variable.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const fault = process.env.ADAGEN_TEST_FS_FAULT;
const realWrite = fs.writeFileSync;

function faultyWrite(file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions): void {
  if (typeof file !== "string" || !file.endsWith(".tmp") || !(data instanceof Uint8Array)) return realWrite(file, data, options);
  realWrite(file, data.subarray(0, data.length >> 1), options);
  if (fault === "enospc") throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: "ENOSPC", errno: -28, syscall: "write" });
  if (fault === "sigint") process.kill(process.pid, "SIGINT");
  realWrite(file, data, options);
}

fs.writeFileSync = faultyWrite;
// ESM `import { writeFileSync } from "node:fs"` bindings follow the patched function only after this call.
syncBuiltinESMExports();
