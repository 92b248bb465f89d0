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

  it("a dead group that answers again is revived", () => {
    const st = applyVerdict(fresh, dead, h(0), cfg).state;
    const s = applyVerdict(st, alive, h(5), cfg);
    expect(s.state.status).toBe("alive");
    expect(s.transition).toBe("revived");
  });

  it("dormant counts as seen alive and is not a failure", () => {
    const s = applyVerdict(fresh, { status: "dormant", reason: "no_recent_activity" }, h(0), cfg);
    expect(s.state.everAlive).toBe(true);
    expect(applyVerdict(s.state, dead, h(1), cfg).state.status).toBe("dormant");
  });
});
