import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../logger.js";

export interface ScheduleSpec {
  name: string;
  cron: string;
  run: () => Promise<unknown>;
}

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/**
 * The shortest time between two runs of a cron schedule, in hours, over its next `runs` runs (null when the
 * expression is not valid). "0 9 * * 1-5" is 24 h, "40 *\/6 * * *" is 6 h.
 */
export function shortestIntervalHours(expression: string, timezone: string, runs = 60): number | null {
  if (!cron.validate(expression)) return null;
  const task = cron.createTask(expression, () => {}, { timezone });
  try {
    const at = task.getNextRuns(runs).map((d) => d.getTime());
    let gap = Number.POSITIVE_INFINITY;
    for (let i = 1; i < at.length; i++) gap = Math.min(gap, (at[i] as number) - (at[i - 1] as number));
    return Number.isFinite(gap) ? gap / 3_600_000 : null;
  } finally {
    void task.destroy();
  }
}

/**
 * node-cron inside the bot process. Overlap inside this process is prevented by node-cron's noOverlap;
 * across processes, by the job lock that every job takes (see lock.ts).
 */
export function startScheduler(specs: ScheduleSpec[], opts: { timezone: string; logger: Logger }) {
  for (const s of specs) {
    if (!cron.validate(s.cron)) {
      throw new ScheduleError(`The schedule for ${s.name} ("${s.cron}") is not a valid cron expression.`);
    }
  }
  const tasks = new Map<string, ScheduledTask>();
  for (const s of specs) {
    const task = cron.schedule(
      s.cron,
      async () => {
        opts.logger.info({ job: { name: s.name } }, "scheduled job starting");
        try {
          await s.run();
        } catch (err) {
          opts.logger.error({ err, job: { name: s.name } }, "scheduled job failed");
        }
      },
      { name: s.name, timezone: opts.timezone, noOverlap: true },
    );
    tasks.set(s.name, task);
  }
  return {
    nextRun: (name: string): Date | null => tasks.get(name)?.getNextRun() ?? null,
    async stop() {
      for (const t of tasks.values()) await t.stop();
    },
  };
}
