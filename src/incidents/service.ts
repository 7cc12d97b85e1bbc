import { createHash, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../platform/db.js';
import { audit, registerAuditReadCheck, type Actor } from '../platform/audit.js';
import { can, isOperator, requirePerm, systemActor, UUID_RE } from '../platform/auth.js';
import { badRequest, conflict, forbidden, notFound } from '../core/errors.js';
import { countryName } from '../core/countries.js';
import { INCIDENT_STATUSES, INCIDENT_TYPES, STATUS_TRANSITIONS, type IncidentStatus } from '../core/taxonomy.js';
import {
  DocumentInputSchema, EvidenceInputSchema, IncidentInputSchema, IncidentPatchSchema, LawInputSchema, LawPatchSchema, SourceInputSchema,
  type EvidenceInput, type Incident, type IncidentInput, type IncidentPatch, type Law,
} from './model.js';
import { type CreatedIncident, beginDescribedCreate, cachedRead, getIncidentRow, INCIDENT_COLS, LAW_COLS, lawRow, mayBeVisibleTo, noteIncidentCreated, rowToIncident, visibleTo, type CacheScope } from './store.js';
import type { z } from 'zod';
import { DATASET_ATTRIBUTION } from './export.js';
import { candidateOf, recordDuplicatesFor, type DuplicateCandidate } from './duplicates.js';

export type { DuplicateCandidate };

export { systemActor };
export type { Actor };

/** Text that full-text search runs over: title, summary, area, country names, services, tags, actors. */
export function searchText(i: { title: string; summary?: string; area?: string | null; country: string; services?: string[]; tags?: string[]; actors?: { name: string }[]; networks?: { name?: string; asn?: number | null }[] }): string {
  return [
    i.title, i.summary ?? '', i.area ?? '', i.country, countryName(i.country, 'en'), countryName(i.country, 'fr'), countryName(i.country, 'es'),
    ...(i.services ?? []), ...(i.tags ?? []), ...(i.actors ?? []).map((a) => a.name),
    ...(i.networks ?? []).flatMap((n) => [n.name ?? '', n.asn ? `AS${n.asn}` : '']),
  ].join(' ').slice(0, 20_000);
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of Object.keys(after)) {
    if (['updatedAt', 'version', 'lawIds', 'activeUntil', 'durationDays', 'durationIsMinimum'].includes(k)) continue;
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = { from: before[k] ?? null, to: after[k] ?? null };
  }
  return out;
}

async function history(tx: Queryable, actor: Actor, incidentId: string, version: number, action: string, changes: unknown) {
  await tx.query('insert into incident_history (incident_id, version, actor_user_id, actor_label, action, changes) values ($1,$2,$3,$4,$5,$6)', [
    incidentId, version, actor.userId, actor.label, action, JSON.stringify(changes),
  ]);
}

/** Creates an incident. With `originKey`, a second call with the same key returns the existing incident unchanged. */
export async function createIncident(db: Db, actor: Actor, input: IncidentInput): Promise<Incident & { created?: boolean; likelyDuplicates?: DuplicateCandidate[] }> {
  requirePerm(actor, 'incidents:write');
  const v = IncidentInputSchema.parse(input);
  if (v.tlp === 'TLP:RED' && !actor.userId && !(v.redRecipients?.length)) throw badRequest('A TLP:RED incident needs named recipients.', 'redRecipients');
  const text = searchText(v);
  let created: CreatedIncident | null = null;
  let mark = 0;
  // The transaction writes the new incident, its history, the audit entry and likely-duplicate pairs: of what the
  // registry's caches hold, only results that can include the new incident change, and they are told so below.
  const result = await db.transaction(async (tx) => {
    mark = beginDescribedCreate(db);
    // Origin keys are per organisation: another organisation's key (and whether it holds one) is never revealed.
    // The first holder of a key stores it as is (the importers' bulk path relies on that); another organisation's
    // copy is stored under `<its org id>/<key>`.
    let storedKey: string | null = v.originKey ?? null;
    if (v.originKey) {
      const scoped = `${actor.orgId}/${v.originKey}`;
      const held = (await tx.query<{ id: string; org_id: string; origin_key: string }>('select id, org_id, origin_key from incidents where origin_key = any($1::text[])', [[v.originKey, scoped]])).rows;
      const mine = held.find((h) => h.org_id === actor.orgId);
      if (mine) {
        const row = await getIncidentRow(tx, actor, mine.id);
        if (!row) throw conflict('Your organisation already has an incident with this origin key that you may not read (TLP:RED).', 'originKey');
        return { ...rowToIncident(row), created: false };
      }
      if (held.some((h) => h.origin_key === v.originKey)) storedKey = scoped;
    }
    const id = randomUUID();
    const row = (await tx.query(
      `insert into incidents as i (id, org_id, type, title, country, area, networks, services, actors, targets, start_at, start_precision,
        end_at, end_precision, status, severity, tlp, red_recipients, summary, description, tags, confidence, origin, origin_key, search_text, created_by,
        end_state, ongoing_as_of)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28)
       returning i.*, array[]::text[] as law_ids, pg_current_xact_id()::text as xact`,
      [
        id, actor.orgId, v.type, v.title, v.country, v.area ?? null, JSON.stringify(v.networks ?? []), v.services ?? [], JSON.stringify(v.actors ?? []),
        v.targets ?? [], v.startAt, v.startPrecision ?? 'day', v.endAt ?? null, v.endPrecision ?? 'day', v.status ?? 'draft', v.severity ?? 'medium',
        v.tlp, v.redRecipients ?? [], v.summary ?? '', v.description ?? '', v.tags ?? [], v.confidence ?? null, v.origin ?? 'manual',
        storedKey, text, actor.userId, v.endAt ? 'ended' : (v.endState ?? 'unknown'), v.ongoingAsOf ?? null,
      ],
    )).rows[0]!;
    const inc = rowToIncident(row);
    created = {
      id, orgId: actor.orgId, tlp: inc.tlp, createdBy: actor.userId, redRecipients: (row.red_recipients as string[] | null) ?? [], country: inc.country, type: inc.type,
      status: inc.status, origin: inc.origin, endState: inc.endState, startAt: inc.startAt, activeUntil: inc.activeUntil, tags: inc.tags, searchText: text,
      xact: String(row.xact),
    };
    await history(tx, actor, id, 1, 'create', diff({}, inc as unknown as Record<string, unknown>));
    await audit(tx, actor, 'incident.create', 'incident', id, null, inc);
    // Likely duplicates are recorded for analysts to merge or dismiss; they never block the write.
    const likelyDuplicates = await recordDuplicatesFor(tx, [id], { justCreated: true });
    return { ...inc, created: true, likelyDuplicates };
  }, { describedRegistryChange: !STATS_DAYS_BASELINE });
  // STACKWATCH_BENCH_BASELINE=1: every write moves the generation, as before (bench/registry-load.ts).
  if (created && !STATS_DAYS_BASELINE) {
    noteIncidentCreated(db, created, mark);
    // A TLP:CLEAR incident may be public: the public site's prepared answers are keyed on the generation alone.
    if ((created as CreatedIncident).tlp === 'TLP:CLEAR') db.touchRegistry();
  }
  return result;
}

