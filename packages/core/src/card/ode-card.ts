/**
 * What the guided-ODE adapters (diffusion, flow) share when they open a card: the generator as an `OnnxOdeModel`
 * with the card's tensor names, classes and time scale, the renderer, and releasing both if anything fails.
 */
import type { RenderTransform } from "../ode/guided-ode-env.js";
import { OnnxOdeModel } from "../ode/onnx-ode-model.js";
import type { OpenedGenerator } from "./adapter.js";
import type { ModelCard } from "./model-card.js";
import { openRenderer, type CardRenderer } from "./render.js";

/**
 * Opens the card's generator (its prediction output named by the card, else `defaultPrediction`) and renderer, and
 * hands them to `build`; the returned generator's `dispose` releases both, and so does a failure of `build`.
 */
export async function openOdeCard(
  card: ModelCard,
  defaultPrediction: string,
  build: (model: OnnxOdeModel, render: RenderTransform) => Omit<OpenedGenerator, "dispose">,
): Promise<OpenedGenerator> {
  const g = card.generator;
  const model = await OnnxOdeModel.load(g.file, {
    output: g.outputs.prediction ?? defaultPrediction,
    featuresOutput: g.outputs.features,
    inputNames: g.inputs,
    sampleShape: g.sampleShape,
    featureShape: g.featureShape,
    numClasses: card.classes.count,
    nullClass: card.classes.null,
    timeScale: g.timeScale,
  });
  let renderer: CardRenderer | undefined;
  try {
    renderer = await openRenderer(card);
    const release = renderer.dispose;
    return {
      ...build(model, renderer.render),
      async dispose() {
        await release();
        await model.dispose();
      },
    };
  } catch (err) {
    await renderer?.dispose();
    await model.dispose();
    throw err;
  }
}
