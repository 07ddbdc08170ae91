// Sections of bench/RESULTS.md that a part of the benchmark writes alone (`npm run bench -- --only NAME`):
// each sits between two HTML comments and is replaced in place; the rest of the file is kept.

export function sectionStart(name: string): string {
  return `<!-- ${name}: written by bench/${name}.ts -->`;
}

export function sectionEnd(name: string): string {
  return `<!-- /${name} -->`;
}

/** Wraps a rendered section in its markers. */
export function marked(name: string, body: string): string {
  return `${sectionStart(name)}\n${body.replace(/\n*$/, '\n')}${sectionEnd(name)}\n`;
}

/** Puts a marked section into an existing report, replacing an older one, or appends it. */
export function splice(report: string, name: string, section: string): string {
  const start = sectionStart(name);
  const end = sectionEnd(name);
  const a = report.indexOf(start);
  const b = report.indexOf(end);
  if (a === -1 || b === -1) return `${report.replace(/\n*$/, '\n\n')}${section}`;
  return report.slice(0, a) + section + report.slice(b + end.length).replace(/^\n/, '');
}
