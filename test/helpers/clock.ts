import type { Clock } from "../../src/clock.js";

export class FakeClock implements Clock {
  private t: number;
  constructor(start: string | Date = "2026-11-01T00:00:00Z") {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: string | Date): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceHours(h: number): void {
    this.advance(h * 3_600_000);
  }
}
