/** One entry point for every signal format, with format detection from the content. */
import { readFileSync } from 'node:fs';
import { SignalFormatError, type LabelledEvent, type Series } from '../model.js';
import { parseMonash } from './monash.js';
import { parseIodaEvents, parseIodaSignals } from './ioda.js';
import { parseRadarAnnotations, parseRadarTrafficCsv, parseRadarTrafficJson } from './radar.js';
import { parseGenericCsv, type ColumnMap } from './generic.js';

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
  if (cols.includes('connectivity') || cols.includes('latency_indx')) return 'monash';
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
      return { format, series: parseMonash(text, { utcOffsetHours: opts.utcOffsetHours, signal: opts.signal }), labels: [] };
    case 'csv':
      return { format, series: parseGenericCsv(text, { map: opts.map, scope: opts.scope, country: opts.country, signal: opts.signal }), labels: [] };
    case 'ioda': {
      const j = json();
      const data = (j as { data?: unknown[] } | null)?.data;
      if (Array.isArray(data) && data.length && !Array.isArray(data[0])) return { format, series: [], labels: parseIodaEvents(j, { country: opts.country }) };
      return { format, series: parseIodaSignals(j, { country: opts.country }), labels: [] };
    }
    case 'radar': {
      const t = text.trimStart().replace(/^\uFEFF/, '');
      if (!(t.startsWith('{') || t.startsWith('['))) return { format, series: parseRadarTrafficCsv(text, { entity: opts.entity, signal: opts.signal }), labels: [] };
      const j = json();
      const s = JSON.stringify(j).slice(0, 4096);
      if (/"annotations"|"outageType"|"startDate"/.test(s)) return { format, series: [], labels: parseRadarAnnotations(j) };
      return { format, series: parseRadarTrafficJson(j, { entity: opts.entity, signal: opts.signal }), labels: [] };
    }
  }
}

export function readSignalFile(path: string, opts: ParseOptions = {}): ParsedSignals {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SignalFormatError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseSignalText(text, opts);
  } catch (e) {
    if (e instanceof SignalFormatError) {
      e.message = `${path}: ${e.message}`;
    }
    throw e;
  }
}
