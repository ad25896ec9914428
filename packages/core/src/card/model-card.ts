/**
 * The model card: a JSON file that describes an ONNX generator so AdaGen can sample it, train a policy for it and
 * score it, whatever its shapes (the zoo's models are described by the same cards, packages/zoo/cards/). Paths in
 * it are relative to the card's folder. Format (version 1):
 *
 *   format, version      "adagen-model-card", 1
 *   name, description    the model's name (policies and baselines are filed under it), one line about it
 *   paradigm             "diffusion" | "flow" (MaskGIT and VAR to come): which adapter runs it
 *   generator            file; inputs { state, time, label } and outputs { prediction, features } (tensor names,
 *                        default x, t, y, and the paradigm's prediction name and "features"); sampleShape (one
 *                        sample, channels first); featureShape [N, D] (the policy's input); timeScale (the time
 *                        input is timeScale·tau)
 *   decoder (optional)   file, input, output: latents [B, ...sampleShape] → pixels [B, C, H, W]
 *   image                shape [H, W, C] of a rendered image, range [lo, hi] of the pixels the generator (or the
 *                        decoder) outputs, mapped to [0, 1]
 *   classes              count (real classes), null (the unconditional label fed to the graph)
 *   sampler              the paradigm's section (heuristic schedule, solver, baseline schedules), read by its adapter
 *   data (optional)      train: real images for the discriminator, an npz (ADM layout: arr_0 uint8 [N,H,W,C],
 *                        arr_1 labels) or { images, labels } IDX files
 *   evaluation (opt.)    extractor (ONNX), featuresOutput, logitsOutput (class accuracy when it has `count` logits),
 *                        trainStats (policy selection, baseline search), testStats (compare): pytorch-fid npz
 *   discriminator (opt.) backbone: a pretrained ViT body (.adagen) for the projected discriminator
 *   fidelity (opt.)      model (ONNX image classifier: rendered images [B,H,W,C] in [0,1] → `count` logits), input,
 *                        output (default x, logits): the pretrained per-sample reward (its confidence in the
 *                        sample's class), `adagen train --reward pretrained`
 *   baselines (opt.)     a baselines file (`adagen baselines`) whose best schedules `--schedule best` uses
 *   policies (opt.)      a folder of shipped policies NAME-T.adagen (`--policy default`)
 */
import { readFileSync } from "node:fs";
import { CardFields, ModelCardError } from "./card-fields.js";

export const MODEL_CARD_FORMAT = "adagen-model-card";
export const MODEL_CARD_VERSION = 1;

export interface GeneratorSpec {
  file: string;
  inputs: { state: string; time: string; label: string };
  /** Output names; `prediction` undefined means the paradigm's default name. */
  outputs: { prediction?: string; features: string };
  sampleShape: number[];
  featureShape: [number, number];
  timeScale: number;
}

export interface DecoderSpec {
  file: string;
  input: string;
  output: string;
}

export interface ModelCard {
  /** The card's own file (absolute). */
  file: string;
  name: string;
  description: string;
  paradigm: string;
  generator: GeneratorSpec;
  decoder?: DecoderSpec;
  image: { shape: [number, number, number]; range: [number, number] };
  classes: { count: number; null: number };
  /** The paradigm's section, validated by its adapter (`CardFields` names its fields from the root). */
  sampler: CardFields;
  data?: { train?: string | { images: string; labels: string } };
  evaluation?: { extractor: string; featuresOutput: string; logitsOutput?: string; trainStats?: string; testStats?: string };
  discriminator?: { backbone: string };
  fidelity?: { model: string; input: string; output: string };
  baselines?: string;
  policies?: string;
}

/** Reads and validates a card file; every error names the file and the field. */
export function readModelCard(file: string): ModelCard {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ModelCardError(`${file}: ${e.code === "ENOENT" ? "no such model card" : `not a readable JSON model card (${e.message.split("\n")[0]})`}`);
  }
  return parseModelCard(raw, file);
}

