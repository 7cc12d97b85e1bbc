/** Options shared by the outages sub-commands: how to read a signal file and the detector configuration. */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { UsageError } from '../core/cli-kit.js';
import { AppError } from '../core/errors.js';
import { configFrom, defaultConfig, type DetectorConfig } from './detect/config.js';
import { isoUtc, type OutageEvent } from './model.js';
import { parseColumnMap } from './signals/generic.js';
import { SIGNAL_FORMATS, type ParseOptions, type SignalFormat } from './signals/index.js';

export const fileOptions = {
  format: { type: 'string' },
  entity: { type: 'string' },
  country: { type: 'string' },
  scope: { type: 'string' },
  signal: { type: 'string' },
  'utc-offset': { type: 'string' },
  map: { type: 'string' },
  config: { type: 'string' },
} as const;

export const FILE_USAGE = `  --format ioda|radar|monash|csv   input format (detected from the content when absent)
  --entity CODE        entity of a Radar series (IR, AS12345)
  --country CC         country of IODA region/AS series or generic CSV regions
  --scope country|region|network   force the entity kind of a generic CSV
  --signal KIND        signal kind (bgp, ping-slash24, merit-nt, gtr, monash, radar-traffic, generic)
  --utc-offset HOURS   UTC offset of local times in a Monash file (default per country: IR 3.5, VE -4, MM 6.5)
  --map time=ts,entity=cc,value=v[,signal=s]   column names of a generic CSV
  --config FILE        detector parameters (JSON or YAML; see docs/outages.md)`;

type Values = { [K in keyof typeof fileOptions]?: string };

export function parseOptionsFrom(v: Values): ParseOptions {
  const opts: ParseOptions = {};
  if (v.format) {
    if (!(SIGNAL_FORMATS as readonly string[]).includes(v.format)) throw new UsageError(`--format must be one of ${SIGNAL_FORMATS.join(', ')} (got "${v.format}")`);
    opts.format = v.format as SignalFormat;
  }
  if (v.entity) opts.entity = v.entity;
  if (v.country) opts.country = v.country;
  if (v.scope) {
    if (!['country', 'region', 'network'].includes(v.scope)) throw new UsageError(`--scope must be country, region or network (got "${v.scope}")`);
    opts.scope = v.scope as 'country' | 'region' | 'network';
  }
  if (v.signal) opts.signal = v.signal;
  if (v['utc-offset'] !== undefined) {
    const n = Number(v['utc-offset']);
    if (!Number.isFinite(n) || Math.abs(n) > 14) throw new UsageError(`--utc-offset must be hours between -14 and 14 (got "${v['utc-offset']}")`);
    opts.utcOffsetHours = n;
  }
  if (v.map) opts.map = parseColumnMap(v.map);
  return opts;
}

export function loadConfig(path: string | undefined): DetectorConfig {
  if (!path) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let obj: unknown;
  try {
    obj = path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  return configFrom(obj);
}

/** The JSON shape of an event printed by the CLI and served by the routes. */
export function eventJson(e: OutageEvent) {
  return {
    entity: e.entity,
    scope: e.scope,
    country: e.country,
    ...(e.name ? { name: e.name } : {}),
    kind: e.kind,
    start: isoUtc(e.start),
    end: e.end === null ? null : isoUtc(e.end),
    firstAlertAt: isoUtc(e.firstAlertAt),
    depth: e.depth,
    severity: e.severity,
    confidence: e.confidence,
    signals: e.signals,
    ...(e.members ? { members: e.members } : {}),
    ...(e.memberEvents
      ? { memberEvents: e.memberEvents.map((m) => ({ entity: m.entity, ...(m.name ? { name: m.name } : {}), kind: m.kind, start: isoUtc(m.start), end: m.end === null ? null : isoUtc(m.end), depth: m.depth })) }
      : {}),
    ...(e.dataEnd !== undefined ? { dataEnd: isoUtc(e.dataEnd) } : {}),
  };
}

/** Writes what the reader did and what the detector warns about (stderr, so JSON on stdout stays clean). */
export function writeReport(stderr: NodeJS.WritableStream, notes: string[], warnings: string[]) {
  for (const n of notes) stderr.write(`note: ${n}\n`);
  for (const w of warnings) stderr.write(`warning: ${w}\n`);
}

/** Runs a command body, turning usage and data errors into a message and exit code 2 / 1. */
export async function guarded(stderr: NodeJS.WritableStream, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof AppError) {
      stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
