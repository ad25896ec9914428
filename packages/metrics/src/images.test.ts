import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { decodePngImage, pngFolderBatches } from "./images.js";

describe("PNG decoding", () => {
  it("drops alpha, keeps gray as one channel, scales 16-bit", () => {
    const rgba = encode({ width: 2, height: 1, channels: 4, depth: 8, data: Uint8Array.of(10, 20, 30, 255, 40, 50, 60, 0) });
    expect(decodePngImage(rgba)).toMatchObject({ height: 1, width: 2, channels: 3 });
    expect(Array.from(decodePngImage(rgba).data)).toEqual([10, 20, 30, 40, 50, 60]);
    const ga = encode({ width: 2, height: 1, channels: 2, depth: 8, data: Uint8Array.of(7, 255, 9, 255) });
    expect(Array.from(decodePngImage(ga).data)).toEqual([7, 9]);
    const g16 = encode({ width: 2, height: 1, channels: 1, depth: 16, data: Uint16Array.of(0, 65535) });
    expect(Array.from(decodePngImage(g16).data)).toEqual([0, 255]);
  });

  it("refuses a non-PNG and a folder with mixed sizes, naming the file", async () => {
    expect(() => decodePngImage(Uint8Array.of(1, 2, 3), "x.png")).toThrow(/^x\.png: not a readable PNG/);
    const dir = mkdtempSync(join(tmpdir(), "png-"));
    mkdirSync(join(dir, "f"));
    writeFileSync(join(dir, "f", "a.png"), encode({ width: 2, height: 2, channels: 1, depth: 8, data: new Uint8Array(4) }));
    writeFileSync(join(dir, "f", "b.png"), encode({ width: 3, height: 2, channels: 1, depth: 8, data: new Uint8Array(6) }));
    const it = pngFolderBatches(join(dir, "f"), 8);
    await expect(it.next()).rejects.toThrow(/b\.png: image is 2x3x1, the folder's first image is 2x2x1/);
  });
});
