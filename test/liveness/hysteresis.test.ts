import { describe, expect, it } from "vitest";
import { applyVerdict, type LivenessState } from "../../src/liveness/hysteresis.js";

const fresh: LivenessState = {
  status: "unknown",
  reason: null,
  statusSince: null,
  everAlive: false,
  consecutiveFailures: 0,
  failingSince: null,
  failingReason: null,
};
const cfg = { deadAfterChecks: 3, deadAfterHours: 24 };
const h = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 3_600_000).toISOString();
const dead = { status: "dead" as const, reason: "http_404" };
const alive = { status: "alive" as const, reason: "ok" };
const unknown = { status: "unknown" as const, reason: "network_error" };

describe("applyVerdict", () => {
  it("a group never seen alive takes its first conclusive verdict at once, silently", () => {
    const s = applyVerdict(fresh, dead, h(0), cfg);
    expect(s.state.status).toBe("dead");
    expect(s.transition).toBeNull();
    expect(s.changed).toBe(true);
  });

  it("a live group stays alive through failures until N checks spanning T hours", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    const s1 = applyVerdict(st, dead, h(6), cfg);
    expect(s1.state.status).toBe("alive");
    expect(s1.state.failingSince).toBe(h(6));
    const s2 = applyVerdict(s1.state, dead, h(12), cfg);
    const s3 = applyVerdict(s2.state, dead, h(18), cfg); // 3 checks but only 12 h
    expect(s3.state.status).toBe("alive");
    expect(s3.transition).toBeNull();
    const s4 = applyVerdict(s3.state, dead, h(30), cfg); // 4 checks over 24 h
    expect(s4.state.status).toBe("dead");
    expect(s4.transition).toBe("dead");
    expect(s4.state.statusSince).toBe(h(30));
    st = s4.state;
    const again = applyVerdict(st, dead, h(36), cfg);
    expect(again.transition).toBeNull();
  });

  it("one good check clears the failure streak", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    st = applyVerdict(st, dead, h(1), cfg).state;
    st = applyVerdict(st, dead, h(20), cfg).state;
    st = applyVerdict(st, alive, h(21), cfg).state;
    expect(st.consecutiveFailures).toBe(0);
    expect(st.failingSince).toBeNull();
    const s = applyVerdict(st, dead, h(40), cfg);
    expect(s.state.status).toBe("alive");
  });

  it("inconclusive checks neither count as failures nor clear them", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    st = applyVerdict(st, dead, h(1), cfg).state;
    const u = applyVerdict(st, unknown, h(2), cfg);
    expect(u.state).toEqual(st);
    expect(u.changed).toBe(false);
  });

  it("unknown on a fresh group is unknown, never dead", () => {
    const s = applyVerdict(fresh, unknown, h(0), cfg);
    expect(s.state.status).toBe("unknown");
    expect(s.state.reason).toBe("network_error");
  });

  it("1 check and 0 hours means one failed check suffices", () => {
    const st = applyVerdict(fresh, alive, h(0), cfg).state;
    const s = applyVerdict(st, dead, h(1), { deadAfterChecks: 1, deadAfterHours: 0 });
    expect(s.state.status).toBe("dead");
    expect(s.transition).toBe("dead");
  });

  it("a group whose death was announced is revived when it answers again", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    for (const at of [1, 13, 26]) st = applyVerdict(st, dead, h(at), cfg).state;
    expect(st.status).toBe("dead");
    const s = applyVerdict(st, alive, h(30), cfg);
    expect(s.state.status).toBe("alive");
    expect(s.transition).toBe("revived");
  });

  // Changed with issue 10: this used to announce "revived" for a death nobody was told about.
  it("a group first judged dead silently comes back silently", () => {
    const st = applyVerdict(fresh, dead, h(0), cfg).state;
    const s = applyVerdict(st, alive, h(5), cfg);
    expect(s.state.status).toBe("alive");
    expect(s.changed).toBe(true);
    expect(s.transition).toBeNull();
  });

  it("a soft failure on a first check is death only when it held through ≥ 20 s of retries", () => {
    const soft = { status: "dead" as const, reason: "http_5xx" };
    const quick = applyVerdict(fresh, { ...soft, heldMs: 3_000 }, h(0), cfg);
    expect(quick.state.status).toBe("unknown");
    expect(quick.state.consecutiveFailures).toBe(1);
    expect(quick.changed).toBe(false);
    const held = applyVerdict(fresh, { ...soft, heldMs: 20_000 }, h(0), cfg);
    expect(held.state.status).toBe("dead");
    expect(held.transition).toBeNull();
    const refused = applyVerdict(fresh, { status: "dead", reason: "refused" }, h(0), cfg);
    expect(refused.state.status).toBe("unknown");
    expect(applyVerdict(fresh, dead, h(0), cfg).state.status).toBe("dead"); // a 404 needs no waiting
  });

  it("a failure streak not confirmed within 7 days starts over", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    st = applyVerdict(st, dead, h(1), cfg).state;
    st = applyVerdict(st, dead, h(2), cfg).state;
    // Inconclusive checks for eight days, then one more failure: not the third of a streak, the first of a new one.
    st = applyVerdict(st, unknown, h(100), cfg).state;
    const s = applyVerdict(st, dead, h(2 + 8 * 24), cfg);
    expect(s.state.status).toBe("alive");
    expect(s.state.consecutiveFailures).toBe(1);
    expect(s.state.failingSince).toBe(h(2 + 8 * 24));
    expect(applyVerdict(st, dead, h(30), cfg).state.status).toBe("dead"); // within the week it confirms
  });

  it("a failure that must not count (a second rescan in one scan window) leaves the streak alone", () => {
    let st = applyVerdict(fresh, alive, h(0), cfg).state;
    st = applyVerdict(st, dead, h(1), cfg).state;
    const s = applyVerdict(st, dead, h(1.1), cfg, { countFailure: false });
    expect(s.state).toEqual(st);
    expect(s.changed).toBe(false);
  });

  it("dormant counts as seen alive and is not a failure", () => {
    const s = applyVerdict(fresh, { status: "dormant", reason: "no_recent_activity" }, h(0), cfg);
    expect(s.state.everAlive).toBe(true);
    expect(applyVerdict(s.state, dead, h(1), cfg).state.status).toBe("dormant");
  });
});
