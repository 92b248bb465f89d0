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
