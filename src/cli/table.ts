// Plain-text tables for the commands: columns padded to their widest cell, two spaces apart, the last
// column left ragged (it holds the long free text: verdicts, end reasons).

export function alignColumns(header: readonly string[], body: readonly (readonly string[])[]): string {
  // A loop, not Math.max(...cells): a year of `history` is 100,000s of rows, beyond the argument limit.
  const widths = header.map((h) => h.length);
  for (const row of body) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}
