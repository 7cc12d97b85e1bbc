import type { IncidentType } from '../../core/taxonomy.js';
import { CsvError, parseCsv } from './csv.js';
import {
  DAY_MS,
  conform,
  resolveCountry,
  shortCountryName,
  slug,
  stableHash,
  type DataQualityFlag,
  type ImportedIncident,
  type PlannedRow,
} from './model.js';
import { ImportFileError } from './stop.js';

/**
 * IODA "investigated outages" list (InetIntel, 2018–2022): one outage per row, begin/end written like
 * "Wednesday, March 17, 2021, 4:40:00 PM" (UTC, minute precision), country, scope "Country" / "Region (name)" /
 * "AS (number)", cause, confirmation status, and ~60 empty trailing columns.
 */

export type IodaScope = 'country' | 'region' | 'as' | 'unknown';

export interface IodaOutage {
  /** Line of the record in the file (header = 1). */
  line: number;
  id: string;
  key: string;
  begin: Date | null;
  end: Date | null;
  countryRaw: string;
  country: string | undefined;
  scope: IodaScope;
  scopeRaw: string;
  region: string | null;
  asn: number | null;
  cause: string | null;
  confirmation: string | null;
  visibility: { bgp: boolean | null; activeProbing: boolean | null; telescope: boolean | null };
  manuallyVerified: boolean | null;
  dashboardUrl: string | null;
  notes: string | null;
  raw: Record<string, string>;
  flags: DataQualityFlag[];
}

const REQUIRED_COLUMNS: { key: string; match: (h: string) => boolean; label: string }[] = [
  { key: 'id', match: (h) => h === 'id', label: 'ID' },
  { key: 'begin', match: (h) => h === 'begin time', label: 'Begin time' },
  { key: 'end', match: (h) => h === 'end time', label: 'End time' },
  { key: 'country', match: (h) => h === 'country', label: 'Country' },
  { key: 'scope', match: (h) => h.startsWith('scope'), label: 'Scope' },
  { key: 'cause', match: (h) => h === 'cause', label: 'Cause' },
  { key: 'confirmation', match: (h) => h === 'confirmation status', label: 'Confirmation Status' },
];
const OPTIONAL_COLUMNS: { key: string; match: (h: string) => boolean }[] = [
  { key: 'region', match: (h) => h === 'region' },
  { key: 'as', match: (h) => h === 'as' || h === 'asn' },
  { key: 'bgp', match: (h) => h.startsWith('ioda bgp') },
  { key: 'ap', match: (h) => h.startsWith('ioda ap') },
  { key: 'ibr', match: (h) => h.startsWith('ioda ibr') },
  { key: 'verified', match: (h) => h === 'manually verified' },
  { key: 'dashboard', match: (h) => h.startsWith('grafana') },
  { key: 'notes', match: (h) => h === 'notes' },
];

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export type TimeParse = { at: Date; notes: DataQualityFlag[] } | { error: string } | null;

/**
 * Parses one IODA time. Accepts "Wednesday, March 17, 2021, 4:40:00 PM" (weekday optional, seconds optional or
 * empty) and "7/28/2020 17:00:00 PM" (month/day/year). An hour of 13–23 next to AM/PM is read on the 24-hour clock
 * and noted. Returns null for an empty or "N/A" cell.
 */
