// The README example: classify test images with fmnist-features, then sample one image per class from dit-tiny.
//   node --conditions=adagen-source --import tsx packages/zoo/scripts/example.ts
import * as ort from "onnxruntime-node";
import { imagesToFloat, loadFashionMnist, modelPath } from "@adagen/zoo";

const argmax = (a: Float32Array, row: number, n: number) => {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[row * n + j] > a[row * n + best]) best = j;
  return best;
};

// 1. Classify 8 test images with the feature extractor (input in [0,1]).
const test = loadFashionMnist("test");
const extractor = await ort.InferenceSession.create(modelPath("fmnist-features"));
const real = await extractor.run({ x: new ort.Tensor("float32", imagesToFloat(test.images, { count: 8 }), [8, 1, 28, 28]) });
console.log("labels   ", Array.from(test.labels.subarray(0, 8)));
console.log("predicted", Array.from({ length: 8 }, (_, i) => argmax(real.logits.data as Float32Array, i, 10)));

// 2. Sample one image per class from dit-tiny: 20 first-order DPM-Solver++ steps (DDIM) with guidance w = 1.
const logAlpha = (tau: number) => (-(20 - 0.1) * tau * tau) / 4 - (0.1 * tau) / 2; // VP linear, docs/method.md 5.3
const alpha = (tau: number) => Math.exp(logAlpha(tau));
const sigma = (tau: number) => Math.sqrt(-Math.expm1(2 * logAlpha(tau)));
const lambda = (tau: number) => Math.log(alpha(tau) / sigma(tau));
const dit = await ort.InferenceSession.create(modelPath("dit-tiny"));
const B = 10, D = 784, w = 1;
let x = Float32Array.from({ length: B * D }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
const y = BigInt64Array.from({ length: 2 * B }, (_, i) => BigInt(i < B ? i : 10)); // classes 0..9, then the null class
const taus = Array.from({ length: 21 }, (_, k) => 1 - (k * (1 - 0.001)) / 20);
for (let k = 0; k < 20; k++) {
  const [s, t] = [taus[k], taus[k + 1]];
  const xx = new Float32Array(2 * B * D);
  xx.set(x);
  xx.set(x, B * D);
  const out = await dit.run({
    x: new ort.Tensor("float32", xx, [2 * B, 1, 28, 28]),
    t: new ort.Tensor("float32", new Float32Array(2 * B).fill(1000 * s), [2 * B]),
    y: new ort.Tensor("int64", y, [2 * B]),
  });
  const eps = out.eps.data as Float32Array; // out.features: [2B, 49, 128]
  const h = lambda(t) - lambda(s);
  const next = new Float32Array(B * D);
  for (let i = 0; i < B * D; i++) {
    const e = eps[i] + w * (eps[i] - eps[B * D + i]);
    const x0 = (x[i] - sigma(s) * e) / alpha(s);
    next[i] = (sigma(t) / sigma(s)) * x[i] + alpha(t) * (1 - Math.exp(-h)) * x0;
  }
  x = next;
}
const images = x.map((v) => Math.min(1, Math.max(0, (v + 1) / 2)));
const fake = await extractor.run({ x: new ort.Tensor("float32", images, [B, 1, 28, 28]) });
console.log("sampled classes   ", Array.from({ length: B }, (_, i) => i));
console.log("classified as     ", Array.from({ length: B }, (_, i) => argmax(fake.logits.data as Float32Array, i, 10)));
