export interface WriteBatchOptions {
  /** A batch is written once it has this many items (and never holds more). */
  rows: number;
  /** …or once its oldest item has waited this long, so a slow scan still writes (and reports) promptly. */
  waitMs: number;
}

/**
 * Gathers items and hands them to `write` in batches, one batch at a time: while one is written, the
 * next gathers. `add` returns at once unless the writes fall behind by more than a few batches; then
 * it waits, so what waits to be written stays bounded. `write` should handle its own failures: one it
 * throws drops what is gathered and is thrown again by close(). Hand-written rather than a library: it is the write half of the scan's group commit and
 * needs its back-pressure and close() to fit the scan's ending.
 */
export class WriteBatches<T> {
  private buffer: T[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private failure: unknown;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly o: WriteBatchOptions,
  ) {}

  async add(item: T): Promise<void> {
    this.buffer.push(item);
    if (this.buffer.length >= this.o.rows) this.start();
    else this.timer ??= setTimeout(() => this.start(true), this.o.waitMs);
    while (this.buffer.length >= this.o.rows * 4 && this.writing) await this.writing;
  }

  /** Writes what is left and waits for every write to end; throws what a write threw, if one did. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.writing || this.buffer.length > 0) {
      this.start(true);
      await this.writing;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private start(due = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing || this.buffer.length === 0) return;
    this.writing = this.drain(due)
      .catch((err: unknown) => {
        // Kept for close(): a rejection nobody awaits would end the process.
        this.failure ??= err;
        this.buffer = [];
      })
      .finally(() => {
        this.writing = null;
        if (this.buffer.length > 0 && !this.closing)
          this.timer = setTimeout(() => this.start(true), this.o.waitMs);
      });
  }

  private async drain(due: boolean): Promise<void> {
    await Promise.resolve(); // `writing` is set before the first batch goes
    let now = due;
    while (this.buffer.length >= this.o.rows || ((now || this.closing) && this.buffer.length > 0)) {
      now = false;
      await this.write(this.buffer.splice(0, this.o.rows));
    }
  }
}
