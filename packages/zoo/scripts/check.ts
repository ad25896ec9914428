// Verifies the zoo: sha256 of every file, onnxruntime-node parity against the PyTorch fixtures (max abs
// difference <= 1e-4), and prints one JSON line per model with its recorded quality. Exits 1 on any failure.
//   pnpm zoo:check
import { checkParity, loadManifest, readFixture, verifyFile, zooPath, type ZooModelName } from "@adagen/zoo";

const PARITY_TOLERANCE = 1e-4;

async function main(): Promise<number> {
  const manifest = loadManifest();
  let failed = false;
  const datasetOk = manifest.dataset.files.every(verifyFile);
  if (!datasetOk) {
    console.error(`dataset: sha256 mismatch in ${manifest.dataset.files.filter((f) => !verifyFile(f)).map((f) => f.path).join(", ")}`);
    failed = true;
  }
  for (const [name, m] of Object.entries(manifest.models) as [ZooModelName, (typeof manifest.models)[ZooModelName]][]) {
    const files = [...m.files, ...m.fixtures, ...(m.stats ? [m.stats] : [])];
    const bad = files.filter((f) => !verifyFile(f)).map((f) => f.path);
    const shaOk = bad.length === 0;
    if (!shaOk) console.error(`${name}: sha256 mismatch in ${bad.join(", ")}`);
    const parity: Record<string, number> = {};
    for (const fx of m.fixtures) {
      const r = await checkParity(readFixture(zooPath(fx.path)));
      parity[r.file] = r.maxAbsDiff;
      if (!(r.maxAbsDiff <= PARITY_TOLERANCE)) {
        console.error(`${name}: ${r.file} differs from PyTorch by ${r.maxAbsDiff} (> ${PARITY_TOLERANCE})`);
        failed = true;
      }
    }
    if (!shaOk) failed = true;
    const parityMax = Math.max(...Object.values(parity));
    console.log(
      JSON.stringify({
        model: name,
        paradigm: m.paradigm,
        sha_ok: shaOk,
        parity_ok: parityMax <= PARITY_TOLERANCE,
        parity_max_abs: Number(parityMax.toExponential(2)),
        class_acc: m.class_acc,
        fid: m.fid,
        params: m.params,
        mflops: m.mflops,
      }),
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
