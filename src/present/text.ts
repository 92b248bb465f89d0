import type { Status } from "../db/schema.js";

export const STATUS_EMOJI: Record<Status, string> = {
  alive: "🟢",
  dormant: "🟡",
  dead: "🔴",
  unknown: "⚪",
};

export const STATUSES: readonly Status[] = ["alive", "dormant", "dead", "unknown"];

/** "3 days ago", "in 2 weeks", "just now". */
export function relativeTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "never";
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [365 * 86_400_000, "year"],
    [30 * 86_400_000, "month"],
    [7 * 86_400_000, "week"],
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const label = `${n} ${name}${n === 1 ? "" : "s"}`;
      return diff < 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return "just now";
}

export function formatKm(km: number): string {
  return km < 10 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return "0%";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** A plain-text table with aligned columns (by code points, good enough for a terminal). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function placeLabel(g: {
  city: string | null;
  region: string | null;
  country_name: string | null;
}): string {
  return [g.city, g.region, g.country_name].filter(Boolean).join(", ") || "—";
}
