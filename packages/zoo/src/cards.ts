import { zooPath } from "./paths.js";

/** The zoo's generators that have a model card (cards/NAME.json), the format `@adagen/core`'s `readModelCard` reads. */
export const ZOO_CARDS = ["dit-tiny", "sit-tiny", "maskgit-tiny", "var-tiny"] as const;
export type ZooCardName = (typeof ZOO_CARDS)[number];

/** Absolute path of a zoo model's card, e.g. `cardPath("dit-tiny")`. */
export function cardPath(name: ZooCardName): string {
  if (!(ZOO_CARDS as readonly string[]).includes(name)) throw new RangeError(`the zoo has no card for "${name}" (it has ${ZOO_CARDS.join(", ")})`);
  return zooPath(`cards/${name}.json`);
}
