// ./tfjs-extensions.ts for source runs under tsx (`node --conditions=adagen-source --import tsx`): tsx's
// CommonJS loader resolves the extensionless imports (and "./gradients" to gradients.js) and transforms the ESM.
import { createRequire } from "node:module";
// Types only: the chained methods' declarations (x.slice(), …) for the workspace programs that resolve
// @adagen/core to its sources, as tfjs-extensions.ts gives them to the package's own program.
import type {} from "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";

const require = createRequire(import.meta.url);
require("@tensorflow/tfjs-core/dist/register_all_gradients");
require("@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops");
