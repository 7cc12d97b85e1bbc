import type { Queryable } from '../platform/db.js';
import type { Actor } from '../platform/audit.js';
import { INCIDENT_TYPES } from '../core/taxonomy.js';
import { cachedRead } from './store.js';

/**
 * The registry's public face, for the publish wing: every read here returns only what may reach anyone on the
 * internet. An incident is public when it is TLP:CLEAR, its status is published (verified or closed) or it carries the
 * tag `public` (an explicit mark for a draft, under-review or disputed record), and its organisation publishes
 * incidents (publish_settings). A law is public when it is TLP:CLEAR and its organisation publishes laws.
 * Nothing private (organisation ids, creators, TLP:RED recipients, change history, document bytes) leaves this file.
 */

export const PUBLIC_STATUSES = ['verified', 'closed'] as const;
export const PUBLIC_TAG = 'public';

export function publicIncidentClause(a = 'i'): string {
  return `(${a}.tlp = 'TLP:CLEAR' and (${a}.status in ('verified','closed') or '${PUBLIC_TAG}' = any(${a}.tags))
    and not exists (select 1 from publish_settings ps where ps.org_id = ${a}.org_id and not ps.publish_incidents))`;
}
export function publicLawClause(a = 'l'): string {
  return `(${a}.tlp = 'TLP:CLEAR' and not exists (select 1 from publish_settings ps where ps.org_id = ${a}.org_id and not ps.publish_laws))`;
}

/** The key under which public reads are cached: the registry's write generation moves on every registry write that is not described to the cache. */
const PUBLIC_ACTOR: Actor = { userId: null, label: 'public', orgId: '00000000-0000-0000-0000-000000000000', role: 'viewer' };
export function cachedPublic<T>(db: Queryable & { registryGeneration?: number | null }, key: string, fn: () => Promise<T>): Promise<T> {
  // Only a TLP:CLEAR incident can be public: a new incident of any other label changes nothing public.
  return cachedRead(db, PUBLIC_ACTOR, `public:${key}`, fn, (created) => created.tlp === 'TLP:CLEAR');
}

export interface PublicIncident {
  id: string;
  type: string;
  title: string;
  country: string;
  area: string | null;
  networks: { asn?: number | null; name?: string }[];
  services: string[];
  actors: { name: string; role: string }[];
  targets: string[];
  startAt: string | null;
  startPrecision: string;
  endAt: string | null;
  endPrecision: string;
  status: string;
  severity: string;
  summary: string;
  description: string;
  tags: string[];
  origin: string;
  publisher: string;
  updatedAt: string;
}

const COLS = `i.id, i.type, i.title, i.country, i.area, i.networks, i.services, i.actors, i.targets, i.start_at, i.start_precision, i.end_at,
  i.end_precision, i.status, i.severity, i.summary, i.description, i.tags, i.origin, i.updated_at,
  coalesce((select ps.public_name from publish_settings ps where ps.org_id = i.org_id), (select o.name from orgs o where o.id = i.org_id)) as publisher`;

const iso = (d: unknown) => (d == null ? null : new Date(d as string).toISOString());

function row(r: Record<string, unknown>): PublicIncident {
  return {
    id: r.id as string,
    type: r.type as string,
    title: r.title as string,
    country: (r.country as string).trim(),
    area: (r.area as string | null) ?? null,
    networks: (r.networks as PublicIncident['networks']) ?? [],
    services: (r.services as string[]) ?? [],
    actors: (r.actors as PublicIncident['actors']) ?? [],
    targets: (r.targets as string[]) ?? [],
    startAt: iso(r.start_at),
    startPrecision: r.start_precision as string,
    endAt: iso(r.end_at),
    endPrecision: r.end_precision as string,
    status: r.status as string,
    severity: r.severity as string,
    summary: r.summary as string,
    description: r.description as string,
    tags: ((r.tags as string[]) ?? []).filter((t) => t !== PUBLIC_TAG),
    origin: r.origin as string,
    publisher: (r.publisher as string) ?? '',
    updatedAt: iso(r.updated_at)!,
  };
}

export interface PublicIncidentFilter {
  country?: string;
  type?: string;
  severity?: string;
  from?: string;
  to?: string;
  q?: string;
  ongoing?: boolean;
  page: number;
  pageSize: number;
}

