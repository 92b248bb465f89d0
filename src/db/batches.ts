/** Rows per statement: ~30 columns each stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
export const BATCH_ROWS = 500;

/** Runs `fn` on consecutive slices of `items` (bound-parameter limits make one huge IN or INSERT fail). */
export async function inBatches<T, R = void>(
  items: readonly T[],
  fn: (batch: T[]) => Promise<R>,
  size = BATCH_ROWS,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(await fn(items.slice(i, i + size)));
  return out;
}
