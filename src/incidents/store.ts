import type { Queryable } from '../platform/db.js';
import type { Actor } from '../platform/audit.js';
import type { Incident, IncidentFilter, Law } from './model.js';
import { INCIDENT_TYPES } from '../core/taxonomy.js';
import { UUID_RE } from '../platform/auth.js';
import { badRequest } from '../core/errors.js';

/** SQL of the registry. Reads always go through `visibleTo` so that TLP is applied on every read path. */

const iso = (d: unknown) => (d == null ? null : new Date(d as string).toISOString());

export const INCIDENT_COLS = `i.id, i.org_id, i.type, i.title, i.country, i.area, i.networks, i.services, i.actors, i.targets,
  i.start_at, i.start_precision, i.end_at, i.end_precision, i.end_state, i.ongoing_as_of, i.active_until, i.status, i.severity, i.tlp, i.summary, i.description, i.tags,
  i.data_quality, i.confidence, i.origin, i.merged_into, i.created_at, i.updated_at, i.version, i.red_recipients, i.created_by,
  array(select li.law_id::text from law_incidents li where li.incident_id = i.id) as law_ids`;

const DAY_MS = 86_400_000;

/** Duration in days: the end day counts whole at day precision; ongoing runs to its as-of day (or now) and is a minimum. */
export function durationOf(i: { startAt: string | null; startPrecision: string; endAt: string | null; endPrecision: string; endState: string; ongoingAsOf: string | null }, now = Date.now()): { days: number | null; minimum: boolean } {
  if (!i.startAt || i.endState === 'unknown') return { days: null, minimum: false };
  const start = Date.parse(i.startAt);
  const ended = i.endState === 'ended' && i.endAt;
  const endMs = ended ? Date.parse(i.endAt!) : i.ongoingAsOf ? Date.parse(i.ongoingAsOf) : now;
  const wholeLastDay = (ended ? i.endPrecision : i.ongoingAsOf ? 'day' : 'minute') === 'day' ? DAY_MS : 0;
  const days = Math.max(0, endMs + wholeLastDay - start) / DAY_MS;
  return { days: Math.round(days * 100) / 100, minimum: !ended };
}

const ACTIVE_UNTIL_INFINITE = (v: unknown) => v == null || v === Infinity || v === 'infinity' || (v instanceof Date && !Number.isFinite(v.getTime()));

export function rowToIncident(r: Record<string, unknown>): Incident {
  const base = {
    startAt: iso(r.start_at),
    startPrecision: r.start_precision as string,
    endAt: iso(r.end_at),
    endPrecision: r.end_precision as string,
    endState: ((r.end_state as string) ?? (r.end_at ? 'ended' : 'unknown')) as Incident['endState'],
    ongoingAsOf: iso(r.ongoing_as_of),
  };
  const d = durationOf(base);
  return {
    id: r.id as string,
    type: r.type as string,
    title: r.title as string,
    country: (r.country as string).trim(),
    area: (r.area as string | null) ?? null,
    networks: (r.networks as Incident['networks']) ?? [],
    services: (r.services as string[]) ?? [],
    actors: (r.actors as Incident['actors']) ?? [],
    targets: (r.targets as string[]) ?? [],
    ...base,
    activeUntil: ACTIVE_UNTIL_INFINITE(r.active_until) ? null : iso(r.active_until),
    durationDays: d.days,
    durationIsMinimum: d.minimum,
    status: r.status as string,
    severity: r.severity as string,
    tlp: r.tlp as string,
    summary: r.summary as string,
    description: r.description as string,
    tags: (r.tags as string[]) ?? [],
    dataQuality: (r.data_quality as Incident['dataQuality']) ?? [],
    confidence: r.confidence == null ? null : Number(r.confidence),
    origin: r.origin as string,
    orgId: r.org_id as string,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    version: Number(r.version),
    lawIds: (r.law_ids as string[]) ?? [],
    mergedInto: (r.merged_into as string | null) ?? null,
  };
}

/**
 * TLP 2.0 on reads. Own organisation: everything but RED; RED only to its creator and named recipients.
 * Any other organisation (partners included): TLP:CLEAR and TLP:GREEN only (plus RED where named).
 */
