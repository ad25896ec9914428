/**
 * Progress on stderr for long work (feature extraction, sampling, training). On a terminal one line is redrawn in
 * place, with the rate and time left; otherwise (logs, pipes, tests) `line` output is printed as whole lines and
 * `update` stays silent, so logs stay readable.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private readonly tty: boolean;
  private last = 0;
  private current = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly enabled: boolean,
  ) {
    this.tty = Boolean(process.stderr.isTTY);
  }

  /** Redraws the bar (terminal only) at `done` of `total`, with `extra` after the counts (default: rate and ETA). */
  update(done: number, extra?: string): void {
    this.current = done;
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    process.stderr.write(`\r${this.render(done, extra ?? this.rate(done, now))}\x1b[K`);
  }

  /** A whole line in logs (not a terminal); the redrawn bar on a terminal. */
  line(done: number, extra: string): void {
    this.current = done;
    if (!this.enabled) return;
    if (this.tty) this.update(done, extra);
    else process.stderr.write(`${this.render(done, extra)}\n`);
  }

  done(summary?: string): void {
    if (!this.enabled) return;
    const secs = ((Date.now() - this.start) / 1000).toFixed(1);
    process.stderr.write(`${this.tty ? "\r\x1b[K" : ""}${this.label}: ${summary ?? `${this.current} ${this.unit}`} in ${secs}s\n`);
  }

  abort(): void {
    if (this.enabled && this.tty) process.stderr.write("\n");
  }

  private rate(done: number, now: number): string {
    const secs = (now - this.start) / 1000;
    const perSecond = secs > 0 ? done / secs : 0;
    return perSecond > 0 ? `${perSecond.toFixed(1)} ${this.unit}/s ETA ${formatDuration((this.total - done) / perSecond)}` : "";
  }

  private render(done: number, extra: string): string {
    const width = 24;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(frac * width);
    return `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${this.unit}${extra ? ` ${extra}` : ""}`;
  }
}

/** Seconds as "42s", "3m05s" or "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