function where(f: Omit<PublicIncidentFilter, 'page' | 'pageSize'>, p: unknown[]): string {
  const w = [publicIncidentClause('i')];
  const add = (sql: (x: string) => string, v: unknown) => {
    p.push(v);
    w.push(sql(`$${p.length}`));
  };
  if (f.country) add((x) => `i.country = ${x}`, f.country);
  if (f.type) add((x) => `i.type = any(${x}::text[])`, INCIDENT_TYPES.filter((t) => t === f.type || t.startsWith(`${f.type}.`)));
  if (f.severity) add((x) => `i.severity = ${x}`, f.severity);
  if (f.from) add((x) => `coalesce(i.end_at, i.start_at) >= ${x}::timestamptz`, f.from);
  if (f.to) add((x) => `i.start_at <= ${x}::timestamptz`, f.to);
  if (f.ongoing) w.push(`i.end_at is null and i.start_at is not null and i.type like 'shutdown.%'`);
  if (f.q?.trim()) add((x) => `to_tsvector('simple', i.search_text) @@ websearch_to_tsquery('simple', ${x})`, f.q.trim());
  return w.join(' and ');
}

export function listPublicIncidents(db: Queryable & { registryGeneration?: number | null }, f: PublicIncidentFilter): Promise<{ items: PublicIncident[]; total: number }> {
  return cachedPublic(db, `list:${JSON.stringify(f)}`, async () => {
    const p: unknown[] = [];
    const w = where(f, p);
    const [rows, n] = await Promise.all([
      db.query(`select ${COLS} from incidents i where ${w} order by i.start_at desc nulls last, i.id limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`, p),
      db.query<{ n: number }>(`select count(*)::int n from incidents i where ${w}`, p),
    ]);
    return { items: rows.rows.map(row), total: n.rows[0]?.n ?? 0 };
  });
}

/** Every public incident whose status is verified (the alerts announce these once each). */
export function publicVerifiedIncidents(db: Queryable & { registryGeneration?: number | null }): Promise<PublicIncident[]> {
  return cachedPublic(db, 'verified', async () => {
    const r = await db.query(`select ${COLS} from incidents i where i.status = 'verified' and ${publicIncidentClause('i')} order by i.updated_at, i.id`);
    return r.rows.map(row);
  });
}

/** Every public incident, in start order (open data snapshots, reports). */
export async function* allPublicIncidents(db: Queryable, f: Omit<PublicIncidentFilter, 'page' | 'pageSize'> = {}): AsyncGenerator<PublicIncident> {
  const p: unknown[] = [];
  const w = where(f, p);
  for (let offset = 0; ; offset += 2000) {
    const r = await db.query(`select ${COLS} from incidents i where ${w} order by i.start_at nulls last, i.id limit 2000 offset ${offset}`, p);
    for (const x of r.rows) yield row(x);
    if (r.rows.length < 2000) return;
  }
}

export interface PublicIncidentDetail extends PublicIncident {
  sources: { kind: string; url: string | null; title: string; publisher: string; retrievedAt: string | null; sha256: string | null; addedAt: string }[];
  evidence: { kind: string; ref: string; summary: string; addedAt: string }[];
  laws: { id: string; title: string; status: string }[];
}

export function getPublicIncident(db: Queryable & { registryGeneration?: number | null }, id: string): Promise<PublicIncidentDetail | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return Promise.resolve(null);
  return cachedPublic(db, `incident:${id}`, async () => {
    const r = (await db.query(`select ${COLS} from incidents i where i.id = $1 and ${publicIncidentClause('i')}`, [id])).rows[0];
    if (!r) return null;
    const [s, e, l] = await Promise.all([
      db.query(`select kind, url, title, publisher, retrieved_at, sha256, added_at from incident_sources where incident_id = $1 order by added_at, id`, [id]),
      db.query(`select kind, ref, summary, added_at from incident_evidence where incident_id = $1 order by added_at, id`, [id]),
      db.query(`select l.id, l.title, l.status from laws l join law_incidents li on li.law_id = l.id where li.incident_id = $1 and ${publicLawClause('l')} order by l.title`, [id]),
    ]);
    return {
      ...row(r),
      sources: s.rows.map((x) => ({
        kind: x.kind as string, url: (x.url as string) ?? null, title: x.title as string, publisher: x.publisher as string,
        retrievedAt: iso(x.retrieved_at), sha256: (x.sha256 as string) ?? null, addedAt: iso(x.added_at)!,
      })),
      evidence: e.rows.map((x) => ({ kind: x.kind as string, ref: x.ref as string, summary: x.summary as string, addedAt: iso(x.added_at)! })),
      laws: l.rows.map((x) => ({ id: x.id as string, title: x.title as string, status: x.status as string })),
    };
  });
}