export function visibleTo(actor: Actor, params: unknown[], alias = 'i'): string {
  params.push(actor.orgId);
  const org = `$${params.length}`;
  params.push(actor.userId);
  const user = `$${params.length}::uuid`;
  return `(${alias}.tlp in ('TLP:CLEAR','TLP:GREEN')
    or (${alias}.org_id = ${org} and ${alias}.tlp in ('TLP:AMBER','TLP:AMBER+STRICT'))
    or (${alias}.tlp = 'TLP:RED' and ${user} is not null and (${alias}.created_by = ${user} or ${user} = any(${alias}.red_recipients))))`;
}

/**
 * The same rule as `visibleTo`, with the few TLP:RED incidents this user may see looked up beforehand, so that the
 * clause reads only columns that the search indexes carry (PostgreSQL can then count from the index alone).
 */
export async function redVisibleIds(db: Queryable & { registryGeneration?: number | null }, actor: Actor): Promise<string[]> {
  if (!actor.userId) return [];
  // Cached with the registry's write generation (a new TLP:RED incident or recipient moves it), like the pages.
  return cachedRead(db, actor, 'red-ids', async () => {
    const r = await db.query<{ id: string }>("select id from incidents where tlp = 'TLP:RED' and (created_by = $1 or $1 = any(red_recipients))", [actor.userId]);
    return r.rows.map((x) => x.id);
  }, (c) => c.tlp === 'TLP:RED');
}

function visibleWithRed(actor: Actor, params: unknown[], redIds: string[]): string {
  params.push(actor.orgId);
  const org = `$${params.length}`;
  let red = '';
  if (redIds.length) {
    params.push(redIds);
    red = ` or (i.tlp = 'TLP:RED' and i.id = any($${params.length}::uuid[]))`;
  }
  return `(i.tlp in ('TLP:CLEAR','TLP:GREEN') or (i.org_id = ${org} and i.tlp in ('TLP:AMBER','TLP:AMBER+STRICT'))${red})`;
}

const SEARCH_VECTOR = process.env.STACKWATCH_BENCH_BASELINE === '1' ? "to_tsvector('simple', i.search_text)" : 'i.search_vec';

export function filterClause(actor: Actor, f: Partial<IncidentFilter>, params: unknown[], redIds?: string[]): string {
  const where = [redIds ? visibleWithRed(actor, params, redIds) : visibleTo(actor, params), 'i.merged_into is null'];
  const add = (sql: (p: string) => string, v: unknown) => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (f.country) add((p) => `i.country = ${p}`, f.country);
  if (f.type) {
    // A family ("shutdown") means its types in the taxonomy: an index-friendly list rather than a LIKE.
    const family = INCIDENT_TYPES.filter((t) => t === f.type || t.startsWith(`${f.type}.`));
    if (family.length > 1) add((p) => `i.type = any(${p}::text[])`, family);
    else add((p) => `i.type = ${p}`, f.type);
  }
  if (f.status) add((p) => `i.status = ${p}`, f.status);
  if (f.tlp) add((p) => `i.tlp = ${p}`, f.tlp);
  if (f.origin) add((p) => `i.origin = ${p}`, f.origin);
  if (f.endState) add((p) => `i.end_state = ${p}`, f.endState);
  // A period selects incidents active during it: started before its end and still active at its start. Active means
  // up to the end; an ongoing incident up to the day a source last confirmed it (or without bound when it is live);
  // an incident whose end was never recorded on its first day only (docs/registry.md). The expression matches the
  // GiST index of migration 0010.
  if (f.from || f.to) {
    if (f.from && f.to && Date.parse(f.from) > Date.parse(f.to)) throw badRequest('The period ends before it starts: `to` must not be before `from`.', 'to');
    params.push(f.from ?? null, f.to ?? null);
    where.push(`i.start_at is not null and tstzrange(i.start_at, i.active_until, '[]') && tstzrange($${params.length - 1}::timestamptz, $${params.length}::timestamptz, '[]')`);
    // Implied by the overlap, but lets a scan in start order begin at the period's end instead of at the newest row.
    if (f.to) where.push(`i.start_at <= $${params.length}::timestamptz`);
  }
  // The stored vector of migration 0020 (its GIN index serves the search); STACKWATCH_BENCH_BASELINE=1 recomputes it per row as before.
  if (f.q && f.q.trim()) add((p) => `${SEARCH_VECTOR} @@ websearch_to_tsquery('simple', ${p})`, f.q.trim());
  return where.join(' and ');
}