export function parseIodaTime(rawText: string, what: 'begin' | 'end'): TimeParse {
  const raw = rawText.replace(/\s+/g, ' ').trim();
  if (!raw || /^(n\/?a|none|unknown|-)$/i.test(raw)) return null;
  const notes: DataQualityFlag[] = [];
  let year: number, month: number, day: number, hour: number, minute: number, second: number;
  let marker: string | undefined;
  let weekday: string | undefined;
  let m = raw.match(/^(?:([A-Za-z]+),? )?([A-Za-z]+) (\d{1,2}), ?(\d{4}),? (\d{1,2}):(\d{1,2})(?::(\d{0,2}))? ?([AP]\.?M\.?)?$/i);
  if (m) {
    weekday = m[1]?.toLowerCase();
    const mi = MONTHS.findIndex((x) => x.startsWith(m![2]!.toLowerCase()) && m![2]!.length >= 3);
    if (mi < 0) return { error: `${what} time "${raw}": unknown month "${m[2]}"` };
    month = mi;
    day = Number(m[3]);
    year = Number(m[4]);
    hour = Number(m[5]);
    minute = Number(m[6]);
    second = m[7] ? Number(m[7]) : 0;
    marker = m[8]?.replace(/\./g, '').toUpperCase();
  } else if ((m = raw.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{1,2})(?::(\d{1,2}))? ?([AP]M)?$/i))) {
    month = Number(m[1]) - 1;
    day = Number(m[2]);
    year = Number(m[3]);
    hour = Number(m[4]);
    minute = Number(m[5]);
    second = m[6] ? Number(m[6]) : 0;
    marker = m[7]?.toUpperCase();
  } else if ((m = raw.match(/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?$/))) {
    year = Number(m[1]);
    month = Number(m[2]) - 1;
    day = Number(m[3]);
    hour = Number(m[4]);
    minute = Number(m[5]);
    second = m[6] ? Number(m[6]) : 0;
  } else {
    return { error: `${what} time "${raw}" is not a date and time` };
  }
  if (marker) {
    if (hour > 12) {
      notes.push({ code: 'time_repaired', reason: `${what} time "${raw}" has hour ${hour} with ${marker}; read on the 24-hour clock` });
    } else if (hour === 0) {
      return { error: `${what} time "${raw}" has hour 0 with ${marker}` };
    } else if (marker === 'AM') hour = hour === 12 ? 0 : hour;
    else hour = hour === 12 ? 12 : hour + 12;
  }
  if (hour > 23 || minute > 59 || second > 59) return { error: `${what} time "${raw}" is out of range` };
  const at = new Date(Date.UTC(year, month, day, hour, minute, second));
  if (at.getUTCDate() !== day || at.getUTCMonth() !== month) return { error: `${what} time "${raw}": ${day} is not a day of that month` };
  if (weekday && WEEKDAYS.some((w) => w.startsWith(weekday!)) && !WEEKDAYS[at.getUTCDay()]!.startsWith(weekday)) {
    notes.push({ code: 'weekday_mismatch', reason: `${what} time "${raw}": ${at.toISOString().slice(0, 10)} is a ${WEEKDAYS[at.getUTCDay()]}, not a ${weekday}` });
  }
  // Minute precision: seconds are dropped.
  at.setUTCSeconds(0, 0);
  return { at, notes };
}

function bool(v: string | undefined): boolean | null {
  const t = (v ?? '').trim().toLowerCase();
  if (t === 'true' || t === 'ture' || t === 'yes') return true;
  if (t === 'false' || t === 'no') return false;
  return null;
}

function blank(v: string | undefined): string | null {
  const t = (v ?? '').replace(/\s+/g, ' ').trim();
  return t ? t : null;
}