export interface PublicLaw {
  id: string;
  country: string;
  title: string;
  status: string;
  timeline: { status: string; date: string; note?: string }[];
  articles: { ref: string; text: string; concern: string }[];
  rights: string[];
  summary: string;
  url: string | null;
  updatedAt: string;
  incidentIds: string[];
}

function lawRow(r: Record<string, unknown>): PublicLaw {
  return {
    id: r.id as string, country: (r.country as string).trim(), title: r.title as string, status: r.status as string,
    timeline: (r.timeline as PublicLaw['timeline']) ?? [], articles: (r.articles as PublicLaw['articles']) ?? [], rights: (r.rights as string[]) ?? [],
    summary: r.summary as string, url: (r.url as string | null) ?? null, updatedAt: iso(r.updated_at)!, incidentIds: (r.incident_ids as string[]) ?? [],
  };
}

const LAW_COLS = `l.id, l.country, l.title, l.status, l.timeline, l.articles, l.rights, l.summary, l.url, l.updated_at,
  array(select li.incident_id::text from law_incidents li join incidents i on i.id = li.incident_id where li.law_id = l.id and ${publicIncidentClause('i')}) as incident_ids`;

export function listPublicLaws(db: Queryable & { registryGeneration?: number | null }, f: { country?: string } = {}): Promise<PublicLaw[]> {
  return cachedPublic(db, `laws:${f.country ?? ''}`, async () => {
    const p: unknown[] = [];
    let c = '';
    if (f.country) { p.push(f.country); c = ` and l.country = $1`; }
    const r = await db.query(`select ${LAW_COLS} from laws l where ${publicLawClause('l')}${c} order by l.country, l.title limit 5000`, p);
    return r.rows.map(lawRow);
  });
}

export function getPublicLaw(db: Queryable & { registryGeneration?: number | null }, id: string): Promise<PublicLaw | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(null);
  return cachedPublic(db, `law:${id}`, async () => {
    const r = (await db.query(`select ${LAW_COLS} from laws l where l.id = $1 and ${publicLawClause('l')}`, [id])).rows[0];
    return r ? lawRow(r) : null;
  });
}

/** Public incidents per country over a period (overlap), with shutdown days (days covered by at least one shutdown). */
export function publicCountryStats(db: Queryable & { registryGeneration?: number | null }, f: { from?: string; to?: string; type?: string } = {}) {
  return cachedPublic(db, `countries:${JSON.stringify(f)}`, async () => {
    const p: unknown[] = [f.from ?? '1900-01-01T00:00:00Z', f.to ?? '2999-01-01T00:00:00Z'];
    let t = '';
    if (f.type) { p.push(INCIDENT_TYPES.filter((x) => x === f.type || x.startsWith(`${f.type}.`))); t = ` and i.type = any($3::text[])`; }
    const r = await db.query<{ country: string; count: number; shutdown_days: number }>(
      `with sel as (select i.* from incidents i where i.start_at <= $2::timestamptz and coalesce(i.end_at, i.start_at) >= $1::timestamptz and ${publicIncidentClause('i')}${t}),
        days as (select s.country, count(distinct d)::int n from sel s,
          generate_series(date_trunc('day', greatest(s.start_at, $1::timestamptz)), date_trunc('day', least(coalesce(s.end_at, s.start_at), $2::timestamptz)), interval '1 day') d
          where s.type like 'shutdown.%' group by s.country)
       select sel.country, count(*)::int count, coalesce(max(days.n), 0)::int shutdown_days from sel left join days on days.country = sel.country group by sel.country order by count desc, sel.country`,
      p,
    );
    return r.rows.map((x) => ({ country: x.country.trim(), count: x.count, shutdownDays: x.shutdown_days }));
  });
}

/** Public incidents per year and type family for one country (the country page's "over time" chart). */
export function publicCountryYears(db: Queryable & { registryGeneration?: number | null }, cc: string) {
  return cachedPublic(db, `years:${cc}`, async () => {
    const r = await db.query<{ year: number; family: string; count: number }>(
      `select extract(year from i.start_at)::int as year, split_part(i.type, '.', 1) as family, count(*)::int as count from incidents i
        where i.country = $1 and i.start_at is not null and ${publicIncidentClause('i')} group by 1, 2 order by 1, 2`,
      [cc],
    );
    return r.rows;
  });
}

