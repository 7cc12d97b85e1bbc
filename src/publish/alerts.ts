import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { Feed } from 'feed';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import type { AppEnv } from '../platform/http.js';
import type { Db, Queryable } from '../platform/db.js';
import type { JobQueue } from '../platform/jobs.js';
import type { Logger } from '../platform/log.js';
import { audit, type Actor } from '../platform/audit.js';
import { badRequest, notFound } from '../core/errors.js';
import { countryName, isCountryCode } from '../core/countries.js';
import { INCIDENT_TYPES, SEVERITIES } from '../core/taxonomy.js';
import { getPublicIncident, publicVerifiedIncidents } from '../incidents/publishing.js';
import { publicOutageEvents } from '../outages/publishing.js';
import { DICTS, isLang, typeName, type Lang } from './i18n.js';
import { esc, page } from './html.js';
import { TYPE_FILTERS } from './model.js';
import { siteSettings } from './settings.js';
import { RateLimiter, rateLimit } from './guard.js';

/**
 * Alerts: events (an incident becomes verified and public; a confirmed outage event opens or closes) go out as Atom
 * feeds (one per filter), signed webhooks (through the job queue, retried with back-off, disabled after repeated
 * failures) and e-mail (double opt-in, one-click unsubscribe). Only public facts are announced, and what a feed or
 * message shows is read again from the public registry at the time it is built or sent, so a record that stopped
 * being public is never announced.
 */

/** Subscribing mails a stranger's address: at most 5 subscriptions a minute (bursts of 10) per client address. */
export const SUBSCRIBE_LIMIT = new RateLimiter(5, 10);

export const EVENT_KINDS = ['incident.verified', 'outage.opened', 'outage.closed'] as const;
export const WEBHOOK_QUEUE = 'publish.webhook';
export const SCAN_QUEUE = 'publish.scan';

export interface AlertRuntime {
  db: Db;
  jobs: JobQueue | null;
  log: Logger;
  /** Where links in e-mails and webhook payloads point ("https://stackwatch.example.org"). */
  baseUrl: string;
  mailer: Transporter | null;
  mailFrom: string;
  /** Consecutive failed webhook attempts before a subscription is disabled. */
  maxFailures: number;
  /** pg-boss retry settings for one delivery. */
  retryLimit: number;
  retryDelaySeconds: number;
}

const runtimes = new WeakMap<object, AlertRuntime>();

