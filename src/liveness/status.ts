/** The four verdicts, in the order people read them, with their one emoji, colour and words. */
export const STATUSES = ["alive", "dormant", "dead", "unknown"] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_EMOJI: Readonly<Record<Status, string>> = {
  alive: "🟢",
  dormant: "🟡",
  dead: "🔴",
  unknown: "⚪",
};

/** Embed and map colours (also used as CSS hex by the pictures). */
export const STATUS_COLOR: Readonly<Record<Status, number>> = {
  alive: 0x2ecc71,
  dormant: 0xf1c40f,
  dead: 0xe74c3c,
  unknown: 0x95a5a6,
};

/** What each verdict means, in a phrase. */
export const STATUS_WORDS: Readonly<Record<Status, string>> = {
  alive: "active",
  dormant: "no activity for a year",
  dead: "gone",
  unknown: "can't tell",
};

export const isStatus = (s: unknown): s is Status => STATUSES.includes(s as Status);

/** "🟢 12 alive, 🟡 3 dormant, …" */
export const statusCounts = (counts: Readonly<Record<Status, number>>, sep = ", "): string =>
  STATUSES.map((s) => `${STATUS_EMOJI[s]} ${counts[s] ?? 0} ${s}`).join(sep);

export const totalOf = (counts: Readonly<Record<Status, number>>): number =>
  STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0);