/**
 * Result cache. PGlite has one connection, so many people paging through the same lists would queue behind each
 * other (and on PostgreSQL the pool is shared by every client); a result is cached under the registry's write
 * generation (a write that the cache is not told about moves it, so a cached result is never stale) and under who is
 * asking (TLP makes results differ per organisation and per user). Concurrent requests for the same result share one
 * computation (single flight).
 *
 * An incident created through `createIncident` does not move the generation: it is described to the cache
 * (`noteIncidentCreated`), and each cached result's scope says what the new incident does to it: nothing (kept), a
 * result derived without a query (a list page whose total grows by one), or possibly anything (dropped). A result
 * cached without a scope is dropped by every change. A scope may over-approximate (drop too much), never less.
 * A result still being computed when a change is noted is dropped too — unless its scope defers (list pages): then
 * the change is applied once the result is there, from the database snapshot the page was read in (did it see the
 * write or not), recomputing where it cannot be derived. Either way a request that starts after a write was
 * answered never gets a result without it (read-your-writes).
 */
interface CacheEntry {
  value: Promise<unknown>;
  /**
   * The result once computed (a scope may derive the result after a change from it), with the number of described
   * writes begun by then (see `beginDescribedCreate`).
   */
  settled?: { v: unknown; mark: number };
  scope?: CacheScope;
  /** Changes noted while a deferring scope's result was being computed, applied when it is (see cachedRead). */
  pending?: CreatedIncident[];
}
const caches = new WeakMap<object, Map<string, CacheEntry>>();
const writeMarks = new WeakMap<object, number>();

/**
 * Called by a described write as its transaction begins (its first statement not yet sent); returns its mark for
 * `noteIncidentCreated`. A result computed before that moment was computed from rows without the write.
 */
export function beginDescribedCreate(db: object): number {
  const n = (writeMarks.get(db) ?? 0) + 1;
  writeMarks.set(db, n);
  return n;
}
const CACHE_MAX = 1000;

/** A newly created incident, as the caches need it to decide which results it can change. */
export interface CreatedIncident {
  id: string;
  orgId: string;
  tlp: string;
  createdBy: string | null;
  redRecipients: string[];
  country: string;
  type: string;
  status: string;
  origin: string;
  endState: string;
  startAt: string | null;
  /** The end of its active span (null: without bound), as the database computed it (active_until). */
  activeUntil: string | null;
  tags: string[];
  /** The text that full-text search runs over (searchText). */
  searchText: string;
  /** Its transaction's id (pg_current_xact_id), to tell whether a page's snapshot saw it. */
  xact: string;
}

/** A cached result as a scope sees it: `before` when it was computed before the write began (see beginDescribedCreate). */
export interface CachedState {
  v: unknown;
  before: boolean;
}

/**
 * What a change does to a cached result: `true` when it may change it (in doubt too: the result is dropped), `false`
 * when it cannot, or `{ now }`, the result as it is after the change, derived from the result before it (`cached`:
 * undefined while that is still being computed). `defers`: a result being computed is not dropped, the change is
 * handed to the scope again with the result once it is there.
 */
export type CacheScope = ((c: CreatedIncident, cached?: CachedState) => boolean | { now: unknown }) & { defers?: boolean };

