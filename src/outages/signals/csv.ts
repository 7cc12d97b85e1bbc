/** A small RFC 4180 CSV reader (quotes, doubled quotes, CRLF, BOM) that keeps line numbers for error messages. */
import { SignalFormatError } from '../model.js';
import { checkHeader } from './stream.js';

export interface CsvTable {
  header: string[];
  /** Each row with the 1-based line number it starts on. */
  rows: { line: number; cells: string[] }[];
}

export function parseCsv(text: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      sawAny = true;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      sawAny = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (sawAny || cells.length > 1 || cell !== '') records.push({ line: recordLine, cells });
      cells = [];
      cell = '';
      sawAny = false;
      line++;
      recordLine = line;
    } else {
      cell += ch;
      sawAny = true;
    }
  }
  if (inQuotes) throw new SignalFormatError('unterminated quoted field', recordLine);
  if (sawAny || cell !== '' || cells.length) {
    cells.push(cell);
    records.push({ line: recordLine, cells });
  }
  const first = records.shift();
  if (!first) throw new SignalFormatError('the file is empty (no header row)');
  const header = checkHeader(first.cells);
  for (const r of records) {
    if (r.cells.length !== header.length && !(r.cells.length === 1 && r.cells[0] === '')) {
      throw new SignalFormatError(`expected ${header.length} columns, found ${r.cells.length}`, r.line);
    }
  }
  return { header, rows: records.filter((r) => !(r.cells.length === 1 && r.cells[0] === '')) };
}

/** Index of a column (case-insensitive), or -1. */
export function columnIndex(header: string[], name: string): number {
  const n = name.toLowerCase();
  return header.findIndex((h) => h.toLowerCase() === n);
}

export function requireColumn(header: string[], name: string, what: string): number {
  const i = columnIndex(header, name);
  if (i < 0) throw new SignalFormatError(`missing column "${name}" (${what}); the header has: ${header.join(', ')}`, 1);
  return i;
}

/** A finite number, or a clear error naming the line and column. Empty cells are missing points (NaN). */
export function numberCell(raw: string | undefined, line: number, column: string): number {
  const s = (raw ?? '').trim();
  if (s === '' || s.toLowerCase() === 'null' || s.toLowerCase() === 'nan' || s === 'NA') return NaN;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new SignalFormatError(`column "${column}": "${s}" is not a number`, line);
  return v;
}
