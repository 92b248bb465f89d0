import type { Status } from "./status.js";

/** What the database remembers about a group between checks. */
export interface LivenessState {
  status: Status;
  reason: string | null;
  statusSince: string | null;
  everAlive: boolean;
  consecutiveFailures: number;
  failingSince: string | null;
  failingReason: string | null;
}

export interface HysteresisConfig {
  /** A group seen alive turns dead only after this many failed checks in a row... */
  deadAfterChecks: number;
  /** ...spanning at least this many hours. */
  deadAfterHours: number;
  /** A failure streak not confirmed within this many days starts over (default 7). */
  streakResetDays?: number;
  /**
   * A group never seen alive may be judged dead on its first check, but a soft failure (5xx,
   * refused, reset) only when it held through retries spread over at least this long (default 20 s).
   */
  firstCheckSoftHoldMs?: number;
}

/** Failures a restarting server or a flapping CDN also shows: not proof of death on their own. */
export const SOFT_FAILURES: ReadonlySet<string> = new Set(["http_5xx", "refused", "network_error"]);

export interface VerdictInput {
  status: Status;
  reason: string;
  /** How long a soft failure has held through this check's retries, in ms. */
  heldMs?: number;
}

export interface ApplyOptions {
  /** False when this check must not add to the failure streak (a second admin rescan in one scan window). */
  countFailure?: boolean;
}

const DAY_MS = 86_400_000;

export type Transition = "dead" | "revived" | null;

export interface Step {
  state: LivenessState;
  /** A confirmed change worth telling people about. */
  transition: Transition;
  /** The confirmed status changed (including silent ones such as unknown -> alive). */
  changed: boolean;
}

const good = (s: Status) => s === "alive" || s === "dormant";

/**
 * Folds one check's verdict into the group's state.
 * Never cry wolf: a group that was ever seen alive only turns dead after repeated failures over time;
 * an inconclusive check ("unknown") neither counts as a failure nor clears one.
 */
export function applyVerdict(
  prev: LivenessState,
  verdict: VerdictInput,
  nowIso: string,
  cfg: HysteresisConfig,
  opts: ApplyOptions = {},
): Step {
  if (good(verdict.status)) {
    const changed = prev.status !== verdict.status;
    return {
      state: {
        status: verdict.status,
        reason: verdict.reason,
        statusSince: changed ? nowIso : prev.statusSince,
        everAlive: true,
        consecutiveFailures: 0,
        failingSince: null,
        failingReason: null,
      },
      // Only a death that was announced gets a "revived": a group first judged dead silently comes back silently.
      transition: prev.status === "dead" && prev.everAlive ? "revived" : null,
      changed,
    };
  }

  if (verdict.status === "unknown") {
    // Only a group we know nothing about takes "unknown"; a known verdict stands until evidence replaces it.
    if (prev.status === "unknown") {
      return {
        state: { ...prev, reason: verdict.reason, statusSince: prev.statusSince ?? nowIso },
        transition: null,
        changed: false,
      };
    }
    return { state: prev, transition: null, changed: false };
  }

  // verdict.status === "dead"
  if (opts.countFailure === false && prev.status !== "dead") {
    return { state: prev, transition: null, changed: false };
  }
  if (prev.status === "dead") {
    return {
      state: { ...prev, reason: verdict.reason, consecutiveFailures: prev.consecutiveFailures + 1 },
      transition: null,
      changed: false,
    };
  }
  // A streak that went unconfirmed for a week (checks in between were inconclusive) is stale: start over.
  const resetMs = (cfg.streakResetDays ?? 7) * DAY_MS;
  const stale = prev.failingSince !== null && Date.parse(nowIso) - Date.parse(prev.failingSince) > resetMs;
  const failing = {
    ...prev,
    consecutiveFailures: stale ? 1 : prev.consecutiveFailures + 1,
    failingSince: stale ? nowIso : (prev.failingSince ?? nowIso),
    failingReason: verdict.reason,
  };
  const spanHours = (Date.parse(nowIso) - Date.parse(failing.failingSince)) / 3_600_000;
  // Never seen alive: the first conclusive check decides at once, silently (it was never known alive).
  // Seen alive: only repeated failures over time make it dead, and that is news.
  const softUnproven =
    SOFT_FAILURES.has(verdict.reason) && (verdict.heldMs ?? 0) < (cfg.firstCheckSoftHoldMs ?? 20_000);
  const confirmed = prev.everAlive
    ? failing.consecutiveFailures >= cfg.deadAfterChecks && spanHours >= cfg.deadAfterHours
    : !softUnproven;
  if (!confirmed) return { state: failing, transition: null, changed: false };
  return {
    state: { ...failing, status: "dead", reason: verdict.reason, statusSince: nowIso },
    transition: prev.everAlive ? "dead" : null,
    changed: true,
  };
}