export function cachedRead<T>(db: Queryable & { registryGeneration?: number | null }, actor: Actor, key: string, fn: () => Promise<T>, scope?: CacheScope): Promise<T> {
  const gen = db.registryGeneration;
  if (gen == null) return fn();
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const k = `${gen}|${actor.orgId}|${actor.userId}|${key}`;
  const hit = cache.get(k);
  if (hit) return hit.value as Promise<T>;
  if (cache.size >= CACHE_MAX) cache.clear();
  const c = cache;
  const entry: CacheEntry = { value: Promise.resolve(), scope, pending: scope?.defers ? [] : undefined };
  const compute = async (): Promise<T> => {
    for (let round = 0; round < 5; round++) {
      let v = await fn();
      // Changes noted meanwhile: from here on (synchronously) the entry counts as settled for later ones.
      let derived = true;
      for (const change of entry.pending?.splice(0) ?? []) {
        const effect = scope!(change, { v, before: false });
        if (effect === true) {
          derived = false;
          break;
        }
        if (effect !== false) v = effect.now as Awaited<T>;
      }
      if (derived) {
        entry.pending = undefined;
        if (c.get(k) === entry) entry.settled = { v, mark: writeMarks.get(db) ?? 0 };
        return v;
      }
    }
    // Writes keep landing before the page: leave the cache out of it. A computation that starts now sees every
    // change noted so far, so it is right for everyone waiting on this entry.
    entry.pending = undefined;
    if (c.get(k) === entry) c.delete(k);
    return fn();
  };
  const value = compute();
  entry.value = value;
  cache.set(k, entry);
  value.catch(() => {
    if (c.get(k) === entry) c.delete(k);
  });
  return value;
}

/**
 * Applies a newly created incident to the cached results (see cachedRead); call it once committed, with the mark that
 * `beginDescribedCreate` gave as the transaction began.
 */
export function noteIncidentCreated(db: object, created: CreatedIncident, mark: number): void {
  const cache = caches.get(db);
  if (!cache) return;
  for (const [k, e] of cache) {
    let effect: boolean | { now: unknown } = true;
    try {
      if (!e.scope) effect = true;
      else if (e.settled) effect = e.scope(created, { v: e.settled.v, before: e.settled.mark < mark });
      else {
        effect = e.scope(created);
        if (effect === true && e.pending) {
          e.pending.push(created);
          continue;
        }
      }
    } catch {
      effect = true;
    }
    if (effect === true) cache.delete(k);
    else if (effect !== false && e.settled) {
      e.value = Promise.resolve(effect.now);
      e.settled = { v: effect.now, mark: e.settled.mark };
    }
  }
}

/**
 * What a list page saw of the registry: the snapshot its page statement ran in (pg_current_snapshot) and the writes
 * applied to it since without a query. Kept beside the page (not in it), for `listScope`.
 */
const pageViews = new WeakMap<object, { snapshot: string; applied: string[] }>();
export function pageView(page: object): { snapshot: string; applied: string[] } | undefined {
  return pageViews.get(page);
}
export function setPageView<T extends object>(page: T, view: { snapshot: string; applied: string[] } | undefined): T {
  if (view) pageViews.set(page, view);
  return page;
}

/** Whether a page's view includes a write: from its snapshot's xmin, xmax and in-progress list; unknown without one. */
export function viewIncludes(view: { snapshot: string; applied: string[] } | undefined, xact: string): 'yes' | 'no' | 'unknown' {
  if (!view || !/^\d+$/.test(xact)) return 'unknown';
  if (view.applied.includes(xact)) return 'yes';
  const m = /^(\d+):(\d+):([\d,]*)$/.exec(view.snapshot);
  if (!m) return 'unknown';
  const x = BigInt(xact);
  if (x < BigInt(m[1]!)) return 'yes';
  if (x >= BigInt(m[2]!)) return 'no';
  return m[3]!.split(',').filter(Boolean).some((id) => BigInt(id) === x) ? 'no' : 'yes';
}

/** Whether `actor` may read the incident by TLP (the rule of `visibleTo`); true for a label it does not know. */
export function mayBeVisibleTo(actor: Actor, c: Pick<CreatedIncident, 'tlp' | 'orgId' | 'createdBy' | 'redRecipients'>): boolean {
  if (c.tlp === 'TLP:AMBER' || c.tlp === 'TLP:AMBER+STRICT') return c.orgId === actor.orgId;
  if (c.tlp === 'TLP:RED') return !!actor.userId && (c.createdBy === actor.userId || c.redRecipients.includes(actor.userId));
  return true;
}

