/**
 * A tiny line-chart rasteriser for reports (no plotting dependency): RGB rasters with a title, axes, y ticks with
 * numbers, x ticks and series drawn as polylines with dots at their points. Text uses the built-in 5×7 font below.
 */
import { blit, toRgb, type Raster } from "./png.js";

export type Rgb = [number, number, number];

export interface Series {
  /** y values at x = 0, 1, 2, … (NaN leaves a gap). */
  values: number[];
  color: Rgb;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Output size in pixels (default 640 × 320). */
  width?: number;
  height?: number;
  /** Fixed y axis; otherwise the data's range. Values outside it are clipped at the plot area. */
  yRange?: [number, number];
  /** Labels of x = 0, 1, …; otherwise the indices. Labels that would overlap are thinned out. */
  xTicks?: string[];
}

const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [232, 232, 232];
const TEXT: Rgb = [30, 30, 30];
/** Above this many series, lines are 1 px and half transparent so overlapping per-sample curves stay readable. */
const MANY_SERIES = 8;
const X_INSET = 6;

// 5×7 glyphs: 7 rows top to bottom, two hex digits each, bit 4 = leftmost pixel (HD44780-style shapes).
const GLYPHS: Record<string, string> = {
  "0": "0e11131519110e", "1": "040c040404040e", "2": "0e11010204081f", "3": "1f02040201110e",
  "4": "02060a121f0202", "5": "1f101e0101110e", "6": "0608101e11110e", "7": "1f010204080808",
  "8": "0e11110e11110e", "9": "0e11110f01020c",
  A: "0e1111111f1111", B: "1e11111e11111e", C: "0e11101010110e", D: "1c12111111121c",
  E: "1f10101e10101f", F: "1f10101e101010", G: "0e11101711110f", H: "1111111f111111",
  I: "0e04040404040e", J: "0702020202120c", K: "11121418141211", L: "1010101010101f",
  M: "111b1515111111", N: "11111915131111", O: "0e11111111110e", P: "1e11111e101010",
  Q: "0e11111115120d", R: "1e11111e141211", S: "0f10100e01011e", T: "1f040404040404",
  U: "1111111111110e", V: "11111111110a04", W: "1111111515150a", X: "11110a040a1111",
  Y: "1111110a040404", Z: "1f01020408101f",
  a: "00000e010f110f", b: "1010161911111e", c: "00000e1010110e", d: "01010d1311110f",
  e: "00000e111f100e", f: "0609081c080808", g: "000f11110f010e", h: "10101619111111",
  i: "04000c0404040e", j: "0200060202120c", k: "10101214181412", l: "0c04040404040e",
  m: "00001a15151111", n: "00001619111111", o: "00000e1111110e", p: "00001e111e1010",
  q: "00000d130f0101", r: "00001619101010", s: "00000e100e011e", t: "08081c08080906",
  u: "0000111111130d", v: "00001111110a04", w: "0000111115150a", x: "0000110a040a11",
  y: "000011110f010e", z: "00001f0204081f",
  " ": "00000000000000", ".": "00000000000c0c", ",": "000000000c0408", "-": "0000001f000000",
  "=": "00001f001f0000", "(": "02040808080402", ")": "08040202020408", "/": "00010204081000",
  ":": "000c0c000c0c00", "%": "18190204081303", "+": "0004041f040400",
};
/** Drawn for characters the font lacks. */
const BOX = "1f11111111111f";
const GLYPH_W = 5;
const GLYPH_H = 7;
/** Horizontal advance per character: the glyph plus one blank column. */
const ADVANCE = GLYPH_W + 1;

function glyphRows(ch: string): number[] {
  const hex = GLYPHS[ch] ?? BOX;
  return Array.from({ length: GLYPH_H }, (_, r) => parseInt(hex.slice(2 * r, 2 * r + 2), 16));
}

/** Width in pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * ADVANCE - 1) * scale;
}

/** `text` in black on white, grayscale, `7·scale` pixels tall. */
export function textRaster(text: string, scale = 1): Raster {
  const c = new Canvas(Math.max(1, textWidth(text, scale)), GLYPH_H * scale);
  c.text(text, 0, 0, BLACK, scale);
  const data = new Uint8Array(c.width * c.height);
  for (let p = 0; p < data.length; p++) data[p] = c.data[3 * p];
  return { width: c.width, height: c.height, channels: 1, data };
}