export function configureAlerts(opts: Partial<AlertRuntime> & { db: Db; log: Logger; smtpUrl?: string }): AlertRuntime {
  const rt: AlertRuntime = {
    db: opts.db,
    jobs: opts.jobs ?? null,
    log: opts.log,
    baseUrl: (opts.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
    mailer: opts.mailer ?? (opts.smtpUrl ? nodemailer.createTransport(opts.smtpUrl) : null),
    mailFrom: opts.mailFrom ?? 'Stackwatch alerts <alerts@stackwatch.invalid>',
    maxFailures: opts.maxFailures ?? 5,
    retryLimit: opts.retryLimit ?? 4,
    retryDelaySeconds: opts.retryDelaySeconds ?? 30,
  };
  runtimes.set(opts.db, rt);
  return rt;
}

export function alertRuntime(db: Db): AlertRuntime | null {
  return runtimes.get(db) ?? null;
}

/** Registers the job handlers and the scan schedule (every minute) on the server's queue. */
export async function startAlerts(rt: AlertRuntime, opts: { schedule?: boolean } = {}): Promise<void> {
  if (!rt.jobs) return;
  await rt.jobs.work<{ deliveryId: string }>(WEBHOOK_QUEUE, async (d) => {
    await deliverWebhook(rt, d.deliveryId);
  });
  if (opts.schedule === false) return;
  await rt.jobs.work(SCAN_QUEUE, async () => {
    await scanAlerts(rt);
    await purgeUnconfirmed(rt.db);
  });
  await rt.jobs.schedule(SCAN_QUEUE, '* * * * *');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const token = () => randomBytes(24).toString('base64url');

// ---- events -----------------------------------------------------------------------------------------------------

interface EventRow { id: number; kind: string; ref: string; country: string | null; type: string; severity: string; title: string; summary: string; url: string; at: string }

/**
 * Finds what became public since the last scan and announces it. The first scan of a database records what is
 * already public without announcing it (the shipped history is not news).
 */
/**
 * Moves when a scan adds or withdraws feed events: part of the cache key of the Atom feeds, beside the registry's
 * generation (a scan writes no registry table, so it does not move that one; a record that stops being public does,
 * and the feed re-reads each entry's record when it is built).
 */
const feedVersions = new WeakMap<Db, number>();
/** What the last scan stored, per database: its candidates' digest. */
const lastScans = new WeakMap<Db, string>();
export function feedVersion(db: Db): number {
  return feedVersions.get(db) ?? 0;
}

export async function scanAlerts(rt: AlertRuntime): Promise<{ announced: number; deliveries: number }> {
  const db = rt.db;
  const baseline = !(await db.query(`select 1 from settings where key = 'publish_alerts_baseline'`)).rows.length;
  const incidents = await publicVerifiedIncidents(db);
  const site = await siteSettings(db);
  const outages = site.publishOutages ? await publicOutageEvents(db, { limit: 50_000 }) : [];
  const candidates: Omit<EventRow, 'id' | 'at'>[] = [
    ...incidents.map((i) => ({ kind: 'incident.verified', ref: i.id, country: i.country, type: i.type, severity: i.severity, title: i.title, summary: i.summary.slice(0, 1000), url: `/public/en/incidents/${i.id}` })),
    ...outages.flatMap((e) => {
      const base = { ref: e.id, country: e.country, type: e.kind === 'throttling' ? 'throttling' : 'shutdown', severity: '', url: e.country ? `/public/en/countries/${e.country}` : '/public/en/' };
      const where = `${e.name ?? e.entity}${e.country ? `, ${countryName(e.country, 'en')}` : ''}`;
      const opened = { ...base, kind: 'outage.opened', title: `${e.kind === 'throttling' ? 'Throttling' : 'Outage'} began: ${where}`, summary: `Began ${e.startAt.slice(0, 16)} UTC.` };
      if (!e.endAt) return [opened];
      return [opened, { ...base, kind: 'outage.closed', title: `${e.kind === 'throttling' ? 'Throttling' : 'Outage'} ended: ${where}`, summary: `From ${e.startAt.slice(0, 16)} to ${e.endAt.slice(0, 16)} UTC.` }];
    }),
  ];
  // The same candidates as the last scan that stored them: nothing to add or withdraw, so no write (the insert of a
  // few thousand rows that all exist held the embedded database, and with it every request, for up to a second a minute).
  const signature = createHash('sha256').update(JSON.stringify(candidates)).digest('base64url');
  if (!baseline && lastScans.get(db) === signature) return { announced: 0, deliveries: 0 };
  const created = await db.transaction(async (tx) => {
    const r = await tx.query<EventRow>(
      `insert into publish_events (kind, ref, country, type, severity, title, summary, url)
       select x.kind, x.ref, x.country, x.type, x.severity, x.title, x.summary, x.url
         from jsonb_to_recordset($1::jsonb) as x(kind text, ref text, country text, type text, severity text, title text, summary text, url text)
       on conflict (kind, ref) do nothing
       returning id::int id, kind, ref, country, type, severity, title, summary, url, at`,
      [JSON.stringify(candidates)],
    );
    // What is no longer public leaves the feeds.
    const incIds = incidents.map((i) => i.id);
    const changed = await tx.query(`update publish_events set withdrawn = not (ref = any($1::text[])) where kind = 'incident.verified' and withdrawn <> not (ref = any($1::text[])) returning id`, [incIds]);
    if (r.rows.length || changed.rows.length) feedVersions.set(db, feedVersion(db) + 1);
    if (baseline) await tx.query(`insert into settings (key, value) values ('publish_alerts_baseline', $1) on conflict (key) do nothing`, [JSON.stringify({ at: new Date().toISOString() })]);
    return r.rows;
  });
  lastScans.set(db, signature);
  if (baseline || !created.length) return { announced: baseline ? 0 : created.length, deliveries: 0 };
  let deliveries = 0;
  for (const ev of created) deliveries += await fanOut(rt, ev);
  return { announced: created.length, deliveries };
}

function matches(sub: { countries: string[]; types: string[]; severities: string[]; events: string[] }, ev: Pick<EventRow, 'kind' | 'country' | 'type' | 'severity'>): boolean {
  if (sub.events.length && !sub.events.includes(ev.kind)) return false;
  if (sub.countries.length && !(ev.country && sub.countries.includes(ev.country.trim()))) return false;
  if (sub.types.length && !sub.types.some((t) => ev.type === t || ev.type.startsWith(`${t}.`))) return false;
  if (sub.severities.length && !sub.severities.includes(ev.severity)) return false;
  return true;
}

async function fanOut(rt: AlertRuntime, ev: EventRow): Promise<number> {
  const subs = await rt.db.query<{ id: string; channel: string; countries: string[]; types: string[]; severities: string[]; events: string[] }>(
    `select id, channel, countries, types, severities, events from publish_subscriptions
      where disabled_at is null and (channel = 'webhook' or confirmed_at is not null)`,
  );
  let n = 0;
  for (const s of subs.rows.filter((x) => matches(x, ev))) {
    const id = randomUUID();
    const ins = await rt.db.query(`insert into publish_deliveries (id, subscription_id, event_id) values ($1,$2,$3) on conflict do nothing returning id`, [id, s.id, ev.id]);
    if (!ins.rows.length) continue;
    n++;
    if (s.channel === 'webhook') {
      if (rt.jobs) {
        await rt.jobs.send(WEBHOOK_QUEUE, { deliveryId: id }, { retryLimit: rt.retryLimit, retryDelay: rt.retryDelaySeconds, retryBackoff: true } as never);
      } else {
        await deliverWebhook(rt, id).catch(() => undefined);
      }
    } else {
      await sendAlertMail(rt, id).catch((e) => rt.log.warn('alert e-mail failed', { err: e as Error }));
    }
  }
  return n;
}

/** The event as it may be shown now: null when its record stopped being public. */
async function currentEvent(db: Db, ev: EventRow): Promise<EventRow | null> {
  if (ev.kind !== 'incident.verified') return ev;
  const i = await getPublicIncident(db, ev.ref);
  if (!i) return null;
  return { ...ev, country: i.country, type: i.type, severity: i.severity, title: i.title, summary: i.summary.slice(0, 1000) };
}

async function loadDelivery(db: Db, id: string) {
  const r = (await db.query<Record<string, unknown>>(
    `select d.id, d.status, d.attempts, s.id sub_id, s.channel, s.url, s.secret, s.email, s.disabled_at,
            e.id::int ev_id, e.kind, e.ref, e.country, e.type, e.severity, e.title, e.summary, e.url ev_url, e.at
       from publish_deliveries d join publish_subscriptions s on s.id = d.subscription_id join publish_events e on e.id = d.event_id where d.id = $1`,
    [id],
  )).rows[0];
  if (!r) return null;
  const ev: EventRow = {
    id: r.ev_id as number, kind: r.kind as string, ref: r.ref as string, country: r.country ? (r.country as string).trim() : null, type: r.type as string,
    severity: r.severity as string, title: r.title as string, summary: r.summary as string, url: r.ev_url as string, at: new Date(r.at as string).toISOString(),
  };
  return { row: r, ev };
}

// ---- webhooks ---------------------------------------------------------------------------------------------------

/** The signature a receiver checks: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: check the signature and refuse old timestamps (replays). */
export function verifyWebhook(secret: string, headers: { timestamp?: string | null; signature?: string | null }, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  if (!headers.timestamp || !headers.signature || !/^\d+$/.test(headers.timestamp)) return false;
  if (Math.abs(now / 1000 - Number(headers.timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(signWebhook(secret, headers.timestamp, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** One attempt; throws on failure so the job queue retries it with back-off. */
export async function deliverWebhook(rt: AlertRuntime, deliveryId: string): Promise<void> {
  const d = await loadDelivery(rt.db, deliveryId);
  if (!d || d.row.status === 'delivered' || d.row.status === 'abandoned') return;
  if (d.row.disabled_at) {
    await rt.db.query(`update publish_deliveries set status = 'abandoned', last_error = 'subscription disabled' where id = $1`, [deliveryId]);
    return;
  }
  const ev = await currentEvent(rt.db, d.ev);
  if (!ev) {
    await rt.db.query(`update publish_deliveries set status = 'abandoned', last_error = 'the record is no longer public' where id = $1`, [deliveryId]);
    return;
  }
  const body = JSON.stringify({
    id: deliveryId, event: ev.kind, at: ev.at,
    data: { ref: ev.ref, country: ev.country, type: ev.type, severity: ev.severity, title: ev.title, summary: ev.summary, url: rt.baseUrl + ev.url },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  let status: number | null = null;
  let error = '';
  try {
    const res = await fetch(d.row.url as string, {
      method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', 'user-agent': 'Stackwatch-Webhook/1', 'x-stackwatch-event': ev.kind, 'x-stackwatch-delivery': deliveryId, 'x-stackwatch-timestamp': ts, 'x-stackwatch-signature': signWebhook(d.row.secret as string, ts, body) },
    });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) {
      await rt.db.transaction(async (tx) => {
        await tx.query(`update publish_deliveries set status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = null, delivered_at = now() where id = $1`, [deliveryId, status]);
        await tx.query(`update publish_subscriptions set failures = 0 where id = $1`, [d.row.sub_id]);
      });
      return;
    }
    error = `HTTP ${res.status}`;
  } catch (e) {
    error = (e as Error).name === 'TimeoutError' ? 'timed out after 10 s' : `${(e as Error).message}`.slice(0, 200);
  }
  const disabled = await rt.db.transaction(async (tx) => {
    const s = (await tx.query<{ failures: number }>(`update publish_subscriptions set failures = failures + 1 where id = $1 returning failures`, [d.row.sub_id])).rows[0];
    const off = (s?.failures ?? 0) >= rt.maxFailures;
    if (off) await tx.query(`update publish_subscriptions set disabled_at = now(), disabled_reason = $2 where id = $1 and disabled_at is null`, [d.row.sub_id, `${s!.failures} failed deliveries in a row (last: ${error})`]);
    await tx.query(`update publish_deliveries set status = $2, attempts = attempts + 1, last_status = $3, last_error = $4 where id = $1`, [deliveryId, off ? 'abandoned' : 'failed', status, error]);
    return off;
  });
  if (!disabled) throw new Error(`webhook delivery failed: ${error}`);
}

// ---- e-mail -----------------------------------------------------------------------------------------------------

export const EmailSubscribeSchema = z
  .object({
    email: z.email('must be an e-mail address').max(254).transform((s) => s.toLowerCase()),
    country: z.string().max(2).optional(),
    type: z.string().max(40).optional(),
    severity: z.string().max(20).optional(),
    lang: z.string().max(2).optional(),
  })
  .strict();

function filtersOf(v: { country?: string; type?: string; severity?: string }) {
  const country = (v.country ?? '').trim().toUpperCase();
  if (country && !isCountryCode(country)) throw badRequest('country: must be an ISO 3166-1 alpha-2 country code such as IR or CM', 'country');
  if (v.type && !TYPE_FILTERS.includes(v.type)) throw badRequest(`type: must be one of ${TYPE_FILTERS.join(', ')}`, 'type');
  if (v.severity && !(SEVERITIES as readonly string[]).includes(v.severity)) throw badRequest(`severity: must be one of ${SEVERITIES.join(', ')}`, 'severity');
  return { countries: country ? [country] : [], types: v.type ? [v.type] : [], severities: v.severity ? [v.severity] : [] };
}

/** Starts a double opt-in: stores the address with a confirmation token and mails the link. Nothing is sent until confirmed. */
export async function subscribeEmail(rt: AlertRuntime, input: unknown): Promise<void> {
  const v = EmailSubscribeSchema.parse(input);
  const f = filtersOf(v);
  if (!rt.mailer) throw badRequest('E-mail alerts are not set up on this server (no SMTP server configured).', 'email');
  const confirm = token();
  const id = randomUUID();
  await rt.db.query(
    `insert into publish_subscriptions (id, channel, countries, types, severities, email, confirm_hash) values ($1,'email',$2,$3,$4,$5,$6)`,
    [id, f.countries, f.types, f.severities, v.email, sha(confirm)],
  );
  const site = await siteSettings(rt.db);
  const link = `${rt.baseUrl}/public/alerts/confirm?token=${confirm}`;
  await rt.mailer.sendMail({
    from: rt.mailFrom, to: v.email, subject: `Confirm your ${site.publicName} alerts`,
    text: `Someone (we hope you) asked for alerts from ${site.publicName}${f.countries.length ? ` about ${countryName(f.countries[0]!, 'en')}` : ''}.\n\nConfirm: ${link}\n\nIf it was not you, ignore this message: nothing will be sent and the address is deleted after 7 days.\n`,
  });
}

export async function confirmEmail(db: Db, tok: string): Promise<boolean> {
  const r = await db.query(`update publish_subscriptions set confirmed_at = now(), confirm_hash = null where channel = 'email' and confirm_hash = $1 returning id`, [sha(tok)]);
  return r.rows.length > 0;
}

/** The server's key for unsubscribe links (random, made once, kept in settings). */
async function linkKey(db: Queryable): Promise<string> {
  const k = (await db.query<{ value: { key: string } }>(`select value from settings where key = 'publish_link_key'`)).rows[0];
  if (k) return k.value.key;
  await db.query(`insert into settings (key, value) values ('publish_link_key', $1) on conflict (key) do nothing`, [JSON.stringify({ key: randomBytes(32).toString('base64url') })]);
  return linkKey(db);
}

/** The one-click unsubscribe token of a subscription: its id and an HMAC of it, valid in every message it was sent. */
export async function unsubscribeToken(db: Queryable, subscriptionId: string): Promise<string> {
  return `${subscriptionId}.${createHmac('sha256', await linkKey(db)).update(`unsubscribe:${subscriptionId}`).digest('base64url')}`;
}

/** Deletes the subscription and its address (and its delivery log). */
export async function unsubscribe(db: Db, tok: string): Promise<boolean> {
  const id = tok.split('.')[0] ?? '';
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  const want = Buffer.from(await unsubscribeToken(db, id));
  const got = Buffer.from(tok);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return false;
  const r = await db.query(`delete from publish_subscriptions where id = $1 returning id`, [id]);
  return r.rows.length > 0;
}

/** Unconfirmed addresses are kept at most 7 days. */
export async function purgeUnconfirmed(db: Db): Promise<number> {
  const r = await db.query(`delete from publish_subscriptions where channel = 'email' and confirmed_at is null and created_at < now() - interval '7 days' returning id`);
  return r.rows.length;
}

async function sendAlertMail(rt: AlertRuntime, deliveryId: string): Promise<void> {
  const d = await loadDelivery(rt.db, deliveryId);
  if (!d || !rt.mailer || d.row.status === 'delivered') return;
  const ev = await currentEvent(rt.db, d.ev);
  if (!ev) {
    await rt.db.query(`update publish_deliveries set status = 'abandoned', last_error = 'the record is no longer public' where id = $1`, [deliveryId]);
    return;
  }
  const unsub = await unsubscribeToken(rt.db, d.row.sub_id as string);
  const link = `${rt.baseUrl}/public/alerts/unsubscribe?token=${unsub}`;
  try {
    await rt.mailer.sendMail({
      from: rt.mailFrom, to: d.row.email as string, subject: ev.title,
      text: `${ev.title}\n\n${ev.summary}\n\n${rt.baseUrl}${ev.url}\n\n--\nUnsubscribe (one click): ${link}\n`,
      headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    await rt.db.query(`update publish_deliveries set status = 'delivered', attempts = attempts + 1, delivered_at = now() where id = $1`, [deliveryId]);
  } catch (e) {
    await rt.db.query(`update publish_deliveries set status = 'failed', attempts = attempts + 1, last_error = $2 where id = $1`, [deliveryId, (e as Error).message.slice(0, 200)]);
    throw e;
  }
}

// ---- webhook subscriptions (admins) -------------------------------------------------------------------------------

export const WebhookInputSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000),
    countries: z.array(z.string().transform((s) => s.toUpperCase()).refine(isCountryCode, 'must be ISO 3166-1 alpha-2 codes')).max(250).default([]),
    types: z.array(z.string().refine((s) => TYPE_FILTERS.includes(s), 'must be incident types or families')).max(50).default([]),
    severities: z.array(z.enum(SEVERITIES)).max(4).default([]),
    events: z.array(z.enum(EVENT_KINDS)).max(3).default([]),
  })
  .strict();

export async function createWebhook(db: Db, actor: Actor, input: unknown): Promise<{ id: string; secret: string }> {
  const v = WebhookInputSchema.parse(input);
  const id = randomUUID();
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into publish_subscriptions (id, channel, countries, types, severities, events, url, secret, confirmed_at, created_by) values ($1,'webhook',$2,$3,$4,$5,$6,$7, now(), $8)`,
      [id, v.countries, v.types, v.severities, v.events, v.url, secret, actor.userId],
    );
    await audit(tx, actor, 'publish.webhook.create', 'publish_subscription', id, null, { ...v });
  });
  return { id, secret };
}

const mask = (email: string) => email.replace(/^(.).*(@.*)$/, '$1…$2');

/** Subscriptions as admins see them: webhooks in full (without secrets), e-mail addresses masked. */
export async function listSubscriptions(db: Queryable) {
  const r = await db.query<Record<string, unknown>>(
    `select s.id, s.channel, s.countries, s.types, s.severities, s.events, s.url, s.email, s.confirmed_at, s.failures, s.disabled_at, s.disabled_reason, s.created_at,
            (select count(*)::int from publish_deliveries d where d.subscription_id = s.id and d.status = 'delivered') delivered
       from publish_subscriptions s order by s.created_at desc limit 1000`,
  );
  return r.rows.map((s) => ({
    id: s.id as string, channel: s.channel as string, countries: s.countries as string[], types: s.types as string[], severities: s.severities as string[], events: s.events as string[],
    url: (s.url as string | null) ?? null, email: s.email ? mask(s.email as string) : null, confirmed: !!s.confirmed_at, failures: s.failures as number,
    disabledAt: s.disabled_at ? new Date(s.disabled_at as string).toISOString() : null, disabledReason: (s.disabled_reason as string | null) ?? null,
    delivered: s.delivered as number, createdAt: new Date(s.created_at as string).toISOString(),
  }));
}

export async function deliveryLog(db: Queryable, subscriptionId: string) {
  const r = await db.query<Record<string, unknown>>(
    `select d.id, d.status, d.attempts, d.last_status, d.last_error, d.created_at, d.delivered_at, e.kind, e.ref
       from publish_deliveries d join publish_events e on e.id = d.event_id where d.subscription_id = $1 order by d.created_at desc limit 500`,
    [subscriptionId],
  );
  return r.rows.map((d) => ({
    id: d.id as string, status: d.status as string, attempts: d.attempts as number, lastStatus: (d.last_status as number | null) ?? null, lastError: (d.last_error as string | null) ?? null,
    event: d.kind as string, ref: d.ref as string, createdAt: new Date(d.created_at as string).toISOString(), deliveredAt: d.delivered_at ? new Date(d.delivered_at as string).toISOString() : null,
  }));
}

export async function deleteSubscription(db: Db, actor: Actor, id: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Subscription');
  await db.transaction(async (tx) => {
    const r = await tx.query(`delete from publish_subscriptions where id = $1 returning channel`, [id]);
    if (!r.rows.length) throw notFound('Subscription');
    await audit(tx, actor, 'publish.subscription.delete', 'publish_subscription', id, { channel: r.rows[0]!.channel }, null);
  });
}

/** Re-enables a disabled webhook (its failure count starts again). */
export async function enableWebhook(db: Db, actor: Actor, id: string): Promise<void> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Subscription');
  await db.transaction(async (tx) => {
    const r = await tx.query(`update publish_subscriptions set disabled_at = null, disabled_reason = null, failures = 0 where id = $1 and channel = 'webhook' returning id`, [id]);
    if (!r.rows.length) throw notFound('Subscription');
    await audit(tx, actor, 'publish.webhook.enable', 'publish_subscription', id, null, { enabled: true });
  });
}

// ---- Atom -------------------------------------------------------------------------------------------------------

/** An Atom feed of announced events matching a filter, each shown as it is public now (withdrawn ones left out). */
export async function atomFeed(db: Db, f: { country?: string; type?: string; severity?: string }, origin: string): Promise<string> {
  const site = await siteSettings(db);
  const r = await db.query<EventRow & { at: Date }>(
    `select id::int id, kind, ref, country, type, severity, title, summary, url, at from publish_events where not withdrawn order by at desc, id desc limit 2000`,
  );
  const entries: EventRow[] = [];
  for (const ev of r.rows) {
    const e = { ...ev, country: ev.country ? ev.country.trim() : null, at: new Date(ev.at).toISOString() };
    if (!matches({ countries: f.country ? [f.country] : [], types: f.type ? [f.type] : [], severities: f.severity ? [f.severity] : [], events: [] }, e)) continue;
    const now = await currentEvent(db, e);
    if (now) entries.push(now);
    if (entries.length >= 50) break;
  }
  const self = `${origin}/public/feeds/incidents.atom${f.country || f.type || f.severity ? `?${new URLSearchParams(Object.entries(f).filter(([, v]) => v) as [string, string][]).toString()}` : ''}`;
  const feed = new Feed({
    title: `${site.publicName}: ${[f.country ? countryName(f.country, 'en') : '', f.type ? typeName(f.type, 'en') : '', f.severity ?? ''].filter(Boolean).join(', ') || 'all alerts'}`,
    id: self, link: `${origin}/public/en/`, updated: entries[0] ? new Date(entries[0].at) : new Date(0), generator: 'Stackwatch',
    copyright: 'Data: see /public/en/methodology for each source\'s licence and attribution.', feedLinks: { atom: self },
  });
  for (const e of entries) {
    feed.addItem({ title: e.title, id: `${origin}/public/events/${e.id}`, link: origin + e.url, description: e.summary, date: new Date(e.at), category: [{ name: e.kind }] });
  }
  return feed.atom1();
}

// ---- public pages of the alerts ---------------------------------------------------------------------------------

export function alertRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const lang = (s: string | undefined): Lang => (s && isLang(s) ? s : 'en');
  const msg = (l: Lang, title: string, text: string) => page({ lang: l, title, path: '/alerts', body: `<p>${esc(text)}</p>` });

  r.get('/public/:lang/alerts', (c) => {
    const l = lang(c.req.param('lang'));
    const t = DICTS[l];
    const body = `<h2>${esc(t.feed)}</h2><p><a href="/public/feeds/incidents.atom">/public/feeds/incidents.atom</a> — <code>?country=IR&amp;type=shutdown&amp;severity=high</code></p>
<h2>${esc(t.subscribe)}</h2><form class="filters" method="post" action="/public/alerts/subscribe"><input type="hidden" name="lang" value="${l}">
<label>${esc(t.email)}<input type="email" name="email" required maxlength="254"></label><label>${esc(t.country)}<input name="country" size="4" maxlength="2"></label>
<label>${esc(t.type)}<select name="type"><option value="">${esc(t.any)}</option>${TYPE_FILTERS.map((x) => `<option value="${esc(x)}">${esc(typeName(x, l))}</option>`).join('')}</select></label>
<label>${esc(t.severity)}<select name="severity"><option value="">${esc(t.any)}</option>${SEVERITIES.map((x) => `<option>${x}</option>`).join('')}</select></label><button>${esc(t.subscribe)}</button></form>
<p class="muted">Double opt-in: nothing is sent before you confirm from the first message. Every message has a one-click unsubscribe link, which deletes your address.</p>`;
    return c.html(page({ lang: l, title: t.alerts, path: '/alerts', body }));
  });

  r.post('/public/alerts/subscribe', rateLimit(SUBSCRIBE_LIMIT, 'html'), async (c) => {
    const rt = alertRuntime(c.get('db'));
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const l = lang(String(form.lang ?? ''));
    const input = Object.fromEntries(Object.entries(form).filter(([k, v]) => typeof v === 'string' && (v !== '' || k === 'email')));
    if (!rt) return c.html(msg(l, DICTS[l].badRequest, 'E-mail alerts are not set up on this server.'), 503);
    const parsed = EmailSubscribeSchema.safeParse(input);
    if (!parsed.success) return c.html(msg(l, DICTS[l].badRequest, `${parsed.error.issues[0]?.path.join('.') || 'form'}: ${parsed.error.issues[0]?.message}`), 400);
    try {
      await subscribeEmail(rt, parsed.data);
    } catch (e) {
      if ((e as { status?: number }).status === 400) return c.html(msg(l, DICTS[l].badRequest, (e as Error).message), 400);
      throw e;
    }
    return c.html(msg(l, DICTS[l].subscribe, 'Check your inbox: we sent a link to confirm the subscription.'), 202);
  });

  r.get('/public/alerts/confirm', async (c) => {
    const ok = await confirmEmail(c.get('db'), c.req.query('token') ?? '');
    return c.html(msg('en', ok ? 'Subscription confirmed' : 'Link not valid', ok ? 'You will receive alerts matching your subscription.' : 'This confirmation link is not valid (already used, or expired).'), ok ? 200 : 404);
  });

  r.get('/public/alerts/unsubscribe', (c) => {
    const tok = c.req.query('token') ?? '';
    return c.html(page({ lang: 'en', title: 'Unsubscribe', path: '/alerts', body: `<form method="post" action="/public/alerts/unsubscribe?token=${esc(encodeURIComponent(tok))}"><button>Unsubscribe and delete my address</button></form>` }));
  });
  r.post('/public/alerts/unsubscribe', async (c) => {
    const ok = await unsubscribe(c.get('db'), c.req.query('token') ?? '');
    return c.html(msg('en', ok ? 'Unsubscribed' : 'Link not valid', ok ? 'Your subscription and your address were deleted.' : 'This link is not valid (already used).'), ok ? 200 : 404);
  });
  return r;
}