/** The last change to anything public, for ETags, feeds and the sitemap. */
export function publicLastModified(db: Queryable & { registryGeneration?: number | null }): Promise<string | null> {
  return cachedPublic(db, 'lastmod', async () => {
    const r = await db.query<{ at: Date | null }>(`select max(i.updated_at) at from incidents i where ${publicIncidentClause('i')}`);
    return iso(r.rows[0]?.at ?? null);
  });
}

// ---- Access Now STOP, counted as the data set counts ----------------------------------------------------------

/**
 * One row of the STOP workbook, as the importer stored it: each row is either its own incident (origin key
 * `stop:<sheet>:<hash>`) or, when it repeats a shutdown of an earlier sheet, `document` evidence on that incident
 * (ref = its own origin key, data = its cells). `year` is the sheet's year: the year of the yearly sheets, and the
 * `year` column of the combined 2016+2017+2018 sheet (kept in the description as ", year 2018").
 */
export interface StopRow {
  sheet: string;
  year: number | null;
  incidentId: string;
  merged: boolean;
  country: string;
  type: string;
  area: string | null;
  startAt: string | null;
  endAt: string | null;
  tags: string[];
  services: string[];
  actors: { name: string; role: string }[];
  title: string;
  summary: string;
}

/**
 * Every STOP row that the public may see (its incident is public), with the year it counts under: the registry's own
 * record of data-set rows (`dataset_records`, the same table `datasetCounts` in service.ts counts), one per row of a
 * sheet, whose `period` is the year Access Now counts the row under (the 2016–2018 sheet: its year column). A row that
 * repeats a shutdown stored earlier is kept as `document` evidence with the row's key; its own start date comes from
 * that evidence's cells.
 */
export function publicStopRows(db: Queryable & { registryGeneration?: number | null }): Promise<StopRow[]> {
  return cachedPublic(db, 'stop-rows', async () => {
    const r = await db.query(
      `select i.id, r.record_key as key, (r.record_key is distinct from i.origin_key) as merged, r.period, i.country, i.type, i.area, i.end_at, i.tags, i.services, i.actors, i.title, i.summary,
              coalesce(case when r.record_key is distinct from i.origin_key then (select e.data->'cells'->>'start_date' from incident_evidence e
                 where e.incident_id = i.id and e.kind = 'document' and e.ref = r.record_key limit 1) end, i.start_at::text) as start_at
         from dataset_records r join incidents i on i.id = r.incident_id
        where r.dataset = 'stop' and ${publicIncidentClause('i')}
        order by r.record_key`,
    );
    return r.rows.map((x) => {
      const key = x.key as string;
      const sheet = key.slice(5, key.lastIndexOf(':'));
      const year = x.period != null && /^\d{4}$/.test(String(x.period)) ? Number(x.period) : null;
      const start = x.start_at ? new Date(x.start_at as string) : null;
      return {
        sheet, year, incidentId: x.id as string, merged: x.merged as boolean, country: (x.country as string).trim(), type: x.type as string,
        area: (x.area as string | null) ?? null, startAt: start && !Number.isNaN(start.getTime()) ? start.toISOString() : null, endAt: iso(x.end_at),
        tags: (x.tags as string[]) ?? [], services: (x.services as string[]) ?? [], actors: (x.actors as StopRow['actors']) ?? [], title: x.title as string, summary: (x.summary as string) ?? '',
      };
    });
  });
}

/** Rows the STOP import could not store, with the reason (exact duplicates within a sheet), from the import log. */
export async function stopImportSkips(db: Queryable): Promise<{ sheet: string; row: number; code: string; reason: string }[]> {
  const r = await db.query<{ flags: { sheet?: string; row?: number; code?: string; reason?: string }[] }>(
    `select flags from import_runs where kind = 'stop' and status = 'completed' order by started_at limit 1`,
  );
  return (r.rows[0]?.flags ?? [])
    .filter((f) => f.code === 'duplicate_row')
    .map((f) => ({ sheet: f.sheet ?? '', row: f.row ?? 0, code: f.code ?? '', reason: f.reason ?? '' }));
}
