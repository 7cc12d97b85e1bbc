/**
 * Live sources configured in the console (issue #8 point 6): what `outages watch --config` polls, kept in the
 * outages wing's table `outage_sources` and polled inside the server.
 *
 * - An analyst (`outages:write`) adds, edits, pauses and removes sources: name, URL, format, country/entity/signal,
 *   poll interval (5 minutes at least), detector overrides. Every write is audited.
 * - What holds a secret is an admin's: the Authorization header sent with each poll (an API token) and the webhook
 *   target (its URL often is the credential). Neither is ever returned by the API, written to the audit log or logged;
 *   the API says only whether they are set (and the webhook's host).
 * - A URL with credentials (user:password@, or a query parameter such as token= or api_key=) is refused: a URL is
 *   shown to every analyst and written to the audit log.
 *
 * The server runs the polls (./live.ts); each poll's outcome is kept in `outage_source_polls`, the last
 * POLLS_KEPT per source.
 */
import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Db, Queryable } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { AppError, badRequest, conflict, notFound } from '../core/errors.js';
import { isCountryCode } from '../core/countries.js';
import { configFrom } from './detect/config.js';
import { SIGNAL_FORMATS } from './signals/index.js';

export const MIN_INTERVAL_MINUTES = 5;
export const MAX_INTERVAL_MINUTES = 1440;
export const POLLS_KEPT = 50;

/** Query parameter names that carry credentials. */
const SECRET_PARAMS = /^(token|access_token|auth|auth_token|authorization|key|api_key|apikey|api-key|secret|client_secret|password|passwd|pwd|sig|signature|session|sessionid)$/i;

/** Why a URL may not be a source (or a webhook), or null. */
export function urlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be a full URL such as https://example.org/signals.json';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must use http or https (not ${u.protocol.replace(/:$/, '')})`;
  if (!u.hostname) return 'must name a host';
  if (u.username || u.password)
    return 'must not hold credentials (user:password@): a URL is shown to every analyst and kept in the audit log. An admin can set an Authorization header as the source\u2019s secret instead';
  for (const k of u.searchParams.keys()) {
    if (SECRET_PARAMS.test(k))
      return `must not carry a credential in its query (${k}=…): a URL is shown to every analyst and kept in the audit log. An admin can set an Authorization header as the source\u2019s secret instead`;
  }
  return null;
}

