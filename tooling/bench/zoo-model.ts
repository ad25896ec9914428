/** A zoo model by name, opened through the packages the way a downstream project would (its card and adapter). */
import { loadModel, readModelCard, type AdaGenModel } from "@adagen/core";
import { diffusionAdapter } from "@adagen/diffusion";
import { flowAdapter } from "@adagen/flow";
import { ZOO_CARDS, cardPath, type ZooCardName } from "@adagen/zoo";

export function zooModel(name: string): AdaGenModel {
  if (!(ZOO_CARDS as readonly string[]).includes(name)) throw new Error(`unknown zoo model "${name}" (${ZOO_CARDS.join(", ")})`);
  const card = readModelCard(cardPath(name as ZooCardName));
  return loadModel(card, card.paradigm === "flow" ? flowAdapter : diffusionAdapter);
}