export async function getIncident(db: Queryable, actor: Actor, id: string) {
  requirePerm(actor, 'incidents:read');
  if (!UUID_RE.test(id)) throw notFound('Incident');
  // One statement: the incident (TLP applied) with its sources, evidence and the laws the reader may see.
  const p: unknown[] = [id];
  const vis = visibleTo(actor, p);
  const visLaw = visibleTo(actor, p, 'l');
  const row = (await db.query(
    `select ${INCIDENT_COLS},
       (select coalesce(json_agg(json_build_object('id', s.id, 'kind', s.kind, 'url', s.url, 'title', s.title, 'publisher', s.publisher, 'retrieved_at', s.retrieved_at,
          'sha256', s.sha256, 'content_type', s.content_type) order by s.added_at, s.id), '[]'::json) from incident_sources s where s.incident_id = i.id) as sources_json,
       (select coalesce(json_agg(json_build_object('id', e.id, 'kind', e.kind, 'ref', e.ref, 'summary', e.summary, 'data', e.data, 'added_at', e.added_at)
          order by e.added_at, e.id), '[]'::json) from incident_evidence e where e.incident_id = i.id) as evidence_json,
       (select coalesce(json_agg(json_build_object('id', l.id, 'title', l.title, 'country', l.country, 'status', l.status)), '[]'::json)
          from laws l join law_incidents li on li.law_id = l.id where li.incident_id = i.id and ${visLaw}) as laws_json
     from incidents i where i.id = $1 and ${vis}`,
    p,
  )).rows[0];
  if (!row) throw notFound('Incident');
  const inc = rowToIncident(row);
  const sources = { rows: row.sources_json as Record<string, unknown>[] };
  const evidence = { rows: row.evidence_json as Record<string, unknown>[] };
  const laws = { rows: row.laws_json as Record<string, unknown>[] };
  return {
    ...inc,
    sources: sources.rows.map((s) => ({
      id: s.id as string, kind: s.kind as string, url: (s.url as string) ?? null, title: s.title as string, publisher: s.publisher as string,
      retrievedAt: s.retrieved_at ? new Date(s.retrieved_at as string).toISOString() : null, sha256: (s.sha256 as string) ?? null,
      contentType: (s.content_type as string) ?? null,
    })),
    evidence: evidence.rows.map((e) => ({
      id: e.id as string, kind: e.kind as string, ref: e.ref as string, summary: e.summary as string, data: e.data, addedAt: new Date(e.added_at as string).toISOString(),
    })),
    laws: laws.rows.map((l) => ({ id: l.id as string, title: l.title as string, country: (l.country as string).trim(), status: l.status as string })),
  };
}

/**
 * Locks an incident for a change by `actor`: reading it is not enough, only its own organisation writes it (the
 * operator — the CLI, system jobs — may write any it can read). Every write path of the registry goes through here,
 * including evidence that other wings attach.
 */
async function lockForWrite(tx: Queryable, actor: Actor, id: string) {
  const row = await getIncidentRow(tx, actor, id, true);
  if (!row) throw notFound('Incident');
  if (row.org_id !== actor.orgId && !isOperator(actor)) throw forbidden('Only the organisation that owns this incident may change it.');
  return row;
}

