// tfjs-core's own gradient functions, and the chained tensor methods (x.reshape(), …) that some of them call
// (Prod's gradient does). tfjs-core ships both only as ESM files with extensionless imports, which Node cannot
// load: the build (tsup) bundles them into dist (noExternal in tsup.config.ts), vitest transforms them itself,
// and `--conditions=adagen-source` runs under tsx take ./tfjs-extensions.source.ts instead (package.json
// "imports"). The bundled copy of tfjs-core internals talks to the one tfjs-core engine, kernel and gradient
// registries (tfjs keeps them in a global), as the @tensorflow/tfjs umbrella package does.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