/**
 * Whether a full-text query may match a text: for a query of plain ASCII words (what people type), only when one of
 * its words occurs in the text (a word of the query that the text lacks as a substring is not among its tokens either,
 * whatever AND/OR the query combines); any other query (quotes, a negated "-word", other characters) may match.
 */
export function queryMayMatch(q: string, text: string): boolean {
  if (!/^[A-Za-z0-9 ]+$/.test(q)) return true;
  const words = q.toLowerCase().split(' ').filter(Boolean);
  if (!words.length) return true;
  const t = text.toLowerCase();
  return words.some((w) => t.includes(w));
}

const ms = (v: string | null | undefined) => (v == null ? null : Date.parse(v));

/** The scope of a result over `filterClause(actor, f)`: the incidents it selects, over-approximated. */
export function filterScope(actor: Actor, f: Partial<IncidentFilter>): CacheScope {
  return (c) => filterSelects(actor, f, c) !== 'no';
}

/**
 * Whether `filterClause(actor, f)` selects the incident: 'yes' and 'no' are exact; 'maybe' when that cannot be told
 * here for sure (a full-text query whose word occurs in its text, times within a millisecond of a bound).
 */
export function filterSelects(actor: Actor, f: Partial<IncidentFilter>, c: CreatedIncident): 'yes' | 'no' | 'maybe' {
  const r = ((): boolean | 'maybe' => {
    if (!mayBeVisibleTo(actor, c)) return false;
    if (f.country && f.country !== c.country) return false;
    if (f.type) {
      const family = INCIDENT_TYPES.filter((t) => t === f.type || t.startsWith(`${f.type}.`));
      if (family.length > 1 ? !family.includes(c.type as never) : c.type !== f.type) return false;
    }
    if (f.status && f.status !== c.status) return false;
    if (f.tlp && f.tlp !== c.tlp) return false;
    if (f.origin && f.origin !== c.origin) return false;
    if (f.endState && f.endState !== c.endState) return false;
    if (f.from || f.to) {
      const start = ms(c.startAt);
      if (start === null) return false;
      const to = ms(f.to);
      const from = ms(f.from);
      const until = ms(c.activeUntil);
      if (Number.isNaN(start) || (to !== null && Number.isNaN(to)) || (from !== null && Number.isNaN(from)) || (until !== null && Number.isNaN(until))) return 'maybe';
      if (to !== null && start > to) return false;
      if (from !== null && until !== null && until < from) return false;
      // The database keeps microseconds, the dates here milliseconds: at a bound's millisecond, it cannot be told.
      if ((to !== null && Math.abs(start - to) < 1) || (from !== null && until !== null && Math.abs(until - from) < 1)) return 'maybe';
    }
    if (f.q && f.q.trim()) return queryMayMatch(f.q.trim(), c.searchText) ? 'maybe' : false;
    return true;
  })();
  return r === 'maybe' ? 'maybe' : r ? 'yes' : 'no';
}

/**
 * The scope of a list page (`{ items, total }` over `filterClause(actor, f)`, in `orderBy(f)` order; also its
 * serialised form `{ items: Buffer, total, count, lastStartAt }`). A new incident that the filter does not select, or
 * that the page's snapshot already saw, leaves it as it is. One that it does select, that the page did not see, and
 * that sorts after the last item of a full page (by start: strictly earlier in descending order, later in ascending)
 * leaves the items and adds one to the total — the page after the change, without a query. Anything else drops it.
 */