/** Reads and validates the file; throws ImportFileError for a file that cannot be used as a whole. */
export function readIodaOutages(text: string): IodaOutage[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvError) throw new ImportFileError(`malformed CSV: ${e.message}`);
    throw e;
  }
  const header = records[0];
  if (!header) throw new ImportFileError('the file is empty');
  const names = header.fields.map((h) => h.replace(/\s+/g, ' ').trim().toLowerCase());
  const col: Record<string, number> = {};
  const missing: string[] = [];
  for (const c of REQUIRED_COLUMNS) {
    const i = names.findIndex(c.match);
    if (i < 0) missing.push(c.label);
    else col[c.key] = i;
  }
  if (missing.length) throw new ImportFileError(`required column${missing.length > 1 ? 's' : ''} missing: ${missing.join(', ')} (header: ${header.fields.filter((h) => h.trim()).slice(0, 15).join(', ')})`);
  for (const c of OPTIONAL_COLUMNS) {
    const i = names.findIndex(c.match);
    if (i >= 0) col[c.key] = i;
  }
  const lastRequired = Math.max(...REQUIRED_COLUMNS.map((c) => col[c.key]!));
  const out: IodaOutage[] = [];
  const get = (f: string[], k: string) => (col[k] === undefined ? undefined : f[col[k]!]);
  for (const rec of records.slice(1)) {
    const f = rec.fields;
    if (f.every((x) => x.trim() === '')) continue;
    if (f.length <= lastRequired) {
      throw new ImportFileError(`line ${rec.line} has ${f.length} fields but the header names ${header.fields.length}; the file looks truncated or damaged`);
    }
    const flags: DataQualityFlag[] = [];
    const raw: Record<string, string> = {};
    header.fields.forEach((h, i) => {
      const name = h.trim();
      const v = (f[i] ?? '').trim();
      if (name && v) raw[name] = v;
    });
    const id = (get(f, 'id') ?? '').trim();
    const beginRaw = get(f, 'begin') ?? '';
    const endRaw = get(f, 'end') ?? '';
    let begin: Date | null = null;
    let end: Date | null = null;
    const b = parseIodaTime(beginRaw, 'begin');
    if (b === null) flags.push({ code: 'begin_missing', reason: 'no begin time' });
    else if ('error' in b) flags.push({ code: 'time_unparseable', reason: b.error });
    else {
      begin = b.at;
      flags.push(...b.notes);
    }
    const e = parseIodaTime(endRaw, 'end');
    if (e === null) flags.push({ code: 'end_missing', reason: `no end time${endRaw.trim() ? ` ("${endRaw.trim()}")` : ''}; outage kept as ongoing or unknown` });
    else if ('error' in e) flags.push({ code: 'time_unparseable', reason: e.error });
    else {
      end = e.at;
      flags.push(...e.notes);
    }
    if (begin && end && end.getTime() < begin.getTime()) {
      flags.push({
        code: 'time_reversed',
        reason: `end ${end.toISOString().slice(0, 16)}Z is before begin ${begin.toISOString().slice(0, 16)}Z; end kept as unknown`,
      });
      end = null;
    }
    const countryRaw = (get(f, 'country') ?? '').trim();
    const scopeRaw = (get(f, 'scope') ?? '').replace(/\s+/g, ' ').trim();
    let scope: IodaScope = 'unknown';
    let region = blank(get(f, 'region'));
    const asText = blank(get(f, 'as'));
    let asn: number | null = asText && /^\s*(?:AS)?\s*(\d+)\s*$/i.test(asText) ? Number(asText.replace(/\D/g, '')) : null;
    let sm: RegExpMatchArray | null;
    if (/^country$/i.test(scopeRaw)) scope = 'country';
    else if ((sm = scopeRaw.match(/^region\s*(?:\((.*)\))?$/i))) {
      scope = 'region';
      region = blank(sm[1]) ?? region;
    } else if ((sm = scopeRaw.match(/^AS\s*\(?\s*(\d+)\s*\)?$/i))) {
      scope = 'as';
      asn = Number(sm[1]);
    } else if (scopeRaw) flags.push({ code: 'scope_unknown', reason: `scope "${scopeRaw}" is not Country, Region (…) or AS (…)` });
    else flags.push({ code: 'scope_missing', reason: 'no scope' });
    if (scope === 'region' && !region) flags.push({ code: 'region_missing', reason: 'regional outage without a region name' });
    const verified = bool(get(f, 'verified'));
    const dashboard = blank(get(f, 'dashboard'));
    out.push({
      line: rec.line,
      id,
      key: '',
      begin,
      end,
      countryRaw,
      country: resolveCountry(countryRaw),
      scope,
      scopeRaw,
      region,
      asn,
      cause: blank(get(f, 'cause')),
      confirmation: blank(get(f, 'confirmation')),
      visibility: { bgp: bool(get(f, 'bgp')), activeProbing: bool(get(f, 'ap')), telescope: bool(get(f, 'ibr')) },
      manuallyVerified: verified,
      dashboardUrl: dashboard && /^https?:\/\//.test(dashboard) ? dashboard : null,
      notes: blank(get(f, 'notes')),
      raw,
      flags,
    });
  }
  if (out.length === 0) throw new ImportFileError('the file has a header but no outage rows');
  return out;
}

