/** Real data the ops tests use (../shared/data, beside the repository). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED_DATA = join(import.meta.dirname, '..', '..', 'shared', 'data');
export const IODA_CSV = join(SHARED_DATA, 'shutdowns', 'ioda-investigated-outages-2018-2022.csv');

/** The header and the first `n` records of the real IODA investigated-outages file (records may span lines inside quotes). */
export function iodaSlice(n: number): string {
  const lines = readFileSync(IODA_CSV, 'utf8').split('\n');
  const out: string[] = [];
  let rows = -1;
  let open = false;
  for (const l of lines) {
    out.push(l);
    if ((l.split('"').length - 1) % 2 === 1) open = !open;
    if (!open && ++rows >= n) break;
  }
  return out.join('\n') + '\n';
}