const SourceUrl = z
  .string()
  .trim()
  .max(2000)
  .superRefine((s, ctx) => {
    const p = urlProblem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
const Country = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as IR' });
const Detector = z.record(z.string(), z.unknown()).superRefine((d, ctx) => {
  try {
    configFrom(d);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const fields = {
  name: z.string().trim().min(1).max(100),
  url: SourceUrl,
  /** as the watcher understands them; detected from the answer when absent */
  format: z.enum(SIGNAL_FORMATS).nullable(),
  /** the country of region or network series (IODA, Monash), or of a country-less CSV */
  country: Country.nullable(),
  /** the entity a Radar or generic-CSV series stands for (IR, IR/Tehran, AS12880) */
  entity: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9/._ -]+$/, 'must be a code such as IR, IR/Tehran or AS12880').nullable(),
  /** the signal name of a Radar or generic-CSV series */
  signal: z.string().trim().min(1).max(60).regex(/^[a-z0-9._-]+$/i, 'must be a name such as radar-traffic').nullable(),
  intervalMinutes: z.number().int().min(MIN_INTERVAL_MINUTES, `must be at least ${MIN_INTERVAL_MINUTES} minutes`).max(MAX_INTERVAL_MINUTES, `must be at most ${MAX_INTERVAL_MINUTES} minutes (a day)`),
  /** detector overrides, as the file given to `outages detect --config` ({signals: {kind: {...}}, fusion: {...}}) */
  detector: Detector.nullable(),
  enabled: z.boolean(),
};

export const NewSourceSchema = z
  .object({
    name: fields.name,
    url: fields.url,
    format: fields.format.optional(),
    country: fields.country.optional(),
    entity: fields.entity.optional(),
    signal: fields.signal.optional(),
    intervalMinutes: fields.intervalMinutes.default(15),
    detector: fields.detector.optional(),
    enabled: fields.enabled.default(true),
  })
  .strict()
  .openapi('NewOutageSource');
export type NewSource = z.infer<typeof NewSourceSchema>;

export const SourcePatchSchema = z
  .object({
    name: fields.name.optional(),
    url: fields.url.optional(),
    format: fields.format.optional(),
    country: fields.country.optional(),
    entity: fields.entity.optional(),
    signal: fields.signal.optional(),
    intervalMinutes: fields.intervalMinutes.optional(),
    detector: fields.detector.optional(),
    enabled: fields.enabled.optional(),
  })
  .strict()
  .openapi('OutageSourcePatch');
export type SourcePatch = z.infer<typeof SourcePatchSchema>;

/** The secrets of a source (admin only). `null` clears one; an absent field leaves it as it is. */
export const SourceSecretsSchema = z
  .object({
    authorization: z
      .string()
      .min(1)
      .max(4000)
      .refine((s) => !/[\r\n\0]/.test(s), { message: 'must be one line' })
      .nullable()
      .optional(),
    webhook: SourceUrl.nullable().optional(),
  })
  .strict()
  .openapi('OutageSourceSecrets');
export type SourceSecrets = z.infer<typeof SourceSecretsSchema>;

export interface PollRecord {
  id: number;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  trigger: 'schedule' | 'manual';
  httpStatus: number | null;
  bytes: number | null;
  pointsFetched: number;
  newPoints: number;
  opened: number;
  closed: number;
  error: string | null;
}

export interface OutageSource {
  id: string;
  name: string;
  url: string;
  format: string | null;
  country: string | null;
  entity: string | null;
  signal: string | null;
  intervalMinutes: number;
  detector: Record<string, unknown> | null;
  enabled: boolean;
  /** an Authorization header is set (its value is never shown) */
  hasAuthorization: boolean;
  /** the webhook's host when one is set (its full URL is never shown) */
  webhookHost: string | null;
  nextPollAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  lastPoll: PollRecord | null;
}

/** A source as the poller needs it, secrets included: never sent to a client. */
export interface SourceRow {
  id: string;
  orgId: string;
  name: string;
  url: string;
  format: (typeof SIGNAL_FORMATS)[number] | null;
  country: string | null;
  entity: string | null;
  signal: string | null;
  intervalMinutes: number;
  detector: Record<string, unknown> | null;
  enabled: boolean;
  authorization: string | null;
  webhook: string | null;
  version: number;
}

type Raw = Record<string, unknown>;
const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

function pollOf(r: Raw): PollRecord {
  return {
    id: Number(r.id),
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at)!,
    ok: Boolean(r.ok),
    trigger: r.trigger as PollRecord['trigger'],
    httpStatus: r.http_status == null ? null : Number(r.http_status),
    bytes: r.bytes == null ? null : Number(r.bytes),
    pointsFetched: Number(r.points_fetched),
    newPoints: Number(r.new_points),
    opened: Number(r.opened),
    closed: Number(r.closed),
    error: (r.error as string | null) ?? null,
  };
}

const hostOf = (url: string | null) => {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
};

function rowOf(r: Raw): SourceRow {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    name: r.name as string,
    url: r.url as string,
    format: (r.format as SourceRow['format']) ?? null,
    country: (r.country as string | null) ?? null,
    entity: (r.entity as string | null) ?? null,
    signal: (r.signal as string | null) ?? null,
    intervalMinutes: Number(r.interval_minutes),
    detector: (r.detector as Record<string, unknown> | null) ?? null,
    enabled: Boolean(r.enabled),
    authorization: (r.authorization_header as string | null) ?? null,
    webhook: (r.webhook_url as string | null) ?? null,
    version: Number(r.version),
  };
}

function viewOf(r: Raw, last: PollRecord | null): OutageSource {
  const row = rowOf(r);
  return {
    id: row.id, name: row.name, url: row.url, format: row.format, country: row.country, entity: row.entity, signal: row.signal,
    intervalMinutes: row.intervalMinutes, detector: row.detector, enabled: row.enabled,
    hasAuthorization: row.authorization !== null, webhookHost: hostOf(row.webhook),
    nextPollAt: iso(r.next_poll_at), createdBy: r.created_by as string, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!, version: row.version,
    lastPoll: last,
  };
}

/** What the audit log keeps of a source: everything but the secrets' values. */
function auditView(row: SourceRow) {
  const { authorization, webhook, orgId: _o, ...rest } = row;
  return { ...rest, authorization: authorization ? 'set' : null, webhook: webhook ? `set (${hostOf(webhook)})` : null };
}

async function lastPolls(db: Queryable, ids: string[]): Promise<Map<string, PollRecord>> {
  const out = new Map<string, PollRecord>();
  if (!ids.length) return out;
  const rows = (
    await db.query<Raw>(
      `select p.* from outage_source_polls p
       join (select source_id, max(id) as id from outage_source_polls where source_id = any($1::uuid[]) group by source_id) l on l.id = p.id`,
      [ids],
    )
  ).rows;
  for (const r of rows) out.set(r.source_id as string, pollOf(r));
  return out;
}

export async function listSources(db: Queryable, actor: Actor): Promise<OutageSource[]> {
  const rows = (await db.query<Raw>('select * from outage_sources where org_id = $1 order by name', [actor.orgId])).rows;
  const last = await lastPolls(db, rows.map((r) => r.id as string));
  return rows.map((r) => viewOf(r, last.get(r.id as string) ?? null));
}

async function loadRaw(db: Queryable, actor: Actor, id: string, lock = false): Promise<Raw> {
  const r = (await db.query<Raw>(`select * from outage_sources where id = $1 and org_id = $2${lock ? ' for update' : ''}`, [id, actor.orgId])).rows[0];
  if (!r) throw notFound('Live source');
  return r;
}

export async function getSource(db: Queryable, actor: Actor, id: string): Promise<OutageSource> {
  const r = await loadRaw(db, actor, id);
  return viewOf(r, (await lastPolls(db, [id])).get(id) ?? null);
}

/** The poller's view of a source (any organisation; the poller is the server itself). */
export async function loadSourceRow(db: Queryable, id: string): Promise<SourceRow | null> {
  const r = (await db.query<Raw>('select * from outage_sources where id = $1', [id])).rows[0];
  return r ? rowOf(r) : null;
}

function checkCombination(v: { format?: string | null; entity?: string | null; signal?: string | null }) {
  if (v.format === 'monash' && v.signal) throw badRequest('Monash files name their own signal: leave signal empty.', 'signal');
}

const uniqueName = (e: unknown) => {
  if (/unique|duplicate/i.test((e as Error).message)) throw conflict('A live source of this name exists already.', 'name');
  throw e;
};

export async function createSource(db: Db, actor: Actor, input: NewSource): Promise<OutageSource> {
  checkCombination(input);
  const id = randomUUID();
  await db
    .transaction(async (tx) => {
      const r = (
        await tx.query<Raw>(
          `insert into outage_sources (id, org_id, name, url, format, country, entity, signal, interval_minutes, detector, enabled, next_poll_at, created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, now(), $12) returning *`,
          [id, actor.orgId, input.name, input.url, input.format ?? null, input.country ?? null, input.entity ?? null, input.signal ?? null, input.intervalMinutes, input.detector ? JSON.stringify(input.detector) : null, input.enabled, actor.label],
        )
      ).rows[0]!;
      await audit(tx, actor, 'outages.source.create', 'outage_source', id, null, auditView(rowOf(r)));
    })
    .catch(uniqueName);
  return getSource(db, actor, id);
}

export async function updateSource(db: Db, actor: Actor, id: string, patch: SourcePatch): Promise<OutageSource> {
  await db
    .transaction(async (tx) => {
      const before = rowOf(await loadRaw(tx, actor, id, true));
      const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as SourceRow;
      checkCombination(next);
      // a source switched on, or polled at another interval, is due now; otherwise its schedule stays
      const due = (patch.enabled === true && !before.enabled) || (patch.intervalMinutes !== undefined && patch.intervalMinutes !== before.intervalMinutes) || (patch.url !== undefined && patch.url !== before.url);
      const r = (
        await tx.query<Raw>(
          `update outage_sources set name = $3, url = $4, format = $5, country = $6, entity = $7, signal = $8, interval_minutes = $9, detector = $10::jsonb,
             enabled = $11, next_poll_at = case when $12 then now() else next_poll_at end, updated_at = now(), version = version + 1
           where id = $1 and org_id = $2 returning *`,
          [id, actor.orgId, next.name, next.url, next.format, next.country, next.entity, next.signal, next.intervalMinutes, next.detector ? JSON.stringify(next.detector) : null, next.enabled, due],
        )
      ).rows[0]!;
      const after = rowOf(r);
      const action = patch.enabled === false && before.enabled ? 'outages.source.pause' : patch.enabled === true && !before.enabled ? 'outages.source.resume' : 'outages.source.update';
      await audit(tx, actor, action, 'outage_source', id, auditView(before), auditView(after));
    })
    .catch(uniqueName);
  return getSource(db, actor, id);
}

/** Sets or clears the secrets of a source (the caller has checked that the actor is an admin). */
export async function setSourceSecrets(db: Db, actor: Actor, id: string, input: SourceSecrets): Promise<OutageSource> {
  if (input.authorization === undefined && input.webhook === undefined) throw badRequest('Give authorization or webhook (null clears one).', 'authorization');
  await db.transaction(async (tx) => {
    const before = rowOf(await loadRaw(tx, actor, id, true));
    const r = (
      await tx.query<Raw>(
        `update outage_sources set authorization_header = $3, webhook_url = $4, updated_at = now(), version = version + 1 where id = $1 and org_id = $2 returning *`,
        [id, actor.orgId, input.authorization === undefined ? before.authorization : input.authorization, input.webhook === undefined ? before.webhook : input.webhook],
      )
    ).rows[0]!;
    await audit(tx, actor, 'outages.source.secrets', 'outage_source', id, auditView(before), auditView(rowOf(r)));
  });
  return getSource(db, actor, id);
}

export async function deleteSource(db: Db, actor: Actor, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const before = rowOf(await loadRaw(tx, actor, id, true));
    await tx.query('delete from outage_sources where id = $1', [id]);
    await tx.query(`delete from outage_watch_state where source = $1 and entity = '*' and signal = '*'`, [watchStateKey(id)]);
    await audit(tx, actor, 'outages.source.delete', 'outage_source', id, auditView(before), null);
  });
}

