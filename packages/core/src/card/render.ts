/**
 * From a card's final sampler states to the images rewards, extractors and files read: `[B,H,W,C]` in [0,1]. A card
 * without a decoder renders its states directly (`statesToImages` with the card's pixel range); one with a decoder
 * first runs it (ONNX, latents `[B, ...stateShape]` → pixels `[B,C,H,W]`) in chunks. The state shape is the
 * generator's `sampleShape` unless the paradigm decodes something else (VAR: its accumulated latent).
 */
import type { Batch } from "../env.js";
import { statesToImages } from "../images/states-to-images.js";
import { OnnxModel } from "../runtime/onnx.js";
import type { ModelCard } from "./model-card.js";

/** Samples per decoder call. */
const DECODER_CHUNK = 64;

export interface CardRenderer {
  render(states: Batch): Batch | Promise<Batch>;
  dispose(): Promise<void>;
}

export async function openRenderer(card: ModelCard, stateShape: readonly number[] = card.generator.sampleShape): Promise<CardRenderer> {
  const range = card.image.range;
  if (!card.decoder) return { render: (states) => statesToImages(states, range), dispose: async () => {} };
  const [H, W, C] = card.image.shape;
  const { file, input, output } = card.decoder;
  const decoder = await OnnxModel.load(file, {
    inputs: { [input]: { dtype: "float32", shape: ["B", ...stateShape] } },
    outputs: { [output]: { dtype: "float32", shape: ["B", C, H, W] } },
  });
  const dim = stateShape.reduce((a, b) => a * b, 1);
  const pixels = C * H * W;
  return {
    async render(states) {
      const B = states.shape[0];
      const out = new Float32Array(B * pixels);
      for (let start = 0; start < B; start += DECODER_CHUNK) {
        const n = Math.min(DECODER_CHUNK, B - start);
        const res = await decoder.run({ [input]: { data: states.data.subarray(start * dim, (start + n) * dim), shape: [n, ...stateShape] } });
        out.set(res[output].data as Float32Array, start * pixels);
      }
      return statesToImages({ data: out, shape: [B, C, H, W] }, range);
    },
    dispose: () => decoder.dispose(),
  };
}
