/**
 * Real images for the discriminator from a card's `data.train`: an npz in the ADM layout (arr_0 uint8 [N,H,W,C] or
 * [N,H,W], arr_1 integer labels) or a pair of IDX files (the zoo's Fashion-MNIST). They must have the card's image
 * shape and labels in 0..classes − 1; anything else is an input error naming the file.
 */
import { readIdx, readNpz } from "@adagen/metrics";
import type { ModelCard } from "../card/model-card.js";
import { ImageRealData } from "../images/image-real-data.js";
import { InputError } from "./input-error.js";

export function loadRealImages(card: ModelCard): ImageRealData {
  const train = card.data?.train;
  if (train === undefined) throw new InputError(`${card.file}: training needs real images ("data.train": an npz file or { images, labels } IDX files)`);
  const [H, W, C] = card.image.shape;
  let images: Uint8Array;
  let labels: ArrayLike<number>;
  let shape: number[];
  const source = typeof train === "string" ? train : train.images;
  try {
    if (typeof train === "string") {
      const arrays = readNpz(train);
      const x = arrays.get("arr_0");
      const y = arrays.get("arr_1");
      if (!x || !y) throw new Error(`needs arr_0 (uint8 images) and arr_1 (labels), has ${[...arrays.keys()].join(", ")}`);
      if (x.dtype !== "uint8") throw new Error(`arr_0 must be uint8 images, got ${x.dtype}`);
      images = x.data as Uint8Array;
      shape = x.shape;
      labels = Array.from(y.data as ArrayLike<number | bigint>, Number);
    } else {
      const x = readIdx(train.images);
      const y = readIdx(train.labels);
      images = x.data;
      shape = x.shape;
      labels = y.data;
    }
  } catch (err) {
    throw new InputError(`${source}: not readable real images (${(err as Error).message.split("\n")[0]})`);
  }
  const imageShape = shape.length === 3 ? [...shape, 1] : shape;
  if (!(imageShape.length === 4 && imageShape[1] === H && imageShape[2] === W && imageShape[3] === C))
    throw new InputError(`${source}: images of shape [${shape.join(",")}] do not match the card's image shape [N,${H},${W},${C}]`);
  if (labels.length !== imageShape[0]) throw new InputError(`${source}: ${labels.length} labels for ${imageShape[0]} images`);
  for (let i = 0; i < labels.length; i++)
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < card.classes.count))
      throw new InputError(`${source}: label ${labels[i]} (image ${i}) is outside 0..${card.classes.count - 1}`);
  return new ImageRealData({ images, labels }, [H, W, C]);
}