export async function listPolls(db: Queryable, actor: Actor, id: string, limit = POLLS_KEPT): Promise<PollRecord[]> {
  await loadRaw(db, actor, id);
  return (await db.query<Raw>('select * from outage_source_polls where source_id = $1 order by id desc limit $2', [id, limit])).rows.map(pollOf);
}

/** Keeps one poll's outcome and drops all but the last POLLS_KEPT of the source. */
export async function recordPoll(db: Db, sourceId: string, p: Omit<PollRecord, 'id'>): Promise<PollRecord | null> {
  return db.transaction(async (tx) => {
    const exists = (await tx.query('select 1 from outage_sources where id = $1', [sourceId])).rows.length > 0;
    if (!exists) return null; // removed while it was being polled
    const r = (
      await tx.query<Raw>(
        `insert into outage_source_polls (source_id, started_at, finished_at, ok, trigger, http_status, bytes, points_fetched, new_points, opened, closed, error)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
        [sourceId, p.startedAt, p.finishedAt, p.ok, p.trigger, p.httpStatus, p.bytes, p.pointsFetched, p.newPoints, p.opened, p.closed, p.error],
      )
    ).rows[0]!;
    await tx.query(
      `delete from outage_source_polls where source_id = $1 and id not in (select id from outage_source_polls where source_id = $1 order by id desc limit ${POLLS_KEPT})`,
      [sourceId],
    );
    return pollOf(r);
  });
}

/** Claims the enabled sources that are due: moves their next poll one interval on and returns their ids. */
export async function claimDueSources(db: Db, now: Date = new Date()): Promise<string[]> {
  return (
    await db.query<{ id: string }>(
      `update outage_sources set next_poll_at = $1::timestamptz + make_interval(mins => interval_minutes)
       where enabled and (next_poll_at is null or next_poll_at <= $1::timestamptz) returning id`,
      [now.toISOString()],
    )
  ).rows.map((r) => r.id);
}

/** The row of outage_watch_state where the watcher of a source keeps what it announced. */
export const watchStateKey = (id: string) => `source:${id}`;

export function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin' || actor.scopes) throw new AppError(403, 'forbidden', 'Only an organisation admin, signed in, may set or see the secrets of a live source.');
}
