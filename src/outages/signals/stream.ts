/**
 * Streaming input for the CSV signal layouts: files are read in chunks, checked as UTF-8 on the way, split into
 * RFC 4180 records (quotes, doubled quotes, CRLF, BOM) that keep their line numbers, and handed to a row consumer
 * one at a time. Nothing holds the whole text or all the rows, so memory grows with the points kept (about 20 bytes
 * a row, see SeriesCollector) and not with the file. `maxRows` turns an oversized input into a clear error instead
 * of running out of memory.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SignalFormatError } from '../model.js';

export interface RowSink {
  /** Called once with the header row (already trimmed and checked for duplicates). */
  header(cols: string[]): void;
  /** Called for every data row (blank lines are skipped). */
  row(cells: string[], line: number): void;
}

/** Default cap on data rows in one file: far beyond any published file, well inside the memory of a laptop. */
export const DEFAULT_MAX_ROWS = 40_000_000;

/** Checks the header: no empty and no duplicate column names (which column would a value come from?). */
export function checkHeader(cols: string[]): string[] {
  const header = cols.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    const k = h.toLowerCase();
    if (!k) return;
    const prev = seen.get(k);
    if (prev !== undefined) throw new SignalFormatError(`duplicate column name "${h}" (columns ${prev + 1} and ${i + 1}): rename one of them`, 1);
    seen.set(k, i);
  });
  return header;
}

/** Incremental RFC 4180 splitter: push text in pieces, rows come out as they complete. */
export class CsvRowReader {
  private cells: string[] = [];
  private cell = '';
  private inQuotes = false;
  private pendingQuote = false;
  private pendingCR = false;
  private line = 1;
  private recordLine = 1;
  private sawAny = false;
  private first = true;
  private width = -1;
  private rows = 0;

  constructor(
    private readonly sink: RowSink,
    private readonly maxRows = DEFAULT_MAX_ROWS,
  ) {}

  get rowsRead() {
    return this.rows;
  }

  private emit() {
    const cells = this.cells;
    this.cells = [];
    const line = this.recordLine;
    if (!this.sawAny && cells.length === 1 && cells[0] === '') return; // blank line
    if (this.first) {
      this.first = false;
      if (cells[0]?.charCodeAt(0) === 0xfeff) cells[0] = cells[0].slice(1);
      const header = checkHeader(cells);
      this.width = header.length;
      this.sink.header(header);
      return;
    }
    if (cells.length !== this.width) throw new SignalFormatError(`expected ${this.width} columns, found ${cells.length}`, line);
    if (++this.rows > this.maxRows) {
      throw new SignalFormatError(`more than ${this.maxRows.toLocaleString('en')} data rows: the file is too large to read at once (split it by time or by place, or raise the limit)`, line);
    }
    this.sink.row(cells, line);
  }

  push(text: string) {
    let cell = this.cell;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (ch === 10) continue; // CRLF: the record already ended at CR
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (ch === 34) {
          cell += '"';
          continue;
        }
        this.inQuotes = false;
      }
      if (this.inQuotes) {
        if (ch === 34) this.pendingQuote = true;
        else {
          if (ch === 10) this.line++;
          cell += text[i];
        }
        continue;
      }
      if (ch === 34) {
        this.inQuotes = true;
        this.sawAny = true;
      } else if (ch === 44) {
        this.cells.push(cell);
        cell = '';
        this.sawAny = true;
      } else if (ch === 10 || ch === 13) {
        if (ch === 13) this.pendingCR = true;
        this.cells.push(cell);
        cell = '';
        this.emit();
        this.sawAny = false;
        this.line++;
        this.recordLine = this.line;
      } else {
        // fast path: copy a run of plain characters at once
        let j = i + 1;
        while (j < text.length) {
          const c = text.charCodeAt(j);
          if (c === 34 || c === 44 || c === 10 || c === 13) break;
          j++;
        }
        cell += text.slice(i, j);
        i = j - 1;
        this.sawAny = true;
      }
    }
    this.cell = cell;
  }

  end() {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new SignalFormatError('unterminated quoted field', this.recordLine);
    if (this.sawAny || this.cell !== '' || this.cells.length) {
      this.cells.push(this.cell);
      this.cell = '';
      this.emit();
    }
    if (this.first) throw new SignalFormatError('the file is empty (no header row)');
  }
}

/** Position (byte offset) of the first invalid UTF-8 sequence in `buf`, or -1; `final` = no more bytes follow. */
export function invalidUtf8At(buf: Uint8Array, final: boolean): { bad: number; complete: number } {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80);
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800);
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000);
    else return { bad: i, complete: i };
    if (i + need >= n) {
      // the sequence runs past the buffer
      if (!final) {
        for (let k = i + 1; k < n; k++) if ((buf[k]! & 0xc0) !== 0x80) return { bad: i, complete: i };
        return { bad: -1, complete: i };
      }
      return { bad: i, complete: i };
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return { bad: i, complete: i };
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { bad: i, complete: i };
    i += need + 1;
  }
  return { bad: -1, complete: n };
}

function countNewlines(buf: Uint8Array, end: number): number {
  let k = 0;
  for (let i = 0; i < end; i++) if (buf[i] === 10) k++;
  return k;
}

/**
 * Reads a file in chunks into a CSV row reader, refusing text that is not UTF-8 (naming the line) — a Latin-1 or
 * UTF-16 file would otherwise turn place names into replacement characters without a word.
 */
export function streamCsvFile(path: string, sink: RowSink, opts: { maxRows?: number; chunkBytes?: number } = {}): { rows: number; bytes: number } {
  const reader = new CsvRowReader(sink, opts.maxRows);
  const size = opts.chunkBytes ?? 1 << 20;
  const buf = Buffer.allocUnsafe(size + 4);
  let carry = 0; // bytes of an incomplete UTF-8 sequence kept from the last chunk
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SignalFormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let lines = 1;
  let bytes = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, carry, size, null);
      bytes += got;
      const n = carry + got;
      const final = got === 0;
      const view = buf.subarray(0, n);
      const { bad, complete } = invalidUtf8At(view, final);
      if (bad >= 0) {
        throw new SignalFormatError(`the file is not UTF-8 text (byte 0x${view[bad]!.toString(16).padStart(2, '0')} at byte ${bytes - got - carry + bad + 1}); save it as UTF-8`, lines + countNewlines(view, bad));
      }
      reader.push(view.toString('utf8', 0, complete));
      lines += countNewlines(view, complete);
      carry = n - complete;
      if (carry) buf.copyWithin(0, complete, n);
      if (final) break;
    }
  } finally {
    closeSync(fd);
  }
  reader.end();
  return { rows: reader.rowsRead, bytes };
}

/** The same reader over text already in memory (HTTP bodies, tests). */
export function streamCsvText(text: string, sink: RowSink, opts: { maxRows?: number } = {}): { rows: number } {
  const reader = new CsvRowReader(sink, opts.maxRows);
  reader.push(text);
  reader.end();
  return { rows: reader.rowsRead };
}
