import { decodePngImage } from "@adagen/metrics";
import { describe, expect, it } from "vitest";
import { chartLayout, lineChart, stackVertically, textRaster, type LineChartOptions } from "./plot.js";
import { encodePng, type Raster } from "./png.js";

function rgbAt(r: Raster, x: number, y: number): number[] {
  const i = 3 * (Math.round(y) * r.width + Math.round(x));
  return Array.from(r.data.subarray(i, i + 3));
}

/** Dark pixels (all channels < 128) in rows [y0, y1). */
function darkPixels(r: Raster, y0: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = 0; x < r.width; x++) if (rgbAt(r, x, y).every((v) => v < 128)) n++;
  return n;
}

const RED: [number, number, number] = [200, 30, 30];
const base: LineChartOptions = {
  title: "Time points per sample",
  xLabel: "decision index",
  yLabel: "t",
  series: [{ values: [0.9, 0.6, 0.35, 0.1], color: RED }],
  yRange: [0, 1],
};

describe("lineChart", () => {
  it("is an RGB raster of the requested size (640×320 by default) on white", () => {
    const a = lineChart(base);
    expect([a.width, a.height, a.channels, a.data.length]).toEqual([640, 320, 3, 640 * 320 * 3]);
    const b = lineChart({ ...base, width: 301, height: 203 });
    expect([b.width, b.height]).toEqual([301, 203]);
    expect(rgbAt(a, a.width - 1, a.height - 1)).toEqual([255, 255, 255]);
    expect(rgbAt(a, a.width - 1, 0)).toEqual([255, 255, 255]);
    expect(rgbAt(a, 0, a.height - 1)).toEqual([255, 255, 255]);
  });

  it("draws the series colour at each data point's pixel", () => {
    const chart = lineChart(base);
    const L = chartLayout(base);
    base.series[0].values.forEach((v, i) => expect(rgbAt(chart, L.px(i), L.py(v))).toEqual(RED));
    // Points are evenly spaced inside the plot area; 0.9 is 90% of the way up.
    expect(L.px(0)).toBeGreaterThan(L.left);
    expect(L.px(3)).toBeLessThan(L.right);
    expect(L.px(2) - L.px(1)).toBeCloseTo(L.px(1) - L.px(0), 9);
    expect(L.py(0.9)).toBeCloseTo(L.bottom - 0.9 * (L.bottom - L.top), 9);
  });

  it("draws 64 thin per-sample curves with their points in full colour", () => {
    const series = Array.from({ length: 64 }, (_, s) => ({
      values: Array.from({ length: 5 }, (_, k) => 1 - k / 4 + 0.001 * s),
      color: [20, 80 + s, 200] as [number, number, number],
    }));
    const opts = { ...base, series };
    const chart = lineChart(opts);
    const L = chartLayout(opts);
    // Later series are drawn over earlier ones at (almost) the same place.
    expect(rgbAt(chart, L.px(2), L.py(series[63].values[2]))).toEqual([20, 80 + 63, 200]);
  });

  it("puts dark title text in the top band, above the plot area", () => {
    const titled = lineChart(base);
    const top = chartLayout(base).top;
    expect(darkPixels(titled, 0, top - 4)).toBeGreaterThan(50);
    expect(darkPixels(lineChart({ ...base, title: "" }), 0, top - 4)).toBe(0);
  });

  it("labels the y axis with tick numbers (different ranges give different labels)", () => {
    const L = chartLayout(base);
    const band = (r: Raster) => {
      const out: number[] = [];
      for (let y = L.top; y < L.bottom; y++) for (let x = 12; x < L.left - 5; x++) out.push(rgbAt(r, x, y)[0]);
      return out;
    };
    const a = band(lineChart(base));
    const b = band(lineChart({ ...base, yRange: [0.2, 0.8] }));
    expect(a.filter((v) => v < 128).length).toBeGreaterThan(20);
    expect(a).not.toEqual(b);
  });

  it("clips values outside yRange to the plot area", () => {
    const opts = { ...base, series: [{ values: [5, 5, 5], color: RED }] };
    const chart = lineChart(opts);
    const L = chartLayout(opts);
    let red = 0;
    for (let y = 0; y < L.top - 3; y++) for (let x = 0; x < chart.width; x++) if (rgbAt(chart, x, y).join() === RED.join()) red++;
    expect(red).toBe(0);
  });

  it("encodes to a PNG that decodes to the same pixels", () => {
    const chart = lineChart({ ...base, width: 211, height: 157 });
    const img = decodePngImage(encodePng(chart));
    expect([img.width, img.height, img.channels]).toEqual([211, 157, 3]);
    expect(Buffer.from(img.data).equals(Buffer.from(chart.data))).toBe(true);
  });
});

describe("textRaster", () => {
  it("draws glyphs from the 5×7 font: '1' has its stem in the middle column", () => {
    const r = textRaster("1");
    expect([r.width, r.height]).toEqual([5, 7]);
    for (let y = 0; y < 7; y++) expect(r.data[y * 5 + 2]).toBe(0);
    expect(r.data[0]).toBe(255);
  });

  it("advances 6 pixels per character and scales", () => {
    expect(textRaster("ab").width).toBe(11);
    const r = textRaster("ab", 2);
    expect([r.width, r.height]).toEqual([22, 14]);
  });

  it("renders characters outside the font as a box", () => {
    const r = textRaster("~");
    const at = (x: number, y: number) => r.data[y * 5 + x];
    for (let x = 0; x < 5; x++) expect([at(x, 0), at(x, 6)]).toEqual([0, 0]);
    for (let y = 0; y < 7; y++) expect([at(0, y), at(4, y)]).toEqual([0, 0]);
    expect(at(2, 3)).toBe(255);
    // A covered character is not a box.
    expect(textRaster("%").data).not.toEqual(r.data);
  });
});

describe("stackVertically", () => {
  it("stacks left-aligned with white gaps, converting to RGB when any input is", () => {
    const gray: Raster = { width: 2, height: 2, channels: 1, data: Uint8Array.from([10, 20, 30, 40]) };
    const rgb: Raster = { width: 3, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const r = stackVertically([gray, rgb], 3);
    expect([r.width, r.height, r.channels]).toEqual([3, 2 + 3 + 1, 3]);
    expect(rgbAt(r, 1, 1)).toEqual([40, 40, 40]);
    expect(rgbAt(r, 2, 0)).toEqual([255, 255, 255]); // right of the narrower image
    expect(rgbAt(r, 0, 3)).toEqual([255, 255, 255]); // the gap
    expect(rgbAt(r, 2, 5)).toEqual([7, 8, 9]);
  });

  it("stays grayscale when every input is", () => {
    const g: Raster = { width: 1, height: 1, channels: 1, data: Uint8Array.from([7]) };
    const r = stackVertically([g, g], 0);
    expect([r.width, r.height, r.channels, Array.from(r.data)]).toEqual([1, 2, 1, [7, 7]]);
  });
});
