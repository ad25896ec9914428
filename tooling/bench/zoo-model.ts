/** A zoo model by name, opened through the packages the way a downstream project would (its card and adapter). */
import { loadModel, readModelCard, type AdaGenModel } from "@adagen/core";
import { diffusionAdapter } from "@adagen/diffusion";
import { flowAdapter } from "@adagen/flow";
import { maskgitAdapter } from "@adagen/maskgit";
import { varAdapter } from "@adagen/var";
import { ZOO_CARDS, cardPath, type ZooCardName } from "@adagen/zoo";

export function zooModel(name: string): AdaGenModel {
  if (!(ZOO_CARDS as readonly string[]).includes(name)) throw new Error(`unknown zoo model "${name}" (${ZOO_CARDS.join(", ")})`);
  const card = readModelCard(cardPath(name as ZooCardName));
  const adapters = { diffusion: diffusionAdapter, flow: flowAdapter, maskgit: maskgitAdapter, var: varAdapter } as const;
  const adapter = adapters[card.paradigm as keyof typeof adapters];
  if (!adapter) throw new Error(`${name}: no adapter for paradigm "${card.paradigm}"`);
  return loadModel(card, adapter);
}
