/** Screen-space layout for map marks: clusters where dots overlap, labels that never overlap. */

export interface Placed<T> {
  x: number;
  y: number;
  item: T;
}

export interface Cluster<T> {
  x: number;
  y: number;
  items: T[];
  /** Drawn radius in pixels. */
  r: number;
}

export const DOT_RADIUS = 4.5;

/** A lone dot is a small circle; a cluster grows with the log of its size, so 1,000 groups stay one mark. */
export function markRadius(n: number): number {
  return n <= 1 ? DOT_RADIUS : 8 + 3.2 * Math.log10(n);
}

/**
 * Merges points whose marks would overlap. First a grid pass (linear in the number of points, which
 * can be 100,000), then pairwise merging of the clusters whose circles still touch, until none do.
 */
export function clusterPoints<T>(points: Placed<T>[], gap = 1.5): Cluster<T>[] {
  const cell = 2 * DOT_RADIUS + gap;
  // Numeric cell keys (no string per point); pictures are far narrower than 2^20 cells.
  const grid = new Map<number, Cluster<T>>();
  for (const p of points) {
    const key = (Math.floor(p.x / cell) + 0x80000) * 0x100000 + Math.floor(p.y / cell) + 0x80000;
    const c = grid.get(key);
    if (c) {
      c.x += p.x;
      c.y += p.y;
      c.items.push(p.item);
    } else grid.set(key, { x: p.x, y: p.y, items: [p.item], r: 0 });
  }
  let clusters = [...grid.values()];
  for (const c of clusters) {
    c.x /= c.items.length;
    c.y /= c.items.length;
    c.r = markRadius(c.items.length);
  }
  for (let round = 0; round < 8; round++) {
    const merged = mergeTouching(clusters, gap);
    if (merged.length === clusters.length) break;
    clusters = merged;
  }
  return clusters;
}

function mergeTouching<T>(clusters: Cluster<T>[], gap: number): Cluster<T>[] {
  // Biggest first: a small cluster joins the big one next to it, not the other way round.
  const sorted = [...clusters].sort((a, b) => b.items.length - a.items.length);
  const maxR = sorted.reduce((m, c) => Math.max(m, c.r), 0);
  const cell = 2 * maxR + gap;
  const grid = new Map<string, Cluster<T>[]>();
  const out: Cluster<T>[] = [];
  for (const c of sorted) {
    const gx = Math.floor(c.x / cell);
    const gy = Math.floor(c.y / cell);
    let host: Cluster<T> | null = null;
    for (let dx = -1; dx <= 1 && !host; dx++) {
      for (let dy = -1; dy <= 1 && !host; dy++) {
        for (const o of grid.get(`${gx + dx},${gy + dy}`) ?? []) {
          if (Math.hypot(o.x - c.x, o.y - c.y) < o.r + c.r + gap) {
            host = o;
            break;
          }
        }
      }
    }
    if (host) {
      const n = host.items.length + c.items.length;
      host.x = (host.x * host.items.length + c.x * c.items.length) / n;
      host.y = (host.y * host.items.length + c.y * c.items.length) / n;
      for (const item of c.items) host.items.push(item);
      host.r = markRadius(n);
      continue;
    }
    const key = `${gx},${gy}`;
    const bucket = grid.get(key);
    if (bucket) bucket.push(c);
    else grid.set(key, [c]);
    out.push(c);
  }
  return out;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface LabelRequest {
  text: string;
  /** The mark the label belongs to. */
  x: number;
  y: number;
  r: number;
  width: number;
  height: number;
}

export interface PlacedLabel {
  text: string;
  x: number;
  y: number;
  anchor: "start" | "end" | "middle";
  box: Box;
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** A grid of boxes for collision tests in roughly constant time. */
class BoxIndex {
  private cells = new Map<string, Box[]>();
  constructor(private size = 64) {}
  private keys(b: Box): string[] {
    const keys: string[] = [];
    for (let x = Math.floor(b.x0 / this.size); x <= Math.floor(b.x1 / this.size); x++)
      for (let y = Math.floor(b.y0 / this.size); y <= Math.floor(b.y1 / this.size); y++)
        keys.push(`${x},${y}`);
    return keys;
  }
  add(b: Box): void {
    for (const k of this.keys(b)) {
      const list = this.cells.get(k);
      if (list) list.push(b);
      else this.cells.set(k, [b]);
    }
  }
  hits(b: Box, except?: Box): boolean {
    for (const k of this.keys(b))
      for (const o of this.cells.get(k) ?? []) if (o !== except && overlaps(o, b)) return true;
    return false;
  }
}

/**
 * Greedy label placement in the order given (the caller puts alive groups first): each label tries
 * right, left, above and below its mark and takes the first spot that covers no other label, no
 * other mark and stays inside `area`; labels that fit nowhere are dropped, never piled up.
 */
export function placeLabels(
  requests: LabelRequest[],
  marks: { x: number; y: number; r: number }[],
  area: Box,
  max: number,
): PlacedLabel[] {
  const index = new BoxIndex();
  const markBoxes = new Map<string, Box>();
  for (const m of marks) {
    const b = { x0: m.x - m.r, y0: m.y - m.r, x1: m.x + m.r, y1: m.y + m.r };
    markBoxes.set(`${m.x},${m.y}`, b);
    index.add(b);
  }
  const placed: PlacedLabel[] = [];
  for (const q of requests) {
    if (placed.length >= max) break;
    const own = markBoxes.get(`${q.x},${q.y}`);
    const pad = q.r + 3;
    const h = q.height;
    const candidates: [number, number, PlacedLabel["anchor"], Box][] = [
      [
        q.x + pad,
        q.y + h * 0.35,
        "start",
        { x0: q.x + pad, y0: q.y - h / 2, x1: q.x + pad + q.width, y1: q.y + h / 2 },
      ],
      [
        q.x - pad,
        q.y + h * 0.35,
        "end",
        { x0: q.x - pad - q.width, y0: q.y - h / 2, x1: q.x - pad, y1: q.y + h / 2 },
      ],
      [
        q.x,
        q.y - pad - h * 0.2,
        "middle",
        { x0: q.x - q.width / 2, y0: q.y - pad - h, x1: q.x + q.width / 2, y1: q.y - pad },
      ],
      [
        q.x,
        q.y + pad + h * 0.8,
        "middle",
        { x0: q.x - q.width / 2, y0: q.y + pad, x1: q.x + q.width / 2, y1: q.y + pad + h },
      ],
    ];
    for (const [x, y, anchor, box] of candidates) {
      if (box.x0 < area.x0 || box.x1 > area.x1 || box.y0 < area.y0 || box.y1 > area.y1) continue;
      if (index.hits(box, own)) continue;
      index.add(box);
      placed.push({ text: q.text, x, y, anchor, box });
      break;
    }
  }
  return placed;
}
