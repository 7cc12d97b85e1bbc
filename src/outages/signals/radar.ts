/**
 * Cloudflare Radar.
 * - Outage annotations (`{result: {annotations: [...]}}`, `{annotations: [...]}` or a bare array) become labelled
 *   events: NATIONWIDE → the country, REGIONAL → the country's regions named in the description are unknown, so
 *   the label stays on the country with scope region, NETWORK → each ASN listed.
 * - Traffic series: the API's JSON (`{result: {serie_0: {timestamps: [ISO], values: [string|number]}, meta}}`, any
 *   number of `serie_*`/named series) or a CSV with a time column (`timestamp`, `timestamps`, `date` or `time`) and
 *   one value column per series. Radar does not name the entity in the series itself: pass it (`--entity IR`,
 *   `AS12345`); a CSV whose value columns are named by entity ("IR", "AS12345") needs no flag.
 */
import { z } from 'zod';
import { describeIssues } from '../../core/errors.js';
import { SignalFormatError, type Entity, type LabelledEvent, type Series } from '../model.js';
import { SeriesCollector, parseEntity, parseTime, signalValue, toAlpha2 } from './build.js';
import { parseCsv } from './csv.js';

const AnnotationSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  asns: z.array(z.number()).optional().default([]),
  asnsDetails: z.array(z.object({ asn: z.union([z.string(), z.number()]), name: z.string().optional() }).passthrough()).optional().default([]),
  dataSource: z.string().optional(),
  eventType: z.string().optional(),
  locations: z.array(z.string()).optional().default([]),
  outage: z.object({ outageCause: z.string().optional(), outageType: z.string().optional() }).optional(),
  startDate: z.string().min(1),
  endDate: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  scope: z.string().nullable().optional(),
});

export function parseRadarAnnotations(json: unknown): LabelledEvent[] {
  let list: unknown = json;
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    const res = o.result as Record<string, unknown> | undefined;
    list = res?.annotations ?? o.annotations;
  }
  const r = z.array(AnnotationSchema).safeParse(list);
  if (!r.success) throw new SignalFormatError(`not valid Radar outage annotations: ${describeIssues(r.error.issues).message}`);
  const labels: LabelledEvent[] = [];
  r.data.forEach((a, i) => {
    if (a.eventType && a.eventType !== 'OUTAGE') return;
    const start = parseTime(a.startDate, undefined, `annotations[${i}].startDate`);
    const end = a.endDate ? parseTime(a.endDate, undefined, `annotations[${i}].endDate`) : null;
    const type = a.outage?.outageType ?? 'NATIONWIDE';
    const note = [a.outage?.outageCause, a.description].filter(Boolean).join(': ');
    const source = `radar:${a.id ?? i}`;
    if (type === 'NETWORK' && (a.asns.length || a.asnsDetails.length)) {
      const asns = a.asns.length ? a.asns : a.asnsDetails.map((d) => Number(d.asn));
      for (const asn of asns) {
        labels.push({ entity: `AS${asn}`, scope: 'network', country: a.locations[0] ? (toAlpha2(a.locations[0]) ?? null) : null, kind: 'full', start, end, source, note });
      }
      return;
    }
    for (const loc of a.locations) {
      const cc = toAlpha2(loc);
      if (!cc) throw new SignalFormatError(`annotations[${i}].locations: "${loc}" is not a country code`);
      labels.push({ entity: cc, scope: type === 'REGIONAL' ? 'region' : 'country', country: cc, kind: 'full', start, end, source, note });
    }
  });
  return labels;
}

export interface RadarTrafficOptions {
  entity?: string;
  signal?: string;
}

const SerieSchema = z.object({ timestamps: z.array(z.string()), values: z.array(z.union([z.string(), z.number(), z.null()])) });

export function parseRadarTrafficJson(json: unknown, opts: RadarTrafficOptions = {}): Series[] {
  const root = (json && typeof json === 'object' ? ((json as Record<string, unknown>).result ?? json) : null) as Record<string, unknown> | null;
  if (!root) throw new SignalFormatError('not Radar traffic JSON: expected an object with "result"');
  const names = Object.keys(root).filter((k) => k !== 'meta');
  if (!names.length) throw new SignalFormatError('Radar traffic JSON holds no series (expected result.serie_0 …)');
  const out = new SeriesCollector();
  for (const name of names) {
    const r = SerieSchema.safeParse(root[name]);
    if (!r.success) throw new SignalFormatError(`result.${name}: ${describeIssues(r.error.issues).message}`);
    const { timestamps, values } = r.data;
    if (timestamps.length !== values.length) throw new SignalFormatError(`result.${name}: ${timestamps.length} timestamps but ${values.length} values`);
    const entity = seriesEntity(name, opts.entity, names.length);
    timestamps.forEach((ts, i) => {
      const raw = values[i];
      const v = signalValue(raw, undefined, `result.${name}.values[${i}]`);
      out.add(entity, opts.signal ?? 'radar-traffic', parseTime(ts, undefined, `result.${name}.timestamps[${i}]`), v, i + 1);
    });
  }
  return out.build();
}

function seriesEntity(name: string, given: string | undefined, count: number): Entity {
  if (given && count === 1) return parseEntity(given);
  try {
    return parseEntity(name);
  } catch {
    if (given) return parseEntity(given);
    throw new SignalFormatError(`Radar series "${name}" does not name its entity: pass --entity (e.g. IR or AS12345)`);
  }
}

export function parseRadarTrafficCsv(text: string, opts: RadarTrafficOptions = {}): Series[] {
  const { header, rows } = parseCsv(text);
  const iTime = header.findIndex((h) => ['timestamp', 'timestamps', 'date', 'time', 'datetime'].includes(h.toLowerCase()));
  if (iTime < 0) throw new SignalFormatError(`missing time column (timestamp, date or time); the header has: ${header.join(', ')}`, 1);
  const valueCols = header.map((h, i) => ({ h, i })).filter((c) => c.i !== iTime);
  if (!valueCols.length) throw new SignalFormatError('no value column next to the time column', 1);
  const entities = valueCols.map((c) => seriesEntity(c.h, opts.entity, valueCols.length));
  const out = new SeriesCollector();
  for (const { line, cells } of rows) {
    const t = parseTime(cells[iTime] ?? '', line, header[iTime]);
    valueCols.forEach((c, k) => out.add(entities[k]!, opts.signal ?? 'radar-traffic', t, signalValue(cells[c.i], line, c.h), line));
  }
  if (!rows.length) throw new SignalFormatError('the file has a header but no data rows');
  return out.build();
}
