import { createHash, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../platform/db.js';
import { audit, registerAuditReadCheck, type Actor } from '../platform/audit.js';
import { can, isOperator, requirePerm, systemActor, UUID_RE } from '../platform/auth.js';
import { badRequest, conflict, forbidden, notFound } from '../core/errors.js';
import { countryName } from '../core/countries.js';
import { STATUS_TRANSITIONS, type IncidentStatus } from '../core/taxonomy.js';
import {
  DocumentInputSchema, EvidenceInputSchema, IncidentInputSchema, IncidentPatchSchema, LawInputSchema, LawPatchSchema, SourceInputSchema,
  type EvidenceInput, type Incident, type IncidentInput, type IncidentPatch, type Law,
} from './model.js';
import { cachedRead, getIncidentRow, LAW_COLS, lawRow, rowToIncident, visibleTo } from './store.js';
import type { z } from 'zod';

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
    if (['updatedAt', 'version', 'lawIds'].includes(k)) continue;
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
export async function createIncident(db: Db, actor: Actor, input: IncidentInput): Promise<Incident & { created?: boolean }> {
  requirePerm(actor, 'incidents:write');
  const v = IncidentInputSchema.parse(input);
  if (v.tlp === 'TLP:RED' && !actor.userId && !(v.redRecipients?.length)) throw badRequest('A TLP:RED incident needs named recipients.', 'redRecipients');
  return db.transaction(async (tx) => {
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
    await tx.query(
      `insert into incidents (id, org_id, type, title, country, area, networks, services, actors, targets, start_at, start_precision,
        end_at, end_precision, status, severity, tlp, red_recipients, summary, description, tags, confidence, origin, origin_key, search_text, created_by)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)`,
      [
        id, actor.orgId, v.type, v.title, v.country, v.area ?? null, JSON.stringify(v.networks ?? []), v.services ?? [], JSON.stringify(v.actors ?? []),
        v.targets ?? [], v.startAt, v.startPrecision ?? 'day', v.endAt ?? null, v.endPrecision ?? 'day', v.status ?? 'draft', v.severity ?? 'medium',
        v.tlp, v.redRecipients ?? [], v.summary ?? '', v.description ?? '', v.tags ?? [], v.confidence ?? null, v.origin ?? 'manual',
        storedKey, searchText(v), actor.userId,
      ],
    );
    const row = (await tx.query(`select ${'i.*, array[]::text[] as law_ids'} from incidents i where id = $1`, [id])).rows[0]!;
    const inc = rowToIncident(row);
    await history(tx, actor, id, 1, 'create', diff({}, inc as unknown as Record<string, unknown>));
    await audit(tx, actor, 'incident.create', 'incident', id, null, inc);
    return { ...inc, created: true };
  });
}

export async function getIncident(db: Queryable, actor: Actor, id: string) {
  requirePerm(actor, 'incidents:read');
  const row = await getIncidentRow(db, actor, id);
  if (!row) throw notFound('Incident');
  const inc = rowToIncident(row);
  const [sources, evidence, laws] = await Promise.all([
    db.query(`select id, kind, url, title, publisher, retrieved_at, sha256, content_type, added_at from incident_sources where incident_id = $1 order by added_at, id`, [id]),
    db.query(`select id, kind, ref, summary, data, added_at from incident_evidence where incident_id = $1 order by added_at, id`, [id]),
    (() => {
      const p: unknown[] = [id];
      const vis = visibleTo(actor, p, 'l');
      return db.query(`select l.id, l.title, l.country, l.status from laws l join law_incidents li on li.law_id = l.id where li.incident_id = $1 and ${vis}`, p);
    })(),
  ]);
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
    await tx.query(
      `update incidents set type=$2, title=$3, country=$4, area=$5, networks=$6, services=$7, actors=$8, targets=$9, start_at=$10,
        start_precision=$11, end_at=$12, end_precision=$13, status=$14, severity=$15, tlp=$16, summary=$17, description=$18, tags=$19,
        confidence=$20, search_text=$21, red_recipients=coalesce($22, red_recipients), updated_at=now(), version=version+1 where id=$1`,
      [
        id, merged.type, merged.title, merged.country, merged.area, JSON.stringify(merged.networks), merged.services, JSON.stringify(merged.actors),
        merged.targets, merged.startAt, merged.startPrecision, merged.endAt, merged.endPrecision, merged.status, merged.severity, merged.tlp,
        merged.summary, merged.description, merged.tags, merged.confidence, searchText(merged), p.redRecipients ?? null,
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
  const rows = await db.query(`select version, at, actor_label, action, changes from incident_history where incident_id = $1 order by id`, [id]);
  return rows.rows.map((r) => ({ version: Number(r.version), at: new Date(r.at as string).toISOString(), actorLabel: r.actor_label as string, action: r.action as string, changes: r.changes }));
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
     where i.country = $1 and i.start_at <= $3::timestamptz and coalesce(i.end_at, 'infinity'::timestamptz) >= $2::timestamptz${typeClause} and ${vis}
     order by i.start_at`,
    params,
  );
  return rows.rows.map((r) => ({
    id: r.id as string, type: r.type as string, title: r.title as string,
    startAt: r.start_at ? new Date(r.start_at as string).toISOString() : null, endAt: r.end_at ? new Date(r.end_at as string).toISOString() : null,
    origin: r.origin as string,
  }));
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
      `insert into laws (id, org_id, country, title, status, timeline, articles, rights, summary, url, tlp, created_by) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [id, actor.orgId, v.country, v.title, v.status, JSON.stringify(timeline), JSON.stringify(v.articles), v.rights, v.summary, v.url ?? null, v.tlp, actor.userId],
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
      `update laws set country=$2, title=$3, status=$4, timeline=$5, articles=$6, rights=$7, summary=$8, url=$9, tlp=$10, updated_at=now(), version=version+1 where id=$1`,
      [id, m.country, m.title, m.status, JSON.stringify(m.timeline), JSON.stringify(m.articles), m.rights, m.summary, m.url, m.tlp],
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

export async function statsByCountry(db: Queryable, actor: Actor, f: { from?: string; to?: string; type?: string }) {
  requirePerm(actor, 'incidents:read');
  return cachedRead(db, actor, `countries:${JSON.stringify(f)}`, () => queryStatsByCountry(db, actor, f));
}

async function queryStatsByCountry(db: Queryable, actor: Actor, f: { from?: string; to?: string; type?: string }) {
  const p: unknown[] = [f.from ?? '1900-01-01T00:00:00Z', f.to ?? '2999-01-01T00:00:00Z'];
  const vis = visibleTo(actor, p);
  let typeClause = '';
  if (f.type) { p.push(f.type); typeClause = ` and (i.type = $${p.length} or i.type like $${p.length} || '.%')`; }
  const rows = await db.query<{ country: string; count: number; shutdown_days: number }>(
    `with sel as (select i.* from incidents i where i.start_at <= $2::timestamptz and coalesce(i.end_at, i.start_at) >= $1::timestamptz and ${vis}${typeClause}),
      days as (select s.country, count(distinct d)::int n from sel s,
        generate_series(date_trunc('day', greatest(s.start_at, $1::timestamptz)), date_trunc('day', least(coalesce(s.end_at, s.start_at), $2::timestamptz)), interval '1 day') d
        where s.type like 'shutdown.%' group by s.country)
     select sel.country, count(*)::int count, coalesce(max(days.n), 0)::int shutdown_days from sel left join days on days.country = sel.country group by sel.country order by count desc`,
    p,
  );
  return rows.rows.map((r) => ({ country: r.country.trim(), count: r.count, shutdownDays: r.shutdown_days }));
}

export async function statsMonthly(db: Queryable, actor: Actor, f: { from?: string; to?: string; country?: string }) {
  requirePerm(actor, 'incidents:read');
  return cachedRead(db, actor, `monthly:${JSON.stringify(f)}`, () => queryStatsMonthly(db, actor, f));
}

async function queryStatsMonthly(db: Queryable, actor: Actor, f: { from?: string; to?: string; country?: string }) {
  const p: unknown[] = [f.from ?? '1900-01-01T00:00:00Z', f.to ?? '2999-01-01T00:00:00Z'];
  const vis = visibleTo(actor, p);
  let c = '';
  if (f.country) { p.push(f.country); c = ` and i.country = $${p.length}`; }
  const rows = await db.query<{ month: string; type: string; count: number }>(
    `select to_char(date_trunc('month', i.start_at), 'YYYY-MM') as month, i.type, count(*)::int count from incidents i
     where i.start_at between $1::timestamptz and $2::timestamptz and ${vis}${c} group by 1, 2 order by 1, 2`,
    p,
  );
  return rows.rows;
}

export async function countryProfile(db: Queryable, actor: Actor, cc: string) {
  const stats = await statsByCountry(db, actor, {});
  const mine = stats.find((s) => s.country === cc);
  const p: unknown[] = [cc];
  const vis = visibleTo(actor, p);
  const byType = await db.query<{ type: string; count: number }>(`select i.type, count(*)::int count from incidents i where i.country = $1 and ${vis} group by 1 order by 2 desc`, p);
  // Laws only for those who may read them (an API token scoped to incidents:read gets the incidents part alone).
  const laws = can(actor, 'laws:read') ? await listLaws(db, actor, { country: cc, page: 1, pageSize: 200 }) : { items: [] };
  return { country: cc, incidentCount: mine?.count ?? 0, shutdownDays: mine?.shutdownDays ?? 0, byType: byType.rows, laws: laws.items };
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
