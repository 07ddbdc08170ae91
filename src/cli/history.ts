// moshwarden history: who was on this host, from where, from when to when, and why it ended — read from
// the audit log and its rotations (oldest first, streamed), one row per session, newest first.
import { parseAuditLine } from '../history/events.js';
import { matchesFilter, parseFilter, type FilterOptions } from '../history/filter.js';
import { historyJson, historyTable, isoSeconds } from '../history/format.js';
import { HistoryBuilder } from '../history/reconstruct.js';
import { auditFiles, forEachLine } from '../host/audit-files.js';
import { CliExit } from './config-path.js';

export interface Writer {
  write(s: string): void;
}

export interface HistoryOptions extends FilterOptions {
  json?: boolean;
}

export interface HistoryDeps {
  out: Writer;
  err: Writer;
  now: number;
}

/** Rows per write of --json output. */
const OUTPUT_BATCH = 1000;
/** How many bad lines are named one by one on stderr; the rest are only counted. */
const NAMED_JUNK = 5;

/** `base` is the audit file (log.audit_file or --file); its rotated siblings are read too. */
export async function historyCommand(base: string, o: HistoryOptions, deps: HistoryDeps): Promise<void> {
  const filter = parseFilter(o, deps.now);
  if (typeof filter === 'string') throw new CliExit(2, filter);
  const list = auditFiles(base);
  if (list.error !== null) throw new CliExit(1, `${list.error} (the audit log is ${base})`);
  if (list.files.length === 0) throw new CliExit(1, `no audit log at ${base} (nor rotated copies of it)`);

  const builder = new HistoryBuilder((row) => matchesFilter(row, filter));
  const junk: string[] = [];
  let junkCount = 0;
  let firstEvent: number | null = null;
  const failures: string[] = [];
  for (const file of list.files) {
    let n = 0;
    let lastJunk = 0;
    let read;
    try {
      read = await forEachLine(file, (line) => {
        n++;
        const ev = parseAuditLine(line);
        if (ev === 'skip') return;
        if (ev === 'junk') {
          junkCount++;
          lastJunk = n;
          if (junk.length < NAMED_JUNK) junk.push(`${file}:${n}`);
          return;
        }
        firstEvent ??= ev.time;
        builder.push(ev);
      });
    } catch (e) {
      failures.push((e as Error).message);
      continue;
    }
    // A cut-off last line (disk full, a crash mid-write) is worth saying as such.
    const tail = `${file}:${n}`;
    if (!read.endsWithNewline && lastJunk === n && junk.includes(tail))
      junk[junk.indexOf(tail)] = `${tail} (its last line, cut off)`;
  }
  const rows = builder.finish();

  if (o.json) {
    // The same text as JSON.stringify(array, null, 2), written a batch of rows at a time: a year of
    // sessions is tens of megabytes, and one string of it would double the command's peak memory.
    if (rows.length === 0) deps.out.write('[]\n');
    for (let i = 0; i < rows.length; i += OUTPUT_BATCH) {
      const part = rows
        .slice(i, i + OUTPUT_BATCH)
        .map((r) => JSON.stringify(historyJson(r, deps.now), null, 2).replace(/^/gm, '  '))
        .join(',\n');
      const last = i + OUTPUT_BATCH >= rows.length;
      deps.out.write(`${i === 0 ? '[\n' : ''}${part}${last ? '\n]\n' : ',\n'}`);
    }
  } else {
    deps.out.write((rows.length ? historyTable(rows, deps.now) : 'no sessions') + '\n');
    const begins = firstEvent === null ? 'has no events' : `begins ${isoSeconds(firstEvent)}`;
    deps.out.write(`\n${base} ${begins} (${list.files.length} file${list.files.length === 1 ? '' : 's'})\n`);
  }
  if (junkCount > 0) {
    const more = junkCount > junk.length ? `, and ${junkCount - junk.length} more` : '';
    deps.err.write(`note: skipped ${junkCount} line(s) that are not audit events: ${junk.join(', ')}${more}\n`);
  }
  if (failures.length > 0) {
    throw new CliExit(1, `could not read all of the audit log; the rows above leave out:\n  ${failures.join('\n  ')}`);
  }
}
