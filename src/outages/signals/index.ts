/** One entry point for every signal format, with format detection from the content. */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { SignalFormatError, type LabelledEvent, type Series } from '../model.js';
import { monashReader } from './monash.js';
import type { ParseReport } from './build.js';
import { invalidUtf8At, streamCsvFile, streamCsvText, type RowSink } from './stream.js';
import { parseIodaEvents, parseIodaSignals } from './ioda.js';
import { parseRadarAnnotations, parseRadarTrafficCsv, parseRadarTrafficJson } from './radar.js';
import { genericReader, type ColumnMap } from './generic.js';

export const SIGNAL_FORMATS = ['ioda', 'radar', 'monash', 'csv'] as const;
export type SignalFormat = (typeof SIGNAL_FORMATS)[number];

export interface ParseOptions {
  format?: SignalFormat;
  entity?: string;
  country?: string;
  scope?: 'country' | 'region' | 'network';
  signal?: string;
  utcOffsetHours?: number;
  map?: Partial<ColumnMap>;
}

export interface ParsedSignals {
  format: SignalFormat;
  series: Series[];
  labels: LabelledEvent[];
  /** What the reader did (aggregations, sentinels, shifts) and what it warns about. */
  report: ParseReport;
}

function emptyReport(): ParseReport {
  return { notes: [], warnings: [] };
}

function csvReader(format: 'monash' | 'csv', opts: ParseOptions): { sink: RowSink; finish(): { series: Series[]; report: ParseReport } } {
  return format === 'monash'
    ? monashReader({ utcOffsetHours: opts.utcOffsetHours, signal: opts.signal })
    : genericReader({ map: opts.map, scope: opts.scope, country: opts.country, signal: opts.signal });
}

export function detectFormat(text: string): SignalFormat {
  const head = text.slice(0, 4096).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    if (/"entityType"|"datasource"/.test(head)) return 'ioda';
    if (/"annotations"|"outageType"|"serie_|"timestamps"/.test(head)) return 'radar';
    if (/"entity"\s*:\s*\{/.test(head)) return 'ioda';
    throw new SignalFormatError('cannot tell the JSON format: pass --format ioda or --format radar');
  }
  const firstLine = (head.split(/\r?\n/)[0] ?? '').toLowerCase();
  const cols = firstLine.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cols.includes('connectivity') || cols.includes('latency_indx') || (cols.includes('ip_hash') && cols.includes('rtt'))) return 'monash';
  if (cols.includes('entity') || cols.includes('value')) return 'csv';
  if (cols.some((c) => ['timestamp', 'timestamps', 'date'].includes(c))) return 'radar';
  return 'csv';
}

export function parseSignalText(text: string, opts: ParseOptions = {}): ParsedSignals {
  if (!text.trim()) throw new SignalFormatError('the file is empty');
  const format = opts.format ?? detectFormat(text);
  const json = () => {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new SignalFormatError(`not valid JSON: ${(e as Error).message}`);
    }
  };
  switch (format) {
    case 'monash':
    case 'csv': {
      const r = csvReader(format, opts);
      streamCsvText(text, r.sink);
      return { format, labels: [], ...r.finish() };
    }
    case 'ioda': {
      const j = json();
      const data = (j as { data?: unknown[] } | null)?.data;
      if (Array.isArray(data) && data.length && !Array.isArray(data[0])) return { format, series: [], labels: parseIodaEvents(j, { country: opts.country }), report: emptyReport() };
      return { format, series: parseIodaSignals(j, { country: opts.country }), labels: [], report: emptyReport() };
    }
    case 'radar': {
      const t = text.trimStart().replace(/^\uFEFF/, '');
      if (!(t.startsWith('{') || t.startsWith('['))) return { format, series: parseRadarTrafficCsv(text, { entity: opts.entity, signal: opts.signal }), labels: [], report: emptyReport() };
      const j = json();
      const s = JSON.stringify(j).slice(0, 4096);
      if (/"annotations"|"outageType"|"startDate"/.test(s)) return { format, series: [], labels: parseRadarAnnotations(j), report: emptyReport() };
      return { format, series: parseRadarTrafficJson(j, { entity: opts.entity, signal: opts.signal }), labels: [], report: emptyReport() };
    }
  }
}

function readHead(path: string, bytes = 4096): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SignalFormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a signal file. CSV layouts (Monash, generic) are streamed: memory grows with the points kept, not with the
 * text, and `maxRows` turns an oversized file into a clear error. JSON formats are read whole. Text must be UTF-8.
 */
export function readSignalFile(path: string, opts: ParseOptions & { maxRows?: number } = {}): ParsedSignals {
  try {
    const head = readHead(path);
    if (!head.length) throw new SignalFormatError('the file is empty');
    const { bad } = invalidUtf8At(head, false);
    if (bad >= 0) throw new SignalFormatError(`the file is not UTF-8 text (byte 0x${head[bad]!.toString(16).padStart(2, '0')} at byte ${bad + 1}); save it as UTF-8`, 1 + head.subarray(0, bad).filter((b) => b === 10).length);
    const format = opts.format ?? detectFormat(head.toString('utf8'));
    if (format === 'monash' || format === 'csv') {
      const r = csvReader(format, opts);
      streamCsvFile(path, r.sink, { maxRows: opts.maxRows });
      return { format, labels: [], ...r.finish() };
    }
    const buf = readFileSync(path);
    const { bad: bad2 } = invalidUtf8At(buf, true);
    if (bad2 >= 0) throw new SignalFormatError(`the file is not UTF-8 text (byte 0x${buf[bad2]!.toString(16).padStart(2, '0')} at byte ${bad2 + 1}); save it as UTF-8`, 1 + buf.subarray(0, bad2).filter((b) => b === 10).length);
    return parseSignalText(buf.toString('utf8'), { ...opts, format });
  } catch (e) {
    if (e instanceof SignalFormatError && !e.message.startsWith(`${path}: `)) {
      e.message = `${path}: ${e.message}`;
    }
    throw e;
  }
}