/** A STOP shutdown as the matcher sees it. */
export interface StopCandidate {
  id: string;
  /** The STOP row's origin key: breaks ties, so the choice is the same on every database and every run. */
  key: string;
  country: string;
  startAt: Date;
  endAt: Date | null;
  area: string | null;
  type: string;
  /** STOP marked it nationwide (or gave no area). */
  nationwide: boolean;
}

/** IODA causes that a government-ordered shutdown can be recorded under; technical and natural causes never match. */
export function causeMayBeShutdown(cause: string | null): boolean {
  return !cause || /^(unknown|government[- ]ordered|exams?)$/i.test(cause.trim());
}

export const MATCH_TOLERANCE_MS = DAY_MS;
/** A STOP shutdown longer than this matches only outages that begin near its first day or end near its last day. */
export const LONG_SHUTDOWN_MS = 7 * DAY_MS;

function fold(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * The matching rule. An IODA outage O matches a STOP shutdown S when:
 *  1. same country, and S is a network shutdown or throttling (service blocking leaves no trace in IODA's signals);
 *  2. O's cause is blank, Unknown, Government-Ordered or Exams (technical and natural causes never match);
 *  3. the places agree: S is nationwide, or O is regional and its region name appears in S's area, or O is an AS
 *     outage (one operator, inside any shutdown of that country);
 *  4. O's span [begin, end (or begin)] overlaps S's days [start day − 1 day, end day (or start day) + 1 day], the end
 *     day counted whole (a one-day tolerance each side, as STOP records days and IODA minutes);
 *  5. if S lasted more than 7 days, O begins within one day of S's first day or ends within one day of S's last day
 *     (a months-long shutdown does not absorb every unrelated outage in the country).
 * Among several matches: region named in S's area first, then a country-wide outage against a full shutdown, then the
 * STOP start nearest to O's begin, then the smaller STOP origin key (so the choice never depends on storage order).
 */
function better(a: number[], aKey: string, b: number[], bKey: string): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return aKey < bKey;
}

export function matchStop(o: IodaOutage, byCountry: Map<string, StopCandidate[]>): StopCandidate | undefined {
  if (!o.country || !o.begin || !causeMayBeShutdown(o.cause)) return undefined;
  const list = byCountry.get(o.country);
  if (!list) return undefined;
  const ob = o.begin.getTime();
  const oe = (o.end ?? o.begin).getTime();
  let best: { c: StopCandidate; score: number[] } | undefined;
  for (const c of list) {
    if (c.type === 'blocking.service') continue;
    const regionInArea = o.scope === 'region' && !!o.region && !!c.area && fold(c.area).includes(fold(o.region));
    if (!(c.nationwide || regionInArea || o.scope === 'as')) continue;
    const s = c.startAt.getTime();
    const lastDay = (c.endAt ?? c.startAt).getTime();
    const lo = s - MATCH_TOLERANCE_MS;
    const hi = lastDay + DAY_MS + MATCH_TOLERANCE_MS;
    if (!(ob < hi && oe >= lo)) continue;
    if (lastDay - s > LONG_SHUTDOWN_MS) {
      const nearStart = Math.abs(ob - s) <= DAY_MS + MATCH_TOLERANCE_MS;
      const nearEnd = c.endAt !== null && Math.abs(oe - (lastDay + DAY_MS)) <= DAY_MS + MATCH_TOLERANCE_MS;
      if (!nearStart && !nearEnd) continue;
    }
    const regionHit = regionInArea ? 0 : 1;
    const nationalHit = o.scope === 'country' && c.type === 'shutdown.full' ? 0 : 1;
    const score = [regionHit, nationalHit, Math.abs(ob - s)];
    if (!best || better(score, c.key, best.score, best.c.key)) best = { c, score };
  }
  return best?.c;
}

function fmtTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function duration(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `${Math.round(h / 24)} days`;
}

function typeOf(o: IodaOutage): IncidentType {
  const gov = o.cause !== null && /^(government[- ]ordered|exams?)$/i.test(o.cause);
  if (!gov) return 'other';
  if (o.scope === 'region') return 'shutdown.regional';
  return 'shutdown.full';
}

function describe(o: IodaOutage): { place: string; summary: string } {
  const cname = o.country ? shortCountryName(o.country) : o.countryRaw;
  const place = o.scope === 'region' && o.region ? `${o.region}, ${cname}` : o.scope === 'as' && o.asn ? `AS${o.asn}, ${cname}` : cname;
  const seen = [
    o.visibility.bgp ? 'BGP' : null,
    o.visibility.activeProbing ? 'active probing' : null,
    o.visibility.telescope ? 'the network telescope' : null,
  ].filter(Boolean);
  const parts: string[] = [];
  const when = o.begin
    ? o.end
      ? `from ${fmtTime(o.begin)} to ${fmtTime(o.end)} (${duration(o.end.getTime() - o.begin.getTime())})`
      : `from ${fmtTime(o.begin)} (end not recorded)`
    : '(time not recorded)';
  const scopeWord = o.scope === 'country' ? 'Country-wide' : o.scope === 'region' ? 'Regional' : o.scope === 'as' ? 'Network (AS)' : 'An';
  parts.push(`${scopeWord} internet outage in ${place} ${when}, investigated by IODA.`);
  if (seen.length) parts.push(`Visible in ${seen.join(', ')}.`);
  parts.push(`Cause: ${o.cause ?? 'not recorded'}.`);
  parts.push(`Confirmation: ${o.confirmation ?? 'not recorded'}.`);
  return { place, summary: parts.join(' ') };
}

export function outageData(o: IodaOutage): Record<string, unknown> {
  return {
    id: o.id,
    line: o.line,
    begin: o.begin?.toISOString() ?? null,
    end: o.end?.toISOString() ?? null,
    country: o.country ?? null,
    countryName: o.countryRaw,
    scope: o.scope,
    region: o.region,
    asn: o.asn,
    cause: o.cause,
    confirmation: o.confirmation,
    visibility: o.visibility,
    manuallyVerified: o.manuallyVerified,
    dashboardUrl: o.dashboardUrl,
    notes: o.notes,
    dataQuality: o.flags,
    raw: o.raw,
  };
}

function incidentOf(o: IodaOutage, code: string): ImportedIncident {
  const type = typeOf(o);
  const { place, summary } = describe(o);
  const causeTag = o.cause ? slug(o.cause) : 'cause-unknown';
  const tags = new Set<string>(['ioda', causeTag === 'unknown' ? 'cause-unknown' : causeTag]);
  if (type === 'other') tags.add('unverified-signal');
  if (o.cause && /^exams?$/i.test(o.cause)) tags.add('exams');
  if (o.scope === 'country') tags.add('nationwide');
  const day = o.begin ? o.begin.toISOString().slice(0, 10) : 'date unknown';
  const head =
    type === 'shutdown.regional'
      ? 'Regional shutdown'
      : type === 'shutdown.full'
        ? 'Internet shutdown'
        : `Internet outage (${o.cause && !/^unknown$/i.test(o.cause) ? o.cause.replace(/-/g, ' ').toLowerCase() : 'cause unknown'})`;
  const sources =
    o.begin && code
      ? [
          {
            url: `https://ioda.inetintel.cc.gatech.edu/${o.scope === 'as' && o.asn ? `asn/${o.asn}` : `country/${code}`}?from=${Math.floor(o.begin.getTime() / 1000) - 3 * 3600}&until=${Math.floor((o.end ?? o.begin).getTime() / 1000) + 3 * 3600}`,
            title: 'IODA dashboard',
            publisher: 'IODA',
          },
        ]
      : [];
  return conform({
    originKey: o.key,
    origin: 'ioda',
    type,
    title: `${head} in ${place} (${day})`,
    country: code,
    area: o.scope === 'region' ? o.region : null,
    networks: o.asn ? [{ asn: o.asn, name: `AS${o.asn}` }] : [],
    services: [],
    actors: type.startsWith('shutdown') && /government/i.test(o.cause ?? '') ? [{ name: 'Government (per IODA)', role: 'ordered_by' }] : [],
    targets: ['general_public'],
    startAt: o.begin,
    startPrecision: 'minute',
    endAt: o.end,
    endPrecision: 'minute',
    // IODA's list is a record of past outages: a missing end is an end that was not recorded, never "ongoing".
    endState: o.end ? 'ended' : 'unknown',
    ongoingAsOf: null,
    datasetPeriod: o.begin ? String(o.begin.getUTCFullYear()) : null,
    // What an incident is (docs/registry.md): IODA confirms that connectivity dropped, not why. An outage it attributes
    // to a government order (or exams) is a documented shutdown; one with an unknown or technical cause that matches no
    // documented shutdown is an unverified signal, kept for review and left out of the default statistics.
    status: type !== 'other' && /^confirmed$/i.test(o.confirmation ?? '') ? 'verified' : 'under_review',
    severity: type === 'shutdown.full' && o.scope === 'country' ? 'high' : type === 'other' ? 'low' : 'medium',
    tlp: 'TLP:CLEAR',
    summary,
    description: [o.notes ? `IODA analyst notes: ${o.notes}` : null, `Source: IODA investigated outages, ID ${o.id || '(none)'}, line ${o.line}.`].filter(Boolean).join('\n\n'),
    tags: [...tags],
    dataQuality: o.flags,
    sources,
  });
}

/**
 * Consecutive daily records of one outage (docs/registry.md): IODA lists a nightly shutdown (Myanmar, Feb–Apr 2021)
 * as one record per night. Records of one country with the same scope, region or network and cause, each shorter
 * than 20 hours (or without an end), each beginning 18–30 hours after the previous one, form one series when there
 * are at least three of them. A series is one event: it is matched against STOP as a whole and becomes one incident
 * (or evidence on one STOP shutdown), with every daily record kept as evidence.
 */
export const SERIES_MIN = 3;
export function dailySeries(outages: IodaOutage[]): IodaOutage[][] {
  const groups = new Map<string, IodaOutage[]>();
  for (const o of outages) {
    if (!o.begin || !o.country) continue;
    if (o.end && o.end.getTime() - o.begin.getTime() >= 20 * 3600_000) continue;
    const k = [o.country, o.scope, fold(o.region ?? ''), o.asn ?? '', fold(o.cause ?? '')].join('|');
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const out: IodaOutage[][] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.begin!.getTime() - b.begin!.getTime() || a.line - b.line);
    let run: IodaOutage[] = [];
    const flush = () => {
      if (run.length >= SERIES_MIN) out.push(run);
      run = [];
    };
    for (const o of list) {
      const prev = run.at(-1);
      const gap = prev ? o.begin!.getTime() - prev.begin!.getTime() : 0;
      if (prev && !(gap >= 18 * 3600_000 && gap <= 30 * 3600_000)) flush();
      run.push(o);
    }
    flush();
  }
  return out;
}

