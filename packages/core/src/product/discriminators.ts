/**
 * The discriminators a training run chooses from, sized by the card's images and classes:
 * - "projected" (the default when the card names `discriminator.backbone`): `ProjectedDiscriminator`, trainable heads
 *   on that frozen pretrained ViT body (the zoo's: models/fmnist-vit.adagen), the paper's design (docs/method.md §9.1);
 * - "vit" (the default otherwise): `ViTDiscriminator` (patch 4, or the largest side divisor ≤ 8, width 64, depth 2,
 *   4 heads) trained from scratch.
 */
import { existsSync } from "node:fs";
import type { ModelCard } from "../card/model-card.js";
import type { Discriminator } from "../rewards/discriminator.js";
import { ProjectedDiscriminator } from "../rewards/projected-discriminator.js";
import { ViTDiscriminator } from "../rewards/vit-discriminator.js";
import { InputError } from "./input-error.js";

export const DISCRIMINATORS = ["projected", "vit"] as const;
export type DiscriminatorName = (typeof DISCRIMINATORS)[number];

/** What a run records of its discriminator (run.json), enough to rebuild it. */
export type DiscriminatorChoice =
  | { kind: "projected"; backbone: string; numClasses: number; hidden: number; cmapDim: number; minibatchGroup?: number }
  | { kind: "vit"; height: number; width: number; channels: number; numClasses: number; patch: number; dim: number; depth: number; heads: number };

/** The patch side of the from-scratch ViT: 4 when it divides both sides, else the largest common divisor ≤ 8. */
function vitPatch(height: number, width: number): number {
  if (height % 4 === 0 && width % 4 === 0) return 4;
  for (let p = 8; p > 1; p--) if (height % p === 0 && width % p === 0) return p;
  return 1;
}

/**
 * The discriminator `name` for a card (no name: projected when the card has a backbone, vit otherwise).
 * `minibatchGroup` > 0 gives the projected discriminator its minibatch-deviation term (ProjectedHeadConfig).
 */
export function discriminatorFor(card: ModelCard, name?: string, minibatchGroup = 0): DiscriminatorChoice {
  const kind = name ?? (card.discriminator ? "projected" : "vit");
  if (!(Number.isInteger(minibatchGroup) && minibatchGroup >= 0 && minibatchGroup <= 1024))
    throw new InputError(`discriminator minibatch group must be an integer in 0..1024, got ${minibatchGroup}`);
  if (minibatchGroup > 0 && kind !== "projected")
    throw new InputError(`a discriminator minibatch group needs the projected discriminator, not "${kind}"`);
  if (kind === "projected") {
    if (!card.discriminator) throw new InputError(`discriminator "projected" needs a backbone: ${card.file} has no "discriminator.backbone"`);
    const choice = { kind, backbone: card.discriminator.backbone, numClasses: card.classes.count, hidden: 64, cmapDim: 32 } as const;
    // Recorded only when on, so run.json of a plain run stays as before.
    return minibatchGroup > 0 ? { ...choice, minibatchGroup } : choice;
  }
  if (kind === "vit") {
    const [height, width, channels] = card.image.shape;
    return { kind, height, width, channels, numClasses: card.classes.count, patch: vitPatch(height, width), dim: 64, depth: 2, heads: 4 };
  }
  throw new InputError(`discriminator "${kind}" is not one of ${DISCRIMINATORS.join(", ")}`);
}

/**
 * Builds the recorded discriminator. `resolve` maps a relative backbone path (runs recorded before model cards named
 * the zoo's backbone relative to the zoo package) to a file.
 */
export async function makeDiscriminator(choice: DiscriminatorChoice, seed: number, resolve: (path: string) => string = (p) => p): Promise<Discriminator> {
  if (choice.kind === "vit") {
    const { kind: _kind, ...config } = choice;
    return new ViTDiscriminator({ ...config, seed });
  }
  const file = resolve(choice.backbone);
  if (!existsSync(file)) throw new InputError(`${file}: the discriminator's backbone is missing`);
  const { numClasses, hidden, cmapDim, minibatchGroup = 0 } = choice;
  return ProjectedDiscriminator.load(file, { numClasses, hidden, cmapDim, minibatchGroup, seed });
}