export async function updateIncident(db: Db, actor: Actor, id: string, patch: IncidentPatch): Promise<Incident> {
  requirePerm(actor, 'incidents:write');
  const p = IncidentPatchSchema.parse(patch);
  return db.transaction(async (tx) => {
    const row = await lockForWrite(tx, actor, id);
    const before = rowToIncident(row);
    if (Number(row.version) !== p.version) {
      throw conflict(`This incident was changed by someone else (now version ${row.version}, you edited ${p.version}). Reload and apply your edit again.`, 'version');
    }
    if (p.status && p.status !== before.status && !STATUS_TRANSITIONS[before.status as IncidentStatus].includes(p.status)) {
      throw badRequest(`Status cannot move from ${before.status} to ${p.status}.`, 'status');
    }
    const merged = {
      ...before,
      ...Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== 'version')),
    } as Incident & { redRecipients?: string[] };
    if (merged.endAt && merged.startAt && merged.endAt < merged.startAt) throw badRequest('must not be before startAt', 'endAt');
    // The end: a date means ended; clearing it without saying more means unknown; "ongoing"/"unknown" clear the date.
    if (p.endAt) merged.endState = 'ended';
    else if (p.endState && p.endState !== 'ended' && p.endAt === undefined) merged.endAt = null;
    else if (p.endAt === null && !p.endState) merged.endState = 'unknown';
    if (merged.endState === 'ended' && !merged.endAt) throw badRequest('endState "ended" needs endAt', 'endAt');
    if (merged.endAt && p.endState && p.endState !== 'ended') throw badRequest('an incident with an end date has ended; send endAt: null with this endState', 'endState');
    if (merged.endState !== 'ongoing') merged.ongoingAsOf = null;
    await tx.query(
      `update incidents set type=$2, title=$3, country=$4, area=$5, networks=$6, services=$7, actors=$8, targets=$9, start_at=$10,
        start_precision=$11, end_at=$12, end_precision=$13, status=$14, severity=$15, tlp=$16, summary=$17, description=$18, tags=$19,
        confidence=$20, search_text=$21, red_recipients=coalesce($22, red_recipients), end_state=$23, ongoing_as_of=$24, updated_at=now(), version=version+1 where id=$1`,
      [
        id, merged.type, merged.title, merged.country, merged.area, JSON.stringify(merged.networks), merged.services, JSON.stringify(merged.actors),
        merged.targets, merged.startAt, merged.startPrecision, merged.endAt, merged.endPrecision, merged.status, merged.severity, merged.tlp,
        merged.summary, merged.description, merged.tags, merged.confidence, searchText(merged), p.redRecipients ?? null, merged.endState, merged.ongoingAsOf,
      ],
    );
    const afterRow = (await tx.query(`select i.*, array(select law_id::text from law_incidents where incident_id = i.id) law_ids from incidents i where id = $1`, [id])).rows[0]!;
    const after = rowToIncident(afterRow);
    const changes = diff(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>);
    await history(tx, actor, id, after.version, 'update', changes);
    await audit(tx, actor, 'incident.update', 'incident', id, before, after);
    return after;
  });
}

export async function incidentHistory(db: Queryable, actor: Actor, id: string) {
  requirePerm(actor, 'incidents:read');
  if (!(await getIncidentRow(db, actor, id))) throw notFound('Incident');
  // The history of incidents merged into this one is part of its history (marked with their id).
  const rows = await db.query(
    `select h.version, h.at, h.actor_label, h.action, h.changes, case when h.incident_id = $1::uuid then null else h.incident_id::text end as from_incident
       from incident_history h where h.incident_id = $1::uuid or h.incident_id in (select id from incidents where merged_into = $1::uuid) order by h.at, h.id`,
    [id],
  );
  return rows.rows.map((r) => ({
    version: Number(r.version), at: new Date(r.at as string).toISOString(), actorLabel: r.actor_label as string, action: r.action as string, changes: r.changes,
    ...(r.from_incident ? { fromIncident: r.from_incident as string } : {}),
  }));
}

export async function addSource(db: Db, actor: Actor, incidentId: string, input: z.input<typeof SourceInputSchema>) {
  requirePerm(actor, 'incidents:write');
  const s = SourceInputSchema.parse(input);
  return db.transaction(async (tx) => {
    const row = await lockForWrite(tx, actor, incidentId);
    const id = randomUUID();
    const inserted = await tx.query(
      `insert into incident_sources (id, incident_id, kind, url, title, publisher, retrieved_at, added_by) values ($1,$2,'url',$3,$4,$5,$6,$7)
       on conflict (incident_id, url) where url is not null do nothing returning id`,
      [id, incidentId, s.url, s.title ?? '', s.publisher ?? '', s.retrievedAt ?? new Date().toISOString(), actor.userId],
    );
    if (!inserted.rows.length) throw conflict('This source is already on the incident.', 'url');
    await tx.query('update incidents set updated_at = now(), version = version + 1 where id = $1', [incidentId]);
    await history(tx, actor, incidentId, Number(row.version) + 1, 'source.add', { sources: { from: null, to: s.url } });
    await audit(tx, actor, 'incident.source.add', 'incident', incidentId, null, { sourceId: id, ...s });
    return { id, kind: 'url', url: s.url, title: s.title ?? '', publisher: s.publisher ?? '' };
  });
}

/** Stores an uploaded document (a copy of a source) with its SHA-256 so that later readers can verify it. */
export async function addDocument(db: Db, actor: Actor, incidentId: string, input: z.input<typeof DocumentInputSchema>) {
  requirePerm(actor, 'incidents:write');
  const d = DocumentInputSchema.parse(input);
  const content = Buffer.from(d.contentBase64, 'base64');
  if (content.length === 0) throw badRequest('is not valid base64 or is empty', 'contentBase64');
  if (content.length > 512 * 1024) throw badRequest('the document must be under 512 KiB', 'contentBase64');
  const sha256 = createHash('sha256').update(content).digest('hex');
  return db.transaction(async (tx) => {
    const row = await lockForWrite(tx, actor, incidentId);
    const id = randomUUID();
    await tx.query(
      `insert into incident_sources (id, incident_id, kind, title, retrieved_at, sha256, content_type, content, added_by) values ($1,$2,'document',$3,now(),$4,$5,$6,$7)`,
      [id, incidentId, d.title ?? d.fileName, sha256, d.contentType, content, actor.userId],
    );
    await tx.query('update incidents set updated_at = now(), version = version + 1 where id = $1', [incidentId]);
    await history(tx, actor, incidentId, Number(row.version) + 1, 'document.add', { sources: { from: null, to: `${d.fileName} sha256:${sha256}` } });
    await audit(tx, actor, 'incident.document.add', 'incident', incidentId, null, { sourceId: id, fileName: d.fileName, sha256, bytes: content.length });
    return { id, kind: 'document', title: d.title ?? d.fileName, sha256 };
  });
}