function seriesIncident(series: IodaOutage[], key: string): ImportedIncident {
  const first = series[0]!;
  const last = series.at(-1)!;
  const inc = incidentOf(first, first.country!);
  const end = last.end ?? null;
  const n = series.length;
  const days = `${first.begin!.toISOString().slice(0, 10)} to ${last.begin!.toISOString().slice(0, 10)}`;
  const kind = inc.type === 'other' ? 'Recurring internet outage' : 'Recurring (nightly) internet shutdown';
  const { place } = describe(first);
  return conform({
    ...inc,
    originKey: key,
    title: `${kind} in ${place}, ${n} consecutive days (${days})`,
    endAt: end,
    endState: end ? 'ended' : 'unknown',
    datasetPeriod: null,
    summary: `${kind} in ${place}: ${n} consecutive daily outages recorded by IODA from ${days}, each ${describeHours(series)}. Cause: ${first.cause ?? 'not recorded'}. Confirmation: ${first.confirmation ?? 'not recorded'}. Every daily record is kept as evidence.`,
    description: `Source: IODA investigated outages, IDs ${series.map((o) => o.id || `line ${o.line}`).join(', ')} (lines ${first.line}–${last.line}).`,
    tags: [...inc.tags, 'recurring', 'daily-series'],
    dataQuality: series.flatMap((o) => o.flags.map((f) => ({ code: f.code, reason: `${o.id || `line ${o.line}`}: ${f.reason}` }))),
  });
}

