// Config errors: each one names the file, the line and column, the key and the bad value as written,
// so an operator can go straight to the spot. Codes are stable (scripts may match on them); messages
// are for humans and may be reworded.

export type ConfigErrorCode =
  /** The file could not be read (missing, a directory, no permission). Line and column are 0. */
  | 'READ_FAILED'
  /** The text is not valid YAML (or yaml warned about it, e.g. an unknown tag). */
  | 'YAML_SYNTAX'
  /** The same key twice in one map. */
  | 'DUPLICATE_KEY'
  /** A key moshwarden does not know, at that place. */
  | 'UNKNOWN_KEY'
  /** A required key is absent (e.g. a schedule without `terminate`). */
  | 'MISSING_KEY'
  /** A value of the wrong kind: a number where a duration is expected, a list where a map is, ... */
  | 'BAD_TYPE'
  /** Not a valid duration, `off` where it is not allowed, or below the minimum. */
  | 'BAD_DURATION'
  /** Not one of the allowed words (log level, sweep target). */
  | 'BAD_VALUE'
  /** A path that is empty or not absolute. */
  | 'BAD_PATH'
  /** A user or group name that cannot be a real one. */
  | 'BAD_NAME'
  /** A rule that names neither users nor groups (it would match everyone). */
  | 'MISSING_SELECTOR'
  /** A cron expression node-cron refuses. */
  | 'BAD_CRON'
  /** A time zone that is not a known IANA name. */
  | 'BAD_TIMEZONE';

export interface ConfigError {
  file: string;
  /** 1-based; 0 when the error is about the file as a whole. */
  line: number;
  /** 1-based; 0 when the error is about the file as a whole. */
  col: number;
  /** Dotted path like `defaults.idle_timeout` or `rules[1].groups`; '' for the file or the top level. */
  key: string;
  /** The bad value as written in the file; null when there is nothing to show. */
  value: string | null;
  code: ConfigErrorCode;
  message: string;
}

/** One line: `FILE:LINE:COL: KEY: MESSAGE (got VALUE)`, leaving out the parts that do not apply. */
export function formatConfigError(e: ConfigError): string {
  let where = e.file;
  if (e.line > 0) {
    where += `:${e.line}`;
    if (e.col > 0) where += `:${e.col}`;
  }
  const key = e.key === '' ? '' : `${e.key}: `;
  const got = e.value === null ? '' : ` (got ${e.value})`;
  return `${where}: ${key}${e.message}${got}`;
}