/** Links an item of another wing (a measurement, an outage event, a takedown record, a case) to an incident. Idempotent. */
export async function attachEvidence(db: Db, actor: Actor, incidentId: string, input: EvidenceInput): Promise<{ id: string; created: boolean }> {
  requirePerm(actor, 'incidents:write');
  const e = EvidenceInputSchema.parse(input);
  return db.transaction(async (tx) => {
    const row = await lockForWrite(tx, actor, incidentId);
    const found = (await tx.query<{ id: string }>('select id from incident_evidence where incident_id = $1 and kind = $2 and ref = $3', [incidentId, e.kind, e.ref])).rows[0];
    if (found) return { id: found.id, created: false };
    const id = randomUUID();
    await tx.query('insert into incident_evidence (id, incident_id, kind, ref, summary, data, added_by) values ($1,$2,$3,$4,$5,$6,$7)', [
      id, incidentId, e.kind, e.ref, e.summary, JSON.stringify(e.data), actor.userId,
    ]);
    await tx.query('update incidents set updated_at = now(), version = version + 1 where id = $1', [incidentId]);
    await history(tx, actor, incidentId, Number(row.version) + 1, 'evidence.add', { evidence: { from: null, to: `${e.kind}:${e.ref}` } });
    await audit(tx, actor, 'incident.evidence.add', 'incident', incidentId, null, { evidenceId: id, kind: e.kind, ref: e.ref, summary: e.summary });
    return { id, created: true };
  });
}

/** Incidents in a country whose time span overlaps [from, to]; an open end counts as ongoing. */
export async function findOverlappingIncidents(
  db: Queryable,
  q: { country: string; typePrefixes?: string[]; from: Date; to: Date | null; actor?: Actor },
): Promise<{ id: string; type: string; title: string; startAt: string | null; endAt: string | null; origin: string }[]> {
  const actor = q.actor ?? (await systemActor(db));
  const params: unknown[] = [q.country, q.from.toISOString(), (q.to ?? new Date('9999-01-01')).toISOString()];
  let typeClause = '';
  if (q.typePrefixes?.length) {
    params.push(q.typePrefixes.map((t) => `${t}%`));
    typeClause = ` and i.type like any($${params.length})`;
  }
  const vis = visibleTo(actor, params);
  const rows = await db.query(
    `select i.id, i.type, i.title, i.start_at, i.end_at, i.origin from incidents i
     where i.country = $1 and i.merged_into is null and i.start_at <= $3::timestamptz and coalesce(i.end_at, 'infinity'::timestamptz) >= $2::timestamptz${typeClause} and ${vis}
     order by i.start_at`,
    params,
  );
  return rows.rows.map((r) => ({
    id: r.id as string, type: r.type as string, title: r.title as string,
    startAt: r.start_at ? new Date(r.start_at as string).toISOString() : null, endAt: r.end_at ? new Date(r.end_at as string).toISOString() : null,
    origin: r.origin as string,
  }));
}

// ---- Likely duplicates and merging ---------------------------------------------------------------------------

/** Open likely-duplicate pairs that involve this incident (both incidents visible to the reader). */
export async function incidentDuplicates(db: Queryable, actor: Actor, id: string): Promise<DuplicateCandidate[]> {
  requirePerm(actor, 'incidents:read');
  if (!(await getIncidentRow(db, actor, id))) throw notFound('Incident');
  const p: unknown[] = [id];
  const vis = visibleTo(actor, p, 'o');
  const r = await db.query(
    `select d.reasons, d.score, d.state, o.id, o.title, o.type, o.start_at, o.end_at, o.end_state, o.area, o.origin, o.status
       from incident_duplicates d join incidents o on o.id = case when d.a = $1::uuid then d.b else d.a end
      where (d.a = $1::uuid or d.b = $1::uuid) and d.state = 'open' and o.merged_into is null and ${vis} order by d.score desc, o.start_at`,
    p,
  );
  return r.rows.map(candidateOf);
}

/** Every open pair the reader can see both sides of, best first: the analyst's review queue. */
export async function listDuplicates(db: Queryable, actor: Actor, f: { country?: string; page: number; pageSize: number }) {
  requirePerm(actor, 'incidents:read');
  const p: unknown[] = [];
  const va = visibleTo(actor, p, 'x');
  const vb = visibleTo(actor, p, 'y');
  let c = '';
  if (f.country) { p.push(f.country); c = ` and x.country = $${p.length}`; }
  const where = `d.state = 'open' and x.merged_into is null and y.merged_into is null and ${va} and ${vb}${c}`;
  const cols = (t: string) => `${t}.id, ${t}.title, ${t}.type, ${t}.start_at, ${t}.end_at, ${t}.end_state, ${t}.area, ${t}.origin, ${t}.status`;
  const [rows, total] = await Promise.all([
    db.query(
      `select d.reasons, d.score, d.state, to_jsonb(a) a, to_jsonb(b) b from incident_duplicates d
         join incidents x on x.id = d.a join incidents y on y.id = d.b
         cross join lateral (select ${cols('x')}) a cross join lateral (select ${cols('y')}) b
        where ${where} order by x.start_at desc, d.a, d.b limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`,
      p,
    ),
    db.query<{ n: number }>(`select count(*)::int n from incident_duplicates d join incidents x on x.id = d.a join incidents y on y.id = d.b where ${where}`, p),
  ]);
  return {
    items: rows.rows.map((r) => ({
      reasons: r.reasons as string[], score: Number(r.score),
      a: candidateOf({ ...(r.a as object), reasons: r.reasons, score: r.score, state: r.state }),
      b: candidateOf({ ...(r.b as object), reasons: r.reasons, score: r.score, state: r.state }),
    })),
    total: total.rows[0]?.n ?? 0,
  };
}

/** Marks a pair as not duplicates (it will not be proposed again). Audited. */
export async function dismissDuplicate(db: Db, actor: Actor, id: string, otherId: string): Promise<{ dismissed: boolean }> {
  requirePerm(actor, 'incidents:write');
  return db.transaction(async (tx) => {
    await lockForWrite(tx, actor, id);
    await lockForWrite(tx, actor, otherId);
    const [a, b] = id < otherId ? [id, otherId] : [otherId, id];
    const r = await tx.query(`update incident_duplicates set state = 'dismissed', decided_by = $3, decided_at = now() where a = $1 and b = $2 and state = 'open' returning a`, [a, b, actor.label]);
    if (!r.rows.length) throw notFound('Open likely-duplicate pair');
    await audit(tx, actor, 'incident.duplicate.dismiss', 'incident', id, null, { other: otherId });
    return { dismissed: true };
  });
}