function describeHours(series: IodaOutage[]): string {
  const hours = series.filter((o) => o.end).map((o) => (o.end!.getTime() - o.begin!.getTime()) / 3600_000);
  if (!hours.length) return 'of unrecorded length';
  const lo = Math.min(...hours);
  const hi = Math.max(...hours);
  const f = (h: number) => (Math.round(h * 10) / 10).toString();
  return lo === hi ? `${f(lo)} hours long` : `${f(lo)}–${f(hi)} hours long`;
}

/** Gives each outage a stable key (ioda:<ID>) and plans it: evidence on a matching STOP shutdown, a new incident, or a skip. */
export function planIoda(outages: IodaOutage[], stop: StopCandidate[]): PlannedRow[] {
  const byCountry = new Map<string, StopCandidate[]>();
  for (const s of stop) byCountry.set(s.country, [...(byCountry.get(s.country) ?? []), s]);
  const plans: PlannedRow[] = [];
  const seen = new Map<string, string>();
  const usable: IodaOutage[] = [];
  const early = new Map<IodaOutage, PlannedRow>();
  for (const o of outages) {
    const contentHash = stableHash(o.raw);
    let key = o.id ? `ioda:${o.id}` : `ioda:row-${contentHash}`;
    if (!o.id) o.flags.push({ code: 'id_missing', reason: 'no ID; the key is derived from the row content' });
    const prior = seen.get(key);
    if (prior !== undefined) {
      if (prior === contentHash) {
        early.set(o, { action: 'skip', row: o.line, flags: [...o.flags, { code: 'duplicate_row', reason: `identical to an earlier row with ID ${o.id}` }] });
        continue;
      }
      o.flags.push({ code: 'duplicate_id', reason: `ID ${o.id} is used by an earlier, different row` });
      key = `${key}:${contentHash.slice(0, 8)}`;
    }
    seen.set(key, contentHash);
    o.key = key;
    if (!o.country) {
      early.set(o, {
        action: 'skip',
        row: o.line,
        flags: [...o.flags, { code: 'country_unknown', reason: o.countryRaw ? `"${o.countryRaw}" is not a country` : 'no country' }],
      });
      continue;
    }
    usable.push(o);
  }
  const seriesOf = new Map<IodaOutage, IodaOutage[]>();
  for (const g of dailySeries(usable)) for (const o of g) seriesOf.set(o, g);
  const evidenceOf = (o: IodaOutage, series?: { key: string; records: IodaOutage[] }) => {
    const { summary } = describe(o);
    const data = outageData(o);
    if (series) data.series = { key: series.key, records: series.records.length, first: series.records[0]!.begin!.toISOString(), last: series.records.at(-1)!.begin!.toISOString() };
    return { kind: 'outage_event' as const, ref: o.key, summary, data, sources: [], datasetPeriod: o.begin ? String(o.begin.getUTCFullYear()) : null };
  };
  for (const o of outages) {
    const skip = early.get(o);
    if (skip) {
      plans.push(skip);
      continue;
    }
    const series = seriesOf.get(o);
    if (series) {
      if (series[0] !== o) continue; // planned with the first record of its series
      const first = series[0]!;
      const last = series.at(-1)!;
      const key = `ioda:series:${first.key.slice('ioda:'.length)}`;
      // Matched as one event: from the first night's begin to the last night's end.
      const whole: IodaOutage = { ...first, end: last.end ?? last.begin };
      const match = matchStop(whole, byCountry);
      const ev = { key, records: series };
      if (match) {
        for (const r of series) plans.push({ action: 'attach', row: r.line, flags: r.flags, target: { incidentId: match.id }, evidence: evidenceOf(r, ev) });
      } else {
        const incident = seriesIncident(series, key);
        plans.push({ action: 'create', row: first.line, flags: [], incident, derived: true });
        for (const r of series) plans.push({ action: 'attach', row: r.line, flags: r.flags, target: { originKey: key }, evidence: evidenceOf(r, ev) });
      }
      continue;
    }
    const match = matchStop(o, byCountry);
    if (match) {
      plans.push({ action: 'attach', row: o.line, flags: o.flags, target: { incidentId: match.id }, evidence: evidenceOf(o) });
      continue;
    }
    plans.push({ action: 'create', row: o.line, flags: o.flags, incident: incidentOf(o, o.country!) });
  }
  return plans;
}
