import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  // tfjs-core's gradient and chained-op registration (src/runtime/tfjs-extensions.ts) is ESM with extensionless
  // imports that Node cannot load from node_modules, so it is bundled; tfjs-core itself stays external.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
