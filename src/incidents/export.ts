import type { Incident } from './model.js';

/** RFC 4180 CSV with a header row. Cells that start like a formula are prefixed so spreadsheets do not run them. */
export const CSV_COLUMNS = [
  'id', 'type', 'title', 'country', 'area', 'startAt', 'startPrecision', 'endAt', 'endPrecision', 'status', 'severity', 'tlp', 'networks',
  'services', 'actors', 'targets', 'tags', 'summary', 'dataQuality', 'origin', 'createdAt', 'updatedAt',
] as const;

export function csvCell(v: unknown): string {
  let s: string;
  if (v == null) s = '';
  else if (Array.isArray(v)) s = v.map((x) => (typeof x === 'object' ? Object.values(x as object).filter((y) => y != null && y !== '').join(' ') : String(x))).join('; ');
  else s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function incidentCsvRow(i: Incident): string {
  return CSV_COLUMNS.map((c) => csvCell(c === 'dataQuality' ? i.dataQuality.map((d) => `${d.code}: ${d.reason}`) : i[c as keyof Incident])).join(',') + '\r\n';
}

export async function* incidentsToCsv(items: AsyncIterable<Incident>): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(',') + '\r\n';
  let buf = '';
  for await (const i of items) {
    buf += incidentCsvRow(i);
    if (buf.length > 64_000) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