export function listScope(actor: Actor, f: IncidentFilter): CacheScope {
  const scope: CacheScope = (c, cached) => {
    const sel = filterSelects(actor, f, c);
    if (sel === 'no') return false;
    if (!cached) return true;
    const page = cached.v as { items: { startAt: string | null }[] | string | Buffer; total: number; lastStartAt?: string | null; count?: number };
    const view = pageView(page);
    // A TLP:RED incident is selected through the reader's list of RED ids (redVisibleIds), read before the page and
    // cached apart: a page whose snapshot saw the write may still have been filtered with the list from before it.
    const seen = c.tlp === 'TLP:RED' ? 'unknown' : viewIncludes(view, c.xact);
    if (seen === 'yes') return false;
    if (seen === 'unknown' && !cached.before) return true;
    if (sel === 'maybe' || f.sort !== 'start') return true;
    const n = Array.isArray(page.items) ? page.items.length : page.count;
    const lastStart = Array.isArray(page.items) ? page.items[page.items.length - 1]?.startAt : page.lastStartAt;
    if (n !== f.pageSize || !lastStart || !c.startAt) return true;
    const a = Date.parse(c.startAt);
    const b = Date.parse(lastStart);
    if (Number.isNaN(a) || Number.isNaN(b) || a === b) return true;
    if (f.order === 'asc' ? a > b : a < b) {
      const now = { ...page, total: page.total + 1 };
      return { now: setPageView(now, view && { snapshot: view.snapshot, applied: [...view.applied, c.xact] }) };
    }
    return true;
  };
  scope.defers = true;
  return scope;
}

/** Sort orders of the list: by start (default), by end (ongoing after ended, unknown last) or by duration (unknown last). */
export function orderBy(f: Partial<Pick<IncidentFilter, 'sort' | 'order'>>): string {
  const dir = f.order === 'asc' ? 'asc' : 'desc';
  switch (f.sort) {
    case 'end':
      return `(case i.end_state when 'ended' then i.end_at when 'ongoing' then coalesce(i.ongoing_as_of, 'infinity'::timestamptz) end) ${dir} nulls last, i.start_at ${dir} nulls last, i.id`;
    case 'duration':
      return `(case when i.end_state = 'unknown' then null else coalesce(i.end_at, i.ongoing_as_of, now()) - i.start_at end) ${dir} nulls last, i.start_at ${dir} nulls last, i.id`;
    default:
      return `i.start_at ${dir} nulls last, i.id`;
  }
}

export function listIncidents(db: Queryable & { registryGeneration?: number | null }, actor: Actor, f: IncidentFilter): Promise<{ items: Incident[]; total: number }> {
  return cachedRead(db, actor, `list:${JSON.stringify(f)}`, () => queryIncidents(db, actor, f), listScope(actor, f));
}

async function queryIncidents(db: Queryable, actor: Actor, f: IncidentFilter): Promise<{ items: Incident[]; total: number }> {
  const params: unknown[] = [];
  const where = filterClause(actor, f, params, await redVisibleIds(db, actor));
  const offset = (f.page - 1) * f.pageSize;
  // One statement for the page and the total (a window count over the selection); a page past the end has no row
  // to carry the total, so only then is it counted on its own. STACKWATCH_BENCH_BASELINE=1: two statements as before.
  let page: { rows: { id: string; xmin: string; law_ids: string[]; total?: number }[] };
  let total: number;
  if (ROW_CACHE_OFF) {
    const [pg, count] = await Promise.all([
      db.query<{ id: string; xmin: string; law_ids: string[] }>(
        `select i.id, i.xmin::text as xmin, array(select li.law_id::text from law_incidents li where li.incident_id = i.id) as law_ids
         from incidents i where ${where} order by ${orderBy(f)} limit ${f.pageSize} offset ${offset}`,
        params,
      ),
      db.query<{ n: number }>(`select count(*)::int n from incidents i where ${where}`, params),
    ]);
    page = pg;
    total = count.rows[0]?.n ?? 0;
  } else {
    page = await db.query<{ id: string; xmin: string; law_ids: string[]; total: number; snap?: string }>(
      `select p.id, p.xmin, p.total, pg_current_snapshot()::text as snap, array(select li.law_id::text from law_incidents li where li.incident_id = p.id) as law_ids from (
         select i.id, i.xmin::text as xmin, count(*) over ()::int as total from incidents i where ${where} order by ${orderBy(f)} limit ${f.pageSize} offset ${offset}) p`,
      params,
    );
    total = page.rows[0]?.total ?? (offset > 0 ? ((await db.query<{ n: number }>(`select count(*)::int n from incidents i where ${where}`, params)).rows[0]?.n ?? 0) : 0);
  }
  const items = await incidentsByVersion(db, page.rows);
  const snap = (page.rows[0] as { snap?: string } | undefined)?.snap;
  // The snapshot the page was read in, for listScope (a page without rows has none: it is dropped by a change instead).
  return setPageView({ items, total }, snap ? { snapshot: snap, applied: [] } : undefined);
}