/** An RGB drawing surface on white, with an optional clip rectangle for data drawing. */
class Canvas {
  readonly data: Uint8Array;
  clip = { x0: 0, y0: 0, x1: Infinity, y1: Infinity };

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3).fill(255);
  }

  /** Paints one pixel, blended over what is there when alpha < 1; outside the canvas or clip it does nothing. */
  set(x: number, y: number, color: Rgb, alpha = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    const { x0, y0, x1, y1 } = this.clip;
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || x < x0 || y < y0 || x > x1 || y > y1) return;
    const i = 3 * (y * this.width + x);
    for (let k = 0; k < 3; k++) this.data[i + k] = Math.round(alpha * color[k] + (1 - alpha) * this.data[i + k]);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.set(xx, yy, color);
  }

  /** Bresenham line; `thick` stamps 2×2 so few-series charts read well. */
  line(xa: number, ya: number, xb: number, yb: number, color: Rgb, alpha = 1, thick = false): void {
    let x = Math.round(xa);
    let y = Math.round(ya);
    const x2 = Math.round(xb);
    const y2 = Math.round(yb);
    const dx = Math.abs(x2 - x);
    const dy = -Math.abs(y2 - y);
    const sx = x < x2 ? 1 : -1;
    const sy = y < y2 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      if (thick) this.fillRect(x, y, 2, 2, color);
      else this.set(x, y, color, alpha);
      if (x === x2 && y === y2) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  dot(cx: number, cy: number, radius: number, color: Rgb): void {
    const x = Math.round(cx);
    const y = Math.round(cy);
    for (let dy = -radius; dy <= radius; dy++)
      for (let dx = -radius; dx <= radius; dx++) if (dx * dx + dy * dy <= radius * radius + radius) this.set(x + dx, y + dy, color);
  }

  /** Text with its top-left corner at (x, y); `vertical` turns it 90° counter-clockwise, reading bottom to top from (x, y). */
  text(text: string, x: number, y: number, color: Rgb, scale = 1, vertical = false): void {
    for (let i = 0; i < text.length; i++) {
      const rows = glyphRows(text[i]);
      for (let r = 0; r < GLYPH_H; r++)
        for (let c = 0; c < GLYPH_W; c++) {
          if (!((rows[r] >> (GLYPH_W - 1 - c)) & 1)) continue;
          const u = (i * ADVANCE + c) * scale; // along the text
          const v = r * scale; // across it, top of the glyph first
          for (let a = 0; a < scale; a++)
            for (let b = 0; b < scale; b++)
              if (vertical) this.set(x + v + b, y - u - a, color);
              else this.set(x + u + a, y + v + b, color);
        }
    }
  }

  toRaster(): Raster {
    return { width: this.width, height: this.height, channels: 3, data: this.data };
  }
}

/** Round ticks (step 1, 2 or 5 × 10^k) inside [lo, hi]: the largest such step giving at least `target` ticks. */
function niceTicks(lo: number, hi: number, target = 5): { values: number[]; decimals: number } {
  const raw = (hi - lo) / Math.max(1, target - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [5, 2, 1].map((m) => m * mag).find((s) => s <= raw * (1 + 1e-9)) ?? mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) values.push(v);
  return { values, decimals };
}

function formatTick(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return Number(s) === 0 ? (0).toFixed(decimals) : s; // no "-0.0"
}