/**
 * Merges incident `fromId` into `intoId`, all or nothing: every source, evidence item, data-set record and law link
 * moves to `intoId` (an item already there stays once); `fromId` stays as a record marked merged (its own history
 * readable, and shown in the history of `intoId`), left out of lists and statistics. Both incidents get a history
 * entry; the audit log keeps the merged incident as it was. The fields of `intoId` are not changed.
 */
export async function mergeIncidents(db: Db, actor: Actor, intoId: string, fromId: string) {
  requirePerm(actor, 'incidents:write');
  if (intoId === fromId) throw badRequest('cannot merge an incident into itself', 'from');
  return db.transaction(async (tx) => {
    const intoRow = await lockForWrite(tx, actor, intoId);
    const fromRow = await lockForWrite(tx, actor, fromId);
    if (intoRow.merged_into || (await tx.query('select merged_into from incidents where id = $1', [intoId])).rows[0]?.merged_into) throw conflict('This incident was itself merged into another one.', 'id');
    if ((await tx.query('select merged_into from incidents where id = $1', [fromId])).rows[0]?.merged_into) throw conflict('That incident was already merged.', 'from');
    if ((intoRow.country as string).trim() !== (fromRow.country as string).trim()) throw badRequest('incidents of different countries cannot be merged', 'from');
    const from = rowToIncident(fromRow);
    const moved = { sources: 0, evidence: 0, records: 0, laws: 0 };
    // Sources: a URL already on the target stays once; documents always move.
    moved.sources = (await tx.query(
      `update incident_sources s set incident_id = $1 where s.incident_id = $2
         and (s.url is null or not exists (select 1 from incident_sources t where t.incident_id = $1 and t.url = s.url)) returning id`, [intoId, fromId])).rows.length;
    moved.evidence = (await tx.query(
      `update incident_evidence e set incident_id = $1 where e.incident_id = $2
         and not exists (select 1 from incident_evidence t where t.incident_id = $1 and t.kind = e.kind and t.ref = e.ref) returning id`, [intoId, fromId])).rows.length;
    moved.records = (await tx.query('update dataset_records set incident_id = $1 where incident_id = $2 returning record_key', [intoId, fromId])).rows.length;
    moved.laws = (await tx.query(
      `insert into law_incidents (law_id, incident_id) select law_id, $1 from law_incidents where incident_id = $2 on conflict do nothing returning law_id`, [intoId, fromId])).rows.length;
    // The merged incident as evidence on the target, so its facts (dates, area, summary) stay in view.
    await tx.query(
      `insert into incident_evidence (id, incident_id, kind, ref, summary, data, added_by) values ($1,$2,'other',$3,$4,$5,$6) on conflict do nothing`,
      [randomUUID(), intoId, `incident:${fromId}`, `Merged incident: ${from.title}`, JSON.stringify({ mergedIncident: from }), actor.userId],
    );
    await tx.query(`update incident_duplicates set state = 'merged', decided_by = $3, decided_at = now() where state = 'open' and ((a = $1 and b = $2) or (a = $2 and b = $1))`, [intoId, fromId, actor.label]);
    await tx.query(`update incident_duplicates set state = 'dismissed', decided_by = $2, decided_at = now() where state = 'open' and (a = $1 or b = $1)`, [fromId, actor.label]);
    const fromVersion = Number(fromRow.version) + 1;
    const intoVersion = Number(intoRow.version) + 1;
    await tx.query('update incidents set merged_into = $2, updated_at = now(), version = $3 where id = $1', [fromId, intoId, fromVersion]);
    await tx.query('update incidents set updated_at = now(), version = $2 where id = $1', [intoId, intoVersion]);
    await history(tx, actor, fromId, fromVersion, 'merge.into', { mergedInto: { from: null, to: intoId } });
    await history(tx, actor, intoId, intoVersion, 'merge.from', { merged: { from: null, to: { id: fromId, title: from.title, ...moved } } });
    await audit(tx, actor, 'incident.merge', 'incident', intoId, from, { into: intoId, from: fromId, moved });
    return { into: intoId, from: fromId, moved };
  });
}

// ---- Laws -------------------------------------------------------------------------------------------------

async function visibleIncidentIds(db: Queryable, actor: Actor, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const p: unknown[] = [ids];
  const vis = visibleTo(actor, p);
  return (await db.query<{ id: string }>(`select i.id from incidents i where i.id = any($1::uuid[]) and ${vis}`, p)).rows.map((r) => r.id);
}

async function readLaw(db: Queryable, actor: Actor, id: string, forUpdate = false): Promise<Law> {
  if (!UUID_RE.test(id)) throw notFound('Law');
  const p: unknown[] = [id];
  const vis = visibleTo(actor, p, 'l');
  const r = (await db.query(`select ${LAW_COLS} from laws l where l.id = $1 and ${vis}${forUpdate ? ' for update of l' : ''}`, p)).rows[0];
  if (!r) throw notFound('Law');
  const law = lawRow(r);
  law.incidentIds = await visibleIncidentIds(db, actor, law.incidentIds);
  return law;
}

export async function getLaw(db: Queryable, actor: Actor, id: string) {
  requirePerm(actor, 'laws:read');
  return readLaw(db, actor, id);
}

export async function listLaws(db: Queryable, actor: Actor, f: { country?: string; status?: string; q?: string; page: number; pageSize: number }) {
  requirePerm(actor, 'laws:read');
  const p: unknown[] = [];
  const where = [visibleTo(actor, p, 'l')];
  if (f.country) { p.push(f.country); where.push(`l.country = $${p.length}`); }
  if (f.status) { p.push(f.status); where.push(`l.status = $${p.length}`); }
  if (f.q) { p.push(`%${f.q.toLowerCase()}%`); where.push(`(lower(l.title) like $${p.length} or lower(l.summary) like $${p.length})`); }
  const w = where.join(' and ');
  const total = (await db.query<{ n: number }>(`select count(*)::int n from laws l where ${w}`, p)).rows[0]?.n ?? 0;
  const rows = await db.query(`select ${LAW_COLS} from laws l where ${w} order by l.country, l.title limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`, p);
  const items = await Promise.all(rows.rows.map(async (r) => { const l = lawRow(r); l.incidentIds = await visibleIncidentIds(db, actor, l.incidentIds); return l; }));
  return { items, total };
}

