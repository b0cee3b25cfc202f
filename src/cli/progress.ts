/**
 * Training progress on stderr. On a terminal: one live line redrawn in place with '\r' (a bar,
 * the step, the losses, steps/s and the time left), at most every REDRAW_MS; lines printed
 * meanwhile (samples) go above it. Elsewhere (a pipe, a CI log): one plain line every
 * LOG_MS. The fraction done is the larger of steps / max steps and seconds / time budget.
 */
import { clock, loss as fmt } from './common.js';

const REDRAW_MS = 100;
const LOG_MS = 5000;

export interface ProgressFields { step: number; loss: number; valLoss?: number }

export class Progress {
  private readonly tty: boolean;
  private readonly started = Date.now();
  private last = 0;
  private width = 0;
  private fields: ProgressFields = { step: 0, loss: NaN };

  /**
   * `maxSteps` and `seconds` bound the run (either may be Infinity); `quiet` prints nothing;
   * `firstStep`: the steps a resumed run had made before this process (not in its rate).
   */
  constructor(private readonly maxSteps: number, private readonly seconds: number, private readonly quiet = false,
    readonly firstStep = 0, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  elapsed(): number { return (Date.now() - this.started) / 1000; }

  /** Fraction of the budget used, 0..1. */
  fraction(step: number): number {
    return Math.min(1, Math.max(step / this.maxSteps, this.elapsed() / this.seconds));
  }

  update(fields: ProgressFields): void {
    this.fields = { ...this.fields, ...fields };
    const now = Date.now();
    if (this.quiet || now - this.last < (this.tty ? REDRAW_MS : LOG_MS)) return;
    this.last = now;
    if (this.tty) this.draw(this.line(true));
    else this.stream.write(this.line(false) + '\n');
  }

  /** Prints a line to stdout, keeping the live bar below it. */
  print(text: string): void {
    if (this.tty && !this.quiet && this.width > 0) this.clear();
    process.stdout.write(text + '\n');
    if (this.tty && !this.quiet && this.last > 0) this.draw(this.line(true));
  }

  /** The final state of the bar, then a newline (terminal) or a last line (elsewhere). */
  done(): void {
    if (this.quiet) return;
    if (this.tty) { this.draw(this.line(true)); this.stream.write('\n'); this.width = 0; } else this.stream.write(this.line(false) + '\n');
  }

  private line(bar: boolean): string {
    const { step, loss, valLoss } = this.fields, t = this.elapsed();
    const rate = t > 0 ? (step - this.firstStep) / t : 0, f = this.fraction(step);
    // time left: whichever budget runs out first
    const left = Math.min(this.maxSteps < Infinity && rate > 0 ? (this.maxSteps - step) / rate : Infinity, this.seconds - t);
    const parts = [
      `step ${step}${this.maxSteps < Infinity ? '/' + this.maxSteps : ''}`,
      `loss ${fmt(loss)}`,
      ...(valLoss !== undefined ? [`val ${fmt(valLoss)}`] : []),
      `${rate.toFixed(1)} steps/s`,
      `${clock(t)} elapsed`,
      `ETA ${clock(Math.max(0, left))}`,
    ];
    const text = parts.join('  ');
    if (!bar) return text;
    const n = 20, full = Math.floor(f * n);
    return `[${'#'.repeat(full)}${'-'.repeat(n - full)}] ${String(Math.round(f * 100)).padStart(3)}%  ${text}`;
  }

  private draw(text: string): void {
    const columns = this.stream.columns || 100;
    const shown = text.length >= columns ? text.slice(0, columns - 1) : text;
    this.stream.write('\r' + shown + ' '.repeat(Math.max(0, this.width - shown.length)));
    this.width = shown.length;
  }

  private clear(): void {
    this.stream.write('\r' + ' '.repeat(this.width) + '\r');
    this.width = 0;
  }
}
