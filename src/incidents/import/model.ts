import { createHash } from 'node:crypto';
import countries from 'i18n-iso-countries';
import { countryCodeFromName, countryName } from '../../core/countries.js';
import { searchText as registrySearchText } from '../service.js';
import type { IncidentStatus, IncidentType, Severity, TimePrecision } from '../../core/taxonomy.js';
import type { TlpLabel } from '../../core/tlp.js';

/** A problem found in an imported row; the row is kept and the problem recorded in `incidents.data_quality`. */
export interface DataQualityFlag {
  code: string;
  reason: string;
}

/** Same shape as the registry's IncidentActor (src/incidents/model.ts), so imported incidents can be edited through the API. */
export interface ImportActor {
  name: string;
  role: 'ordered_by' | 'carried_out_by' | 'requested_by' | 'other';
}

export interface ImportSource {
  url: string;
  title: string;
  publisher: string;
}

/** One incident as an importer builds it, before it is written. */
export interface ImportedIncident {
  originKey: string;
  origin: 'stop' | 'ioda';
  type: IncidentType;
  title: string;
  country: string;
  area: string | null;
  /** Same shape as the registry's Network: `{asn?, name?}`. */
  networks: { asn?: number; name?: string }[];
  services: string[];
  actors: ImportActor[];
  targets: string[];
  startAt: Date | null;
  startPrecision: TimePrecision;
  endAt: Date | null;
  endPrecision: TimePrecision;
  /** ended (endAt set), ongoing (the data set says it continues, as of ongoingAsOf) or unknown (no end recorded). */
  endState: 'ended' | 'ongoing' | 'unknown';
  ongoingAsOf: Date | null;
  /** The data set's own period for this row (STOP: the year of the sheet that lists it); null for a summary incident. */
  datasetPeriod: string | null;
  status: IncidentStatus;
  severity: Severity;
  tlp: TlpLabel;
  summary: string;
  description: string;
  tags: string[];
  dataQuality: DataQualityFlag[];
  sources: ImportSource[];
}

/** Evidence to attach to an incident that already exists (or is created earlier in the same import). */
export interface ImportedEvidence {
  kind: 'outage_event' | 'document';
  ref: string;
  summary: string;
  data: Record<string, unknown>;
  /** Sources to add to the target incident. */
  sources: ImportSource[];
  /** When set and later than the target's end (or the target has none), the target's end moves to it. */
  extendEndTo?: Date | null;
  /** When set, the target (still without an end) is known to continue at least to this day. */
  extendOngoingTo?: Date | null;
  /** The data set's own period for this row (see ImportedIncident.datasetPeriod); undefined: not a data-set record. */
  datasetPeriod?: string | null;
}

/** What an importer plans for one input row. `row` is the 1-based row number in the sheet or file (header = 1). */
export type PlannedRow =
  | {
      action: 'create';
      sheet?: string;
      row: number;
      flags: DataQualityFlag[];
      incident: ImportedIncident;
      /** An incident that stands for several rows (a daily series); its rows are planned as attachments to it. */
      derived?: boolean;
    }
  | {
      action: 'attach';
      sheet?: string;
      row: number;
      flags: DataQualityFlag[];
      /** The incident to attach to: by id (already stored) or by origin key (created by this import). */
      target: { incidentId: string } | { originKey: string };
      evidence: ImportedEvidence;
    }
  | { action: 'skip'; sheet?: string; row: number; flags: DataQualityFlag[] };

export interface ImportFlag {
  sheet?: string;
  row: number;
  code: string;
  reason: string;
}

export interface ImportSummary {
  runId: string;
  rowsRead: number;
  /** New incidents created. */
  imported: number;
  /** Rows that became evidence or sources on an existing incident instead of a duplicate. */
  merged: number;
  /** Rows with at least one data-quality flag (imported, merged or skipped). */
  flagged: number;
  /** Rows already present from an earlier run. */
  unchanged: number;
  /** Rows not written at all (flagged only): no usable country, duplicate of another row of the same file. */
  skipped: number;
  /** Incidents made for a series of consecutive daily records (their rows count as merged). */
  series?: number;
  /** Pairs of likely duplicates found among the incidents this run created and the registry (see duplicates.ts). */
  likelyDuplicates?: number;
  /** Rows read per sheet (STOP) or one entry for the file (IODA). */
  perSheet: Record<string, number>;
  flags: ImportFlag[];
}

export interface ImportOptions {
  orgId: string;
  actorLabel?: string;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export const DAY_MS = 86_400_000;

/** A stable short hash of any JSON-able value (keys sorted), for origin keys. */
export function stableHash(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/** ISO code for a country as the field's data sets write it; tolerant of "X (Y)", "X, Y of", "X & Y", "CamelCase". */
export function resolveCountry(raw: string): string | undefined {
  const name = raw.replace(/\s+/g, ' ').trim();
  if (!name) return undefined;
  const tries = [
    name,
    name.replace(/\s*\(.*\)\s*$/, ''),
    (name.match(/\(([^)]+)\)/) ?? [])[1] ?? '',
    name.replace(/&/g, 'and'),
    name.replace(/^(.*), (.*)$/, '$2 $1'),
    name.replace(/([a-z])([A-Z])/g, '$1 $2'),
    name.split('/')[0] ?? '',
  ];
  for (const t of tries) {
    const code = t.trim() ? countryCodeFromName(t.trim()) : undefined;
    if (code) return code;
  }
  return undefined;
}

/** A short English country name for titles ("Iran" rather than "Iran, Islamic Republic of"). */
export function shortCountryName(code: string): string {
  const alias = countries.getName(code, 'en', { select: 'alias' });
  return alias ?? countryName(code);
}

export function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Text for full-text search, built the same way as for incidents entered by hand (src/incidents/service.ts). */
export function searchText(i: ImportedIncident): string {
  return registrySearchText(i);
}

const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`);

/**
 * Keeps an imported incident inside the limits of the registry's input contract (IncidentInputSchema): title 300,
 * area 300, summary 5,000 characters; at most 100 services of 100 characters, 50 actors with names of 200, 50 tags
 * of 60, 200 networks. Long free text from the sources is shortened, never rejected (the full text stays in the
 * description or the evidence data).
 */
export function conform(i: ImportedIncident): ImportedIncident {
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  return {
    ...i,
    title: cut(i.title, 300),
    area: i.area === null ? null : cut(i.area, 300),
    networks: i.networks.slice(0, 200).map((n) => (n.name ? { ...n, name: cut(n.name, 200) } : n)),
    services: uniq(i.services.map((x) => cut(x.trim(), 100)).filter(Boolean)).slice(0, 100),
    actors: i.actors.filter((a) => a.name.trim()).slice(0, 50).map((a) => ({ name: cut(a.name.trim(), 200), role: a.role })),
    summary: cut(i.summary, 5000),
    description: cut(i.description, 100_000),
    tags: uniq(i.tags.map((t) => cut(t.trim(), 60)).filter(Boolean)).slice(0, 50),
  };
}

/** Lower-case slug for tags: "Power-Outage" → "power-outage". */
export function slug(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** URLs in a free-text cell ("a; b", "a, b", with prose around). Trailing punctuation is dropped. */
export function extractUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/https?:\/\/[^\s;,"<>]+(?:,[^\s;,"<>]+)*/gi)) {
    let u = m[0];
    // A comma directly followed by "http" separates two links written without a space.
    for (const part of u.split(/,(?=https?:\/\/)/i)) {
      u = part.replace(/[.,;:)\]]+$/, '');
      if (u.length > 10 && !out.includes(u)) out.push(u);
    }
  }
  return out;
}

export function publisherOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}
