/**
 * IODA raw-signal JSON: `{type, metadata, requestParameters, error, data: [[{entityType, entityCode, entityName,
 * datasource, subtype, from, until, step, nativeStep, values: [number|null]}]]}`, values at `from + i*step`.
 * Also accepts IODA outage events JSON (`data: [{entity: {code, name, type}, from, until, score, datasource}]`)
 * as labels.
 */
import { z } from 'zod';
import { describeIssues } from '../../core/errors.js';
import { SignalFormatError, type LabelledEvent, type Series } from '../model.js';
import { parseEntity, signalValue, toAlpha2 } from './build.js';

const SignalSchema = z.object({
  entityType: z.string(),
  entityCode: z.union([z.string(), z.number()]).transform(String),
  entityName: z.string().optional().nullable(),
  datasource: z.string().min(1),
  subtype: z.string().optional().nullable(),
  from: z.number().int(),
  until: z.number().int().optional(),
  step: z.number().int().positive(),
  nativeStep: z.number().int().positive().optional(),
  values: z.array(z.number().nullable()),
});

const RawSchema = z.object({
  type: z.string().optional(),
  error: z.unknown().optional(),
  data: z.array(z.array(SignalSchema)),
});

export interface IodaOptions {
  /** Country of region or AS entities (IODA's raw signals carry numeric region codes without their country). */
  country?: string;
}

function fail(e: z.ZodError, what: string): never {
  throw new SignalFormatError(`not valid IODA ${what} JSON: ${describeIssues(e.issues).message}`);
}

export function parseIodaSignals(json: unknown, opts: IodaOptions = {}): Series[] {
  const r = RawSchema.safeParse(json);
  if (!r.success) fail(r.error, 'raw-signal');
  if (r.data.error) throw new SignalFormatError(`the IODA answer reports an error: ${JSON.stringify(r.data.error)}`);
  const out: Series[] = [];
  r.data.data.forEach((group, gi) =>
    group.forEach((s, si) => {
      const where = `data[${gi}][${si}]`;
      const type = s.entityType.toLowerCase();
      const country = opts.country ? toAlpha2(opts.country) : undefined;
      let entity;
      if (type === 'country') entity = parseEntity(s.entityCode, 'country');
      else if (type === 'asn') entity = parseEntity(s.entityCode, 'network', country);
      else if (type === 'region') {
        if (!country) throw new SignalFormatError(`${where}: region ${s.entityCode} (${s.entityName ?? ''}) needs its country: pass --country`);
        entity = { scope: 'region' as const, code: `${country}/${s.entityName || s.entityCode}`, country, name: s.entityName ?? s.entityCode };
      } else throw new SignalFormatError(`${where}: unknown entityType "${s.entityType}" (expected country, region or asn)`);
      if (s.entityName && !entity.name) entity.name = s.entityName;
      if (s.until !== undefined) {
        const expected = Math.ceil((s.until - s.from) / s.step);
        if (Math.abs(expected - s.values.length) > 1) {
          throw new SignalFormatError(`${where}: ${s.values.length} values do not fill from..until at step ${s.step} (expected ${expected})`);
        }
      }
      const signal = s.datasource === 'ping-slash24' || !s.subtype ? s.datasource : `${s.datasource}.${s.subtype}`;
      out.push({ entity, signal, start: s.from, step: s.step, values: Float64Array.from(s.values, (v, i) => signalValue(v, undefined, `${where}: values[${i}]`)) });
    }),
  );
  if (!out.length) throw new SignalFormatError('the IODA file holds no signal');
  return out;
}

const EventSchema = z.object({
  entity: z.object({ code: z.union([z.string(), z.number()]).transform(String), name: z.string().optional(), type: z.string() }),
  from: z.number(),
  until: z.number().nullable().optional(),
  score: z.number().optional(),
  datasource: z.string().optional(),
});

/** IODA outage events → labels (score is kept in the note). */
export function parseIodaEvents(json: unknown, opts: IodaOptions = {}): LabelledEvent[] {
  const r = z.object({ data: z.array(EventSchema) }).safeParse(json);
  if (!r.success) fail(r.error, 'events');
  return r.data.data.map((e) => {
    const type = e.entity.type.toLowerCase();
    const ent = type === 'asn' ? parseEntity(e.entity.code, 'network', opts.country) : type === 'country' ? parseEntity(e.entity.code, 'country') : null;
    if (!ent) throw new SignalFormatError(`IODA event for ${e.entity.type} ${e.entity.code}: only country and asn events are supported as labels`);
    return {
      entity: ent.code,
      scope: ent.scope,
      country: ent.country ?? null,
      kind: 'full' as const,
      start: e.from,
      end: e.until ?? null,
      source: `ioda:${e.datasource ?? 'events'}`,
      note: e.score !== undefined ? `score ${e.score}` : undefined,
    };
  });
}
