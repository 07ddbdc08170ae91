// Every event name the log can carry, as one union: a typo in an event name does not compile, and the
// audit trail's choice and the metrics' switch (both keyed by this union) must say something about
// every event. The names are part of the user contract (docs/contract.md, "Log events").

export const EVENT_NAMES = [
  'session.start',
  'session.attach',
  'session.detach',
  'session.rule',
  'session.warn',
  'session.warn_failed',
  'session.terminate',
  'session.signal',
  'session.kill',
  'session.signal_error',
  'session.end',
  'session.tamper',
  'revocation.load',
  'revocation.error',
  'config.load',
  'config.error',
  'schedule.run',
  'schedule.warn',
  'schedule.error',
  'schedule.debug',
  'audit.error',
  'metrics.error',
  'watch.error',
  'daemon.start',
  'daemon.stop',
  'daemon.problem',
  'daemon.clock_jump',
  'scan.pass',
  'scan.problem',
  'scan.error',
  'fleet.start',
  'fleet.stop',
  'fleet.hup',
  'fleet.load',
  'fleet.connect',
  'fleet.disconnect',
  'fleet.sync',
  'fleet.compacted',
  'fleet.skip',
  'fleet.lease_lost',
  'fleet.error',
  'fleet.strict',
] as const;

export type EventName = (typeof EVENT_NAMES)[number];

/** The fields of one log line: the event and whatever else it carries. */
export type EventFields = { event: EventName } & Record<string, unknown>;

/** A log method: the fields, then a short human-readable message. */
export type LogMethod = (fields: EventFields, message: string) => void;

/** What the program logs through (pino's logger satisfies it; tests may hand in their own). */
export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
}