/**
 * Whole incidents for a page of (id, row version) pairs. Reading and decoding full rows is most of a list's cost on
 * the embedded database (its one connection is busy meanwhile), while a page mostly shows incidents already read:
 * rows are kept per database keyed by id and PostgreSQL's row version (`xmin`, new on every update), and only
 * rows not seen at that version are read. Laws are linked in another table, so their ids come with the page.
 * `STACKWATCH_BENCH_BASELINE=1` reads every row each time (the behaviour before, for bench/registry-load.ts).
 */
const rowCaches = new WeakMap<object, Map<string, { xmin: string; incident: Incident }>>();
const ROW_CACHE_MAX = 20_000;
const ROW_CACHE_OFF = process.env.STACKWATCH_BENCH_BASELINE === '1';

async function incidentsByVersion(db: Queryable, page: { id: string; xmin: string; law_ids: string[] }[]): Promise<Incident[]> {
  let cache = rowCaches.get(db);
  if (!cache) rowCaches.set(db, (cache = new Map()));
  const missing = ROW_CACHE_OFF ? page.map((p) => p.id) : page.filter((p) => cache.get(p.id)?.xmin !== p.xmin).map((p) => p.id);
  const fresh = new Map<string, Incident>();
  if (missing.length) {
    const rows = await db.query(`select ${INCIDENT_COLS}, i.xmin::text as xmin from incidents i where i.id = any($1::uuid[])`, [missing]);
    if (cache.size + rows.rows.length > ROW_CACHE_MAX) cache.clear();
    for (const r of rows.rows) {
      const inc = rowToIncident(r);
      fresh.set(inc.id, inc);
      if (!ROW_CACHE_OFF) cache.set(inc.id, { xmin: r.xmin as string, incident: inc });
    }
  }
  const out: Incident[] = [];
  for (const p of page) {
    // A row updated between the two reads comes back newer than its page entry: still the latest committed state.
    const inc = fresh.get(p.id) ?? cache.get(p.id)?.incident;
    if (inc) out.push({ ...inc, lawIds: p.law_ids ?? [] });
  }
  return out;
}

export async function* streamIncidents(db: Queryable, actor: Actor, f: Partial<IncidentFilter>, max = 200_000): AsyncGenerator<Incident> {
  const params: unknown[] = [];
  const where = filterClause(actor, f, params, await redVisibleIds(db, actor));
  const batch = 2000;
  for (let offset = 0; offset < max; offset += batch) {
    const rows = await db.query(`select ${INCIDENT_COLS} from incidents i where ${where} order by ${orderBy(f)} limit ${batch} offset ${offset}`, params);
    for (const r of rows.rows) yield rowToIncident(r);
    if (rows.rows.length < batch) return;
  }
}

export async function getIncidentRow(db: Queryable, actor: Actor, id: string, forUpdate = false): Promise<Record<string, unknown> | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  const params: unknown[] = [id];
  const vis = visibleTo(actor, params);
  return (await db.query(`select ${INCIDENT_COLS} from incidents i where i.id = $1 and ${vis}${forUpdate ? ' for update of i' : ''}`, params)).rows[0];
}

export function lawRow(r: Record<string, unknown>): Law {
  return {
    id: r.id as string,
    country: (r.country as string).trim(),
    title: r.title as string,
    status: r.status as string,
    timeline: (r.timeline as Law['timeline']) ?? [],
    articles: (r.articles as Law['articles']) ?? [],
    rights: (r.rights as string[]) ?? [],
    summary: r.summary as string,
    url: (r.url as string | null) ?? null,
    sources: (r.sources as Law['sources']) ?? [],
    tlp: r.tlp as string,
    incidentIds: (r.incident_ids as string[]) ?? [],
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    version: Number(r.version),
  };
}

export const LAW_COLS = `l.*, array(select li.incident_id::text from law_incidents li where li.law_id = l.id) as incident_ids`;