/** Validates a parsed card; `file` is where it came from (named in errors, base of relative paths). */
export function parseModelCard(raw: unknown, file: string): ModelCard {
  const f = new CardFields(file, raw);
  if (!(typeof raw === "object" && raw !== null && !Array.isArray(raw))) throw new ModelCardError(`${file}: a model card is a JSON object`);
  f.oneOf("format", [MODEL_CARD_FORMAT]);
  if (f.get("version") !== MODEL_CARD_VERSION) f.fail("version", `must be ${MODEL_CARD_VERSION} (this adagen reads version ${MODEL_CARD_VERSION} cards)`, f.get("version"));
  const name = f.string("name");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) f.fail("name", "must be letters, digits, '.', '_' or '-' (it names files)", name);

  const g = f.section("generator")!;
  const featureShape = g.shape("featureShape", 2);
  const generator: GeneratorSpec = {
    file: g.path("file"),
    inputs: { state: g.string("inputs.state", "x"), time: g.string("inputs.time", "t"), label: g.string("inputs.label", "y") },
    outputs: { prediction: g.has("outputs.prediction") ? g.string("outputs.prediction") : undefined, features: g.string("outputs.features", "features") },
    sampleShape: g.shape("sampleShape"),
    featureShape: [featureShape[0], featureShape[1]],
    timeScale: g.number("timeScale", { above: 0 }, 1),
  };
  const d = f.section("decoder", true);
  const decoder = d && { file: d.path("file"), input: d.string("input", "z"), output: d.string("output", "image") };

  const shape = f.shape("image.shape", 3);
  if (!(shape[2] === 1 || shape[2] === 3)) f.fail("image.shape", "must be [H, W, C] with C = 1 or 3", shape);
  const range = f.numbers("image.range", {}, 2, [-1, 1]);
  if (!(range[0] < range[1])) f.fail("image.range", "must be [lo, hi] with lo < hi", range);
  if (!decoder) {
    const [C, H, W] = generator.sampleShape;
    if (!(generator.sampleShape.length === 3 && C === shape[2] && H === shape[0] && W === shape[1]))
      f.fail("image.shape", `must match generator.sampleShape [${generator.sampleShape.join(",")}] as [H, W, C] (no decoder)`, shape);
  }
  const count = f.number("classes.count", { integer: true, min: 1 });
  const nullClass = f.number("classes.null", { integer: true, min: 0 }, count);
  if (nullClass < count) f.fail("classes.null", `must not be a real class (0..${count - 1})`, nullClass);

  const data = f.section("data", true);
  let train: NonNullable<ModelCard["data"]>["train"];
  if (data?.has("train")) train = typeof data.get("train") === "string" ? data.path("train") : { images: data.path("train.images"), labels: data.path("train.labels") };
  const e = f.section("evaluation", true);
  const evaluation = e && {
    extractor: e.path("extractor"),
    featuresOutput: e.string("featuresOutput", "features"),
    logitsOutput: e.has("logitsOutput") ? e.string("logitsOutput") : undefined,
    trainStats: e.has("trainStats") ? e.path("trainStats") : undefined,
    testStats: e.has("testStats") ? e.path("testStats") : undefined,
  };
  const disc = f.section("discriminator", true);
  const fid = f.section("fidelity", true);
  return {
    file,
    name,
    description: f.string("description", name),
    paradigm: f.string("paradigm"),
    generator,
    decoder,
    image: { shape: [shape[0], shape[1], shape[2]], range: [range[0], range[1]] },
    classes: { count, null: nullClass },
    sampler: f.section("sampler")!,
    data: train === undefined ? undefined : { train },
    evaluation,
    discriminator: disc && { backbone: disc.path("backbone") },
    fidelity: fid && { model: fid.path("model"), input: fid.string("input", "x"), output: fid.string("output", "logits") },
    baselines: f.has("baselines") ? f.path("baselines") : undefined,
    policies: f.has("policies") ? f.path("policies") : undefined,
  };
}
