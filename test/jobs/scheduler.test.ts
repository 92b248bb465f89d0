import { describe, expect, it } from "vitest";
import { shortestIntervalHours } from "../../src/jobs/scheduler.js";

describe("shortestIntervalHours", () => {
  it("is the shortest gap between a schedule's runs", () => {
    expect(shortestIntervalHours("40 */6 * * *", "UTC")).toBe(6);
    expect(shortestIntervalHours("0 * * * *", "UTC")).toBe(1);
    expect(shortestIntervalHours("*/15 * * * *", "UTC")).toBe(0.25);
    // Weekdays at 9 and 17: 8 h apart within a day.
    expect(shortestIntervalHours("0 9,17 * * 1-5", "Europe/Warsaw")).toBe(8);
    expect(shortestIntervalHours("17 3 * * *", "UTC")).toBe(24);
  });

  it("is null for an expression that is not a schedule", () => {
    expect(shortestIntervalHours("every six hours", "UTC")).toBeNull();
    expect(shortestIntervalHours("61 * * * *", "UTC")).toBeNull();
  });
});