function dataRange(series: Series[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}

/**
 * The plot area of a chart: where data coordinates land. Exposed so tests (and annotations) can find a point.
 * `x` is the index into a series' values; `points` is the longest series' length.
 */
export function chartLayout(opts: LineChartOptions): {
  left: number;
  top: number;
  right: number;
  bottom: number;
  yRange: [number, number];
  points: number;
  px(i: number): number;
  py(v: number): number;
} {
  const width = opts.width ?? 640;
  const height = opts.height ?? 320;
  const yRange = opts.yRange ?? dataRange(opts.series);
  if (!(yRange[1] > yRange[0])) throw new RangeError(`yRange must be [lo, hi] with hi > lo, got [${yRange.join(", ")}]`);
  const { values, decimals } = niceTicks(yRange[0], yRange[1]);
  const tickChars = Math.max(...values.map((v) => formatTick(v, decimals).length), 1);
  const titleScale = titleScaleFor(opts.title, width);
  const left = 4 + GLYPH_H + 6 + textWidth("0".repeat(tickChars)) + 8;
  const top = 6 + GLYPH_H * titleScale + 10;
  const right = width - 12;
  const bottom = height - (6 + GLYPH_H + 6 + GLYPH_H + 6);
  if (right - left < 10 || bottom - top < 10) throw new RangeError(`chart ${width}×${height} is too small for its labels`);
  const points = Math.max(1, ...opts.series.map((s) => s.values.length));
  // Points start and end X_INSET inside the axes so dots at the ends stay whole and off the y axis.
  const px = (i: number) =>
    points === 1 ? (left + right) / 2 : left + X_INSET + (i / (points - 1)) * (right - left - 2 * X_INSET);
  const py = (v: number) => bottom - ((v - yRange[0]) / (yRange[1] - yRange[0])) * (bottom - top);
  return { left, top, right, bottom, yRange, points, px, py };
}

function titleScaleFor(title: string, width: number): number {
  return textWidth(title, 2) <= width - 16 ? 2 : 1;
}

/** A line chart as an RGB raster: white background, title on top, y label turned on the left, x label below. */
export function lineChart(opts: LineChartOptions): Raster {
  const width = opts.width ?? 640;
  const height = opts.height ?? 320;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`chart size must be positive integers, got ${width}×${height}`);
  const L = chartLayout(opts);
  const c = new Canvas(width, height);
  const titleScale = titleScaleFor(opts.title, width);
  c.text(opts.title, Math.max(4, Math.round((width - textWidth(opts.title, titleScale)) / 2)), 6, TEXT, titleScale);

  // y ticks: grid lines, tick marks, numbers right-aligned against the axis.
  const { values, decimals } = niceTicks(L.yRange[0], L.yRange[1]);
  for (const v of values) {
    const y = Math.round(L.py(v));
    c.line(L.left, y, L.right, y, GRID);
    c.line(L.left - 4, y, L.left - 1, y, BLACK);
    const label = formatTick(v, decimals);
    c.text(label, L.left - 6 - textWidth(label), y - 3, TEXT);
  }
  // x ticks: every index, labelled where the labels do not collide.
  const labels = Array.from({ length: L.points }, (_, i) => opts.xTicks?.[i] ?? String(i));
  const widest = Math.max(...labels.map((s) => textWidth(s)));
  const spacing = L.points > 1 ? (L.right - L.left) / (L.points - 1) : Infinity;
  const every = Math.max(1, Math.ceil((widest + 6) / spacing));
  for (let i = 0; i < L.points; i++) {
    const x = Math.round(L.px(i));
    c.line(x, L.bottom + 1, x, L.bottom + 3, BLACK);
    if (i % every === 0) c.text(labels[i], x - Math.floor(textWidth(labels[i]) / 2), L.bottom + 6, TEXT);
  }
  c.text(opts.xLabel, Math.round((L.left + L.right - textWidth(opts.xLabel)) / 2), height - 6 - GLYPH_H, TEXT);
  c.text(opts.yLabel, 4, Math.round((L.top + L.bottom + textWidth(opts.yLabel)) / 2), TEXT, 1, true);

  c.line(L.left, L.top, L.left, L.bottom, BLACK);
  c.line(L.left, L.bottom, L.right, L.bottom, BLACK);

  // Series over the axes, clipped to the plot area (with a few pixels of slack so dots on yRange's ends stay whole).
  const many = opts.series.length > MANY_SERIES;
  c.clip = { x0: L.left, y0: L.top - 3, x1: L.right, y1: L.bottom + 3 };
  for (const s of opts.series) {
    for (let i = 1; i < s.values.length; i++) {
      const a = s.values[i - 1];
      const b = s.values[i];
      if (Number.isFinite(a) && Number.isFinite(b)) c.line(L.px(i - 1), L.py(a), L.px(i), L.py(b), s.color, many ? 0.45 : 1, !many);
    }
  }
  // Dots after every line, so no later line covers an earlier series' points.
  for (const s of opts.series)
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) c.dot(L.px(i), L.py(v), many ? 1 : 3, s.color);
    });
  return c.toRaster();
}

/** Rasters one under another, left-aligned, with white `gap` rows between; RGB if any input is. */
export function stackVertically(rasters: Raster[], gap = 8): Raster {
  if (rasters.length === 0) throw new RangeError("stackVertically needs at least one raster");
  if (!(Number.isInteger(gap) && gap >= 0)) throw new RangeError(`stackVertically needs gap ≥ 0, got ${gap}`);
  const channels: 1 | 3 = rasters.some((r) => r.channels === 3) ? 3 : 1;
  const parts = channels === 3 ? rasters.map(toRgb) : rasters;
  const width = Math.max(...parts.map((r) => r.width));
  const height = parts.reduce((h, r) => h + r.height, 0) + gap * (parts.length - 1);
  const data = new Uint8Array(width * height * channels).fill(255);
  let y = 0;
  for (const r of parts) {
    blit(data, width, channels, r, 0, y);
    y += r.height + gap;
  }
  return { width, height, channels, data };
}

