/**
 * A progress bar on stderr. On a terminal it redraws one line; otherwise it prints a single summary line when
 * the work ends, so logs stay readable.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private readonly tty: boolean;
  private last = 0;
  private current = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {
    this.tty = Boolean(process.stderr.isTTY);
  }

  update(done: number): void {
    this.current = done;
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.max(0, (this.total - done) / rate) : 0;
    process.stderr.write(
      `\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ` +
        `${rate.toFixed(1)} img/s ETA ${eta.toFixed(0)}s\x1b[K`,
    );
  }

  done(): void {
    if (!this.enabled) return;
    const secs = ((Date.now() - this.start) / 1000).toFixed(1);
    process.stderr.write(`${this.tty ? "\r\x1b[K" : ""}${this.label}: ${this.current} images in ${secs}s\n`);
  }

  abort(): void {
    if (this.enabled && this.tty) process.stderr.write("\n");
  }
}
