// Part of the host boundary: the only place config text comes from the machine. Everything under
// src/config/ works on the text it is handed.
import { readFile } from 'node:fs/promises';

/** The whole file as UTF-8 text; rejects with the system's error (ENOENT, EISDIR, EACCES, ...). */
export function readTextFile(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