export async function createLaw(db: Db, actor: Actor, input: z.input<typeof LawInputSchema>): Promise<Law> {
  requirePerm(actor, 'laws:write');
  const v = LawInputSchema.parse(input);
  return db.transaction(async (tx) => {
    const id = randomUUID();
    const timeline = v.timeline.length ? v.timeline : [{ status: v.status, date: new Date().toISOString().slice(0, 10) }];
    await tx.query(
      `insert into laws (id, org_id, country, title, status, timeline, articles, rights, summary, url, tlp, created_by, sources) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
      [id, actor.orgId, v.country, v.title, v.status, JSON.stringify(timeline), JSON.stringify(v.articles), v.rights, v.summary, v.url ?? null, v.tlp, actor.userId, JSON.stringify(v.sources)],
    );
    const law = await readLaw(tx, actor, id);
    await audit(tx, actor, 'law.create', 'law', id, null, law);
    return law;
  });
}

export async function updateLaw(db: Db, actor: Actor, id: string, patch: z.input<typeof LawPatchSchema>): Promise<Law> {
  requirePerm(actor, 'laws:write');
  const p = LawPatchSchema.parse(patch);
  return db.transaction(async (tx) => {
    const before = await readLaw(tx, actor, id, true);
    const owner = (await tx.query<{ org_id: string }>('select org_id from laws where id = $1', [id])).rows[0];
    if (owner?.org_id !== actor.orgId && !isOperator(actor)) throw forbidden('Only the organisation that tracks this law may change it.');
    if (before.version !== p.version) throw conflict(`This law was changed by someone else (now version ${before.version}). Reload and try again.`, 'version');
    const m = { ...before, ...Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== 'version')) } as Law;
    // A status change extends the timeline unless the caller sent one.
    if (p.status && p.status !== before.status && !p.timeline) m.timeline = [...before.timeline, { status: p.status, date: new Date().toISOString().slice(0, 10) }];
    await tx.query(
      `update laws set country=$2, title=$3, status=$4, timeline=$5, articles=$6, rights=$7, summary=$8, url=$9, tlp=$10, sources=$11, updated_at=now(), version=version+1 where id=$1`,
      [id, m.country, m.title, m.status, JSON.stringify(m.timeline), JSON.stringify(m.articles), m.rights, m.summary, m.url, m.tlp, JSON.stringify(m.sources ?? [])],
    );
    const after = await readLaw(tx, actor, id);
    await audit(tx, actor, 'law.update', 'law', id, before, after);
    return after;
  });
}

export async function linkLaw(db: Db, actor: Actor, lawId: string, incidentId: string, link: boolean): Promise<Law> {
  requirePerm(actor, 'laws:write');
  return db.transaction(async (tx) => {
    await readLaw(tx, actor, lawId, true);
    const owner = (await tx.query<{ org_id: string }>('select org_id from laws where id = $1', [lawId])).rows[0];
    if (owner?.org_id !== actor.orgId && !isOperator(actor)) throw forbidden('Only the organisation that tracks this law may change its links.');
    if (!(await getIncidentRow(tx, actor, incidentId))) throw notFound('Incident');
    if (link) await tx.query('insert into law_incidents (law_id, incident_id) values ($1,$2) on conflict do nothing', [lawId, incidentId]);
    else await tx.query('delete from law_incidents where law_id = $1 and incident_id = $2', [lawId, incidentId]);
    await audit(tx, actor, link ? 'law.link' : 'law.unlink', 'law', lawId, null, { incidentId });
    return readLaw(tx, actor, lawId);
  });
}

// ---- Statistics for the map, charts and country pages --------------------------------------------------------
// What a figure counts is a choice, and the choice is stated with every figure (docs/registry.md): by default,
// verified incidents of the rights-relevant types (everything but "other": unattributed outages are signals, not
// incidents), active during the period; merged duplicates are left out; TLP is applied.

export type StatsFilter = StatsChoice & { from?: string; to?: string; country?: string };
export interface StatsChoice {
  /** verified (default) | reviewed (verified or under review) | all */
  status?: 'verified' | 'reviewed' | 'all';
  /** rights (default: every type but "other") | shutdowns (as Access Now counts them) | network | all | a type or type prefix */
  family?: string;
  /** Source of the records: stop | ioda | manual | outages | measure … */
  origin?: string;
  /** Old parameter of /stats/countries: a type or prefix; used as `family` when that is not given. */
  type?: string;
}

export const STATS_FAMILIES: Record<string, { label: string; types: readonly string[] }> = {
  rights: { label: 'rights-relevant types (every type but "other": unattributed outages are not counted)', types: INCIDENT_TYPES.filter((t) => t !== 'other') },
  shutdowns: { label: 'all shutdowns as Access Now counts them (full, regional and mobile shutdowns, throttling, service blocking)', types: ['shutdown.full', 'shutdown.regional', 'shutdown.mobile', 'throttling', 'blocking.service'] },
  network: { label: 'network disruptions (shutdowns and throttling)', types: ['shutdown.full', 'shutdown.regional', 'shutdown.mobile', 'throttling'] },
  all: { label: 'all types, unattributed outages included', types: INCIDENT_TYPES },
};
const SHUTDOWN_DAY_TYPES = ['shutdown.full', 'shutdown.regional', 'shutdown.mobile', 'throttling'];
const STATS_DAYS_BASELINE = process.env.STACKWATCH_BENCH_BASELINE === '1';

export interface AppliedFilter {
  status: string;
  statuses: string[];
  family: string;
  types: string[];
  origin: string | null;
  from: string | null;
  to: string | null;
  country: string | null;
  period: 'active during';
  description: string;
}

export function resolveStatsFilter(f: StatsFilter): AppliedFilter {
  const status = f.status ?? 'verified';
  const statuses = status === 'verified' ? ['verified'] : status === 'reviewed' ? ['verified', 'under_review'] : [...INCIDENT_STATUSES];
  const family = f.family ?? f.type ?? 'rights';
  const known = STATS_FAMILIES[family];
  const types = known ? [...known.types] : INCIDENT_TYPES.filter((t) => t === family || t.startsWith(`${family}.`));
  if (!types.length) throw badRequest(`unknown type family "${family}": use rights, shutdowns, network, all, or a type such as shutdown.full`, 'family');
  const what = status === 'verified' ? 'Verified incidents' : status === 'reviewed' ? 'Verified or under-review incidents' : 'Incidents of any status';
  const kinds = known ? known.label : `type ${types.join(', ')}`;
  const period = f.from || f.to ? `, active during ${f.from?.slice(0, 10) ?? 'the start'} – ${f.to?.slice(0, 10) ?? 'today'} (started before its end, not ended before its start)` : ', all time';
  const description = `${what} of ${kinds}${f.origin ? `, source ${f.origin}` : ''}${f.country ? `, ${f.country}` : ''}${period}. Merged duplicates are left out; an incident whose end was never recorded counts on its first day only; an ongoing one up to the day it was last known to continue. TLP applies.`;
  const isoOrNull = (v?: string) => (v ? new Date(v).toISOString() : null);
  return { status, statuses, family, types, origin: f.origin ?? null, from: isoOrNull(f.from), to: isoOrNull(f.to), country: f.country ?? null, period: 'active during', description };
}

/** The selection of statistics as SQL over incidents `i` (TLP, merged, status, types, source, country, period). */
function statsWhere(actor: Actor, a: AppliedFilter, p: unknown[]): string {
  const w = [visibleTo(actor, p), 'i.merged_into is null', 'i.start_at is not null'];
  p.push(a.statuses); w.push(`i.status = any($${p.length}::text[])`);
  p.push(a.types); w.push(`i.type = any($${p.length}::text[])`);
  if (a.origin) { p.push(a.origin); w.push(`i.origin = $${p.length}`); }
  if (a.country) { p.push(a.country); w.push(`i.country = $${p.length}`); }
  p.push(a.from ?? '1900-01-01T00:00:00Z', a.to ?? '2999-01-01T00:00:00Z');
  w.push(`tstzrange(i.start_at, i.active_until, '[]') && tstzrange($${p.length - 1}::timestamptz, $${p.length}::timestamptz, '[]')`);
  return w.join(' and ');
}

/** Which new incidents can change a cached statistic (see cachedRead): those that `statsWhere` may select. */
function statsScope(actor: Actor, a: AppliedFilter): CacheScope {
  return (c) =>
    mayBeVisibleTo(actor, c) && a.statuses.includes(c.status) && a.types.includes(c.type) && (!a.origin || a.origin === c.origin) && (!a.country || a.country === c.country);
}

export async function statsByCountry(db: Queryable, actor: Actor, f: StatsFilter) {
  return (await statsByCountryWithFilter(db, actor, f)).items;
}

export async function statsByCountryWithFilter(db: Queryable, actor: Actor, f: StatsFilter) {
  requirePerm(actor, 'incidents:read');
  const applied = resolveStatsFilter(f);
  const items = await cachedRead(db, actor, `countries:${JSON.stringify(applied)}`, () => queryStatsByCountry(db, actor, applied), statsScope(actor, applied));
  return { items, filter: applied };
}

/**
 * Per country: incidents active during the period, and shutdown days — calendar days (UTC) covered by at least one
 * shutdown or throttling among them, inside the period and not after today. End unknown: the first day only.
 */
async function queryStatsByCountry(db: Queryable, actor: Actor, a: AppliedFilter) {
  const p: unknown[] = [];
  const where = statsWhere(actor, a, p);
  p.push(SHUTDOWN_DAY_TYPES);
  const sd = `$${p.length}::text[]`;
  const lo = a.from ? `'${new Date(a.from).toISOString()}'::timestamptz` : `'-infinity'::timestamptz`;
  const hi = a.to ? `least('${new Date(a.to).toISOString()}'::timestamptz, now())` : 'now()';
  // Shutdown days: each incident's days as a date range, merged per country (range_agg), the merged ranges' lengths
  // summed — the same days as listing every day and counting distinct ones, without a row per day (a long ongoing
  // shutdown was thousands of rows). STACKWATCH_BENCH_BASELINE=1 lists the days as before.
  const days = STATS_DAYS_BASELINE
    ? `select s.country, count(distinct d)::int n from sel s,
        generate_series(date_trunc('day', greatest(s.start_at, ${lo})), date_trunc('day', least(s.active_until, ${hi})), interval '1 day') d
        where s.type = any(${sd}) group by s.country`
    : `select x.country, sum(upper(x.r) - lower(x.r))::int n from (
         select s.country, unnest(range_agg(daterange(greatest(s.start_at, ${lo})::date, least(s.active_until, ${hi})::date, '[]'))) r from sel s
          where s.type = any(${sd}) and greatest(s.start_at, ${lo})::date <= least(s.active_until, ${hi})::date group by s.country) x
        group by x.country`;
  const rows = await db.query<{ country: string; count: number; shutdown_days: number; end_unknown: number; ongoing: number }>(
    `with sel as (select i.country, i.type, i.start_at, i.active_until, i.end_state from incidents i where ${where}),
      days as (${days})
     select sel.country, count(*)::int count, coalesce(max(days.n), 0)::int shutdown_days,
            count(*) filter (where sel.end_state = 'unknown')::int end_unknown, count(*) filter (where sel.end_state = 'ongoing')::int ongoing
       from sel left join days on days.country = sel.country group by sel.country order by count desc, shutdown_days desc, sel.country`,
    p,
  );
  return rows.rows.map((r) => ({ country: r.country.trim(), count: r.count, shutdownDays: r.shutdown_days, endUnknown: r.end_unknown, ongoing: r.ongoing }));
}

export async function statsMonthly(db: Queryable, actor: Actor, f: StatsFilter) {
  return (await statsMonthlyWithFilter(db, actor, f)).items;
}

/** Incidents active in each month, by type (an incident running three months counts in each of them). */
export async function statsMonthlyWithFilter(db: Queryable, actor: Actor, f: StatsFilter) {
  requirePerm(actor, 'incidents:read');
  const applied = resolveStatsFilter(f);
  const items = await cachedRead(db, actor, `monthly:${JSON.stringify(applied)}`, async () => {
    const p: unknown[] = [];
    const where = statsWhere(actor, applied, p);
    const lo = applied.from ? `'${new Date(applied.from).toISOString()}'::timestamptz` : `'-infinity'::timestamptz`;
    const hi = applied.to ? `least('${new Date(applied.to).toISOString()}'::timestamptz, now())` : 'now()';
    const rows = await db.query<{ month: string; type: string; count: number }>(
      `select to_char(m, 'YYYY-MM') as month, i.type, count(*)::int count from incidents i,
         generate_series(date_trunc('month', greatest(i.start_at, ${lo})), date_trunc('month', least(i.active_until, ${hi})), interval '1 month') m
       where ${where} group by 1, 2 order by 1, 2`,
      p,
    );
    return rows.rows;
  }, statsScope(actor, applied));
  return { items, filter: applied };
}

/**
 * A data set's own counts, as it publishes them: for Access Now STOP, one per row of each year's sheet (shutdowns
 * carried over from an earlier year and rows the data set lists twice included), whatever became of the row in the
 * registry (its own incident, a document on an earlier one, or merged). Rows of incidents hidden by TLP are left out.
 */
export async function datasetCounts(db: Queryable, actor: Actor, dataset: 'stop' | 'ioda') {
  requirePerm(actor, 'incidents:read');
  const p: unknown[] = [dataset];
  const vis = visibleTo(actor, p);
  const rows = await db.query<{ period: string | null; records: number; incidents: number }>(
    `select r.period, count(*)::int records, count(distinct coalesce(i.merged_into, i.id))::int incidents
       from dataset_records r join incidents i on i.id = r.incident_id where r.dataset = $1 and ${vis} group by 1 order by 1 nulls last`,
    p,
  );
  const counting =
    dataset === 'stop'
      ? "Access Now STOP's own counting: one shutdown per row of the year's sheet (the 2016–2018 sheet: per its year column), including shutdowns carried over from an earlier year and rows listed twice. 'incidents' is how many registry incidents those rows are now."
      : "IODA's own counting: one outage per record of the investigated-outages list, by the year it began (daily records of one outage counted one by one).";
  return { dataset, counting, attribution: DATASET_ATTRIBUTION[dataset]!, items: rows.rows.map((r) => ({ period: r.period, records: r.records, incidents: r.incidents })) };
}


export async function countryProfile(db: Queryable, actor: Actor, cc: string, f: StatsFilter = {}) {
  const { items, filter } = await statsByCountryWithFilter(db, actor, { ...f, country: cc });
  const mine = items.find((s) => s.country === cc);
  const p: unknown[] = [];
  const where = statsWhere(actor, filter, p);
  const byType = await db.query<{ type: string; count: number }>(`select i.type, count(*)::int count from incidents i where ${where} group by 1 order by 2 desc, 1`, p);
  // Laws only for those who may read them (an API token scoped to incidents:read gets the incidents part alone).
  const laws = can(actor, 'laws:read') ? await listLaws(db, actor, { country: cc, page: 1, pageSize: 200 }) : { items: [] };
  return {
    country: cc, incidentCount: mine?.count ?? 0, shutdownDays: mine?.shutdownDays ?? 0, endUnknown: mine?.endUnknown ?? 0, ongoing: mine?.ongoing ?? 0,
    byType: byType.rows, laws: laws.items, filter,
  };
}

// ---- Audit log: entries about incidents and laws show their bodies only to readers who may read the record now ----

registerAuditReadCheck('incident', async (db, actor, ids) => {
  const p: unknown[] = [ids.filter((i) => UUID_RE.test(i))];
  const vis = visibleTo(actor, p);
  return new Set((await db.query<{ id: string }>(`select i.id from incidents i where i.id = any($1::uuid[]) and ${vis}`, p)).rows.map((r) => r.id));
});
registerAuditReadCheck('law', async (db, actor, ids) => {
  const p: unknown[] = [ids.filter((i) => UUID_RE.test(i))];
  const vis = visibleTo(actor, p, 'l');
  return new Set((await db.query<{ id: string }>(`select l.id from laws l where l.id = any($1::uuid[]) and ${vis}`, p)).rows.map((r) => r.id));
});

/** An uploaded document of an incident, for those who may read the incident. */
export async function getDocument(db: Queryable, actor: Actor, incidentId: string, sourceId: string): Promise<{ fileName: string; contentType: string; sha256: string; content: Buffer }> {
  requirePerm(actor, 'incidents:read');
  if (!(await getIncidentRow(db, actor, incidentId)) || !UUID_RE.test(sourceId)) throw notFound('Document');
  const r = (await db.query<{ title: string; content_type: string | null; sha256: string | null; content: Uint8Array | null }>(
    "select title, content_type, sha256, content from incident_sources where id = $1 and incident_id = $2 and kind = 'document'", [sourceId, incidentId],
  )).rows[0];
  if (!r?.content) throw notFound('Document');
  return { fileName: r.title, contentType: r.content_type ?? 'application/octet-stream', sha256: r.sha256 ?? '', content: Buffer.from(r.content) };
}
