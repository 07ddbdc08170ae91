// Wall-clock timers for `schedules:` (node-cron). Behind the host boundary like the other timers: the
// daemon only hears "schedule N fired".
import { schedule as cronSchedule, type Logger as CronLogger } from 'node-cron';
import type { Schedule } from '../core/types.js';
import type { Logger } from '../log/logger.js';

export interface CronTasks {
  stop(): void;
}

/**
 * Starts one node-cron task per schedule. node-cron's own messages (a missed execution when the event
 * loop was blocked, a failed run) go through our logger as `schedule.error`/`schedule.warn`, never to
 * stderr. noOverlap: a sweep still running when the next second fires is not started twice.
 */
export function startSchedules(schedules: readonly Schedule[], onFire: (s: Schedule) => void, log: Logger): CronTasks {
  const tasks = schedules.map((s) => {
    const where = { schedule: s.index, cron: s.cron };
    const logger: CronLogger = {
      info: (message: string) => log.debug({ event: 'schedule.debug', ...where }, message),
      debug: (message: string | Error) => log.debug({ event: 'schedule.debug', ...where }, String(message)),
      warn: (message: string) => log.warn({ event: 'schedule.warn', ...where }, message),
      error: (message: string | Error, err?: Error) =>
        log.error({ event: 'schedule.error', ...where, err: err ?? message }, String(message)),
    };
    return cronSchedule(s.cron, () => onFire(s), {
      name: `moshwarden-schedule-${s.index}`,
      ...(s.timezone !== null ? { timezone: s.timezone } : {}),
      noOverlap: true,
      logger,
    });
  });
  return {
    stop() {
      for (const t of tasks) void t.destroy();
    },
  };
}
