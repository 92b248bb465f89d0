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
}

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
  verdict: { status: Status; reason: string },
  nowIso: string,
  cfg: HysteresisConfig,
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
      transition: prev.status === "dead" ? "revived" : null,
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
  if (prev.status === "dead") {
    return {
      state: { ...prev, reason: verdict.reason, consecutiveFailures: prev.consecutiveFailures + 1 },
      transition: null,
      changed: false,
    };
  }
  const failing = {
    ...prev,
    consecutiveFailures: prev.consecutiveFailures + 1,
    failingSince: prev.failingSince ?? nowIso,
    failingReason: verdict.reason,
  };
  const spanHours = (Date.parse(nowIso) - Date.parse(failing.failingSince)) / 3_600_000;
  // Never seen alive: the first conclusive check decides at once, silently (it was never known alive).
  // Seen alive: only repeated failures over time make it dead, and that is news.
  const confirmed =
    !prev.everAlive ||
    (failing.consecutiveFailures >= cfg.deadAfterChecks && spanHours >= cfg.deadAfterHours);
  if (!confirmed) return { state: failing, transition: null, changed: false };
  return {
    state: { ...failing, status: "dead", reason: verdict.reason, statusSince: nowIso },
    transition: prev.everAlive ? "dead" : null,
    changed: true,
  };
}
