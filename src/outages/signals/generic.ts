/**
 * Generic CSV: one point per row, `time, entity, value` by default, any column names through a mapping
 * (`--map time=ts,entity=cc,value=v,signal=source`). Entities: "IR" (country), "AS12345" (network), "IR/Tehran"
 * (region); `scope` forces one. Times: ISO 8601 (UTC unless a zone is written), epoch seconds or milliseconds.
 */
import { z } from 'zod';
import { describeIssues } from '../../core/errors.js';
import { SignalFormatError, type Series } from '../model.js';
import { SeriesCollector, parseEntity, parseTime, sentinelNote, signalValue, toAlpha2, ValueStats, type ParseReport } from './build.js';
import { requireColumn, columnIndex } from './csv.js';
import { streamCsvText, type RowSink } from './stream.js';

export const ColumnMapSchema = z
  .object({
    time: z.string().min(1).default('time'),
    entity: z.string().min(1).default('entity'),
    value: z.string().min(1).default('value'),
    signal: z.string().min(1).optional(),
  })
  .strict();
export type ColumnMap = z.infer<typeof ColumnMapSchema>;

export interface GenericCsvOptions {
  map?: Partial<ColumnMap>;
  scope?: 'country' | 'region' | 'network';
  country?: string;
  signal?: string;
  /** Step in seconds; inferred from the most common gap when absent. */
  step?: number;
}

/** Parses "time=ts,entity=cc,value=v" into a column map. */
export function parseColumnMap(text: string): Partial<ColumnMap> {
  const obj: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SignalFormatError(`--map: "${part}" is not field=column`);
    obj[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const r = ColumnMapSchema.partial().safeParse(obj);
  if (!r.success) throw new SignalFormatError(`--map: ${describeIssues(r.error.issues).message} (fields: time, entity, value, signal)`);
  return r.data;
}

export interface GenericReader {
  sink: RowSink;
  finish(): { series: Series[]; report: ParseReport };
}

export function genericReader(opts: GenericCsvOptions = {}): GenericReader {
  const map = ColumnMapSchema.parse(opts.map ?? {});
  const country = opts.country ? toAlpha2(opts.country) : undefined;
  if (opts.country && !country) throw new SignalFormatError(`--country "${opts.country}" is not a country code`);
  const out = new SeriesCollector();
  const entityCache = new Map<string, ReturnType<typeof parseEntity>>();
  const stats = new ValueStats();
  let iTime = -1;
  let iEntity = -1;
  let iValue = -1;
  let iSignal = -1;
  let rows = 0;
  const sink: RowSink = {
    header(header) {
      iTime = requireColumn(header, map.time, 'time of the point');
      iEntity = requireColumn(header, map.entity, 'country code, AS number or CC/region');
      iValue = requireColumn(header, map.value, 'signal value');
      iSignal = map.signal ? requireColumn(header, map.signal, 'signal kind') : columnIndex(header, 'signal');
    },
    row(cells, line) {
      rows++;
      const raw = cells[iEntity] ?? '';
      let entity = entityCache.get(raw);
      if (!entity) {
        entity = parseEntity(raw, opts.scope, country, line);
        entityCache.set(raw, entity);
      }
      const signal = (iSignal >= 0 ? (cells[iSignal] ?? '').trim() : '') || opts.signal || 'generic';
      out.add(entity, signal, parseTime(cells[iTime] ?? '', line, map.time), signalValue(cells[iValue], line, map.value, stats), line);
    },
  };
  return {
    sink,
    finish() {
      if (!rows) throw new SignalFormatError('the file has a header but no data rows');
      const report: ParseReport = { notes: [], warnings: [] };
      const series = out.build(opts.step, report);
      report.notes.push(`generic CSV: ${rows.toLocaleString('en')} rows, ${series.length} series`);
      const sn = sentinelNote(stats, map.value);
      if (sn) report.notes.push(sn);
      return { series, report };
    },
  };
}

export function parseGenericCsv(text: string, opts: GenericCsvOptions = {}): Series[] {
  const r = genericReader(opts);
  streamCsvText(text, r.sink);
  return r.finish().series;
}
