/**
 * The desk's logic: sealed submissions, the receipt channel, the cases queue with service targets, escalations,
 * emergency grants, the link to the registry, MISP sharing and retention. The server handles only ciphertext except
 * in two moments it cannot avoid without JavaScript: a plain form submission (sealed in memory before any write) and
 * a reporter's visit with the receipt (the receipt opens the reporter's own copy of the report key for that request).
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from '../platform/db.js';
import { audit, type Actor } from '../platform/audit.js';
import { requirePerm } from '../platform/auth.js';
import { AppError, badRequest, conflict, describeIssues, notFound, tooMany } from '../core/errors.js';
import { ZodError } from 'zod';
import { attachEvidence, createIncident, getIncident, systemActor } from '../incidents/service.js';
import {
  b64, bytesText, decrypt, deriveReporter, encrypt, generateReceipt, isWellFormedReceipt, newSalt, openSealed, packFile, receiptPrefix,
  sealReport, sodiumReady, textBytes, unb64, unpackFile, type Envelope, type Recipient, type ReportContent,
} from './crypto.js';
import { stripMetadata } from './sanitize.js';
import {
  CASE_TRANSITIONS, GRANT_DECISION_DAYS, GRANT_WARN_DAYS, MAX_FILE_BYTES, MAX_FILES, MispEventSchema, type CaseCategory, type CaseStatus, type Routing,
  CasePatchSchema, EscalationAnswer, EscalationInput, GrantInput, RegistryLinkInput, SettingsSchema, VoteInput, MispExportInput, SealedSubmissionSchema,
} from './model.js';
import { notify } from './notify.js';
import type { z } from 'zod';
import type { Logger } from '../platform/log.js';

/** Times about reporters are kept to 5 minutes, so that stored rows cannot be matched to network logs. */
export const COARSE_MS = 5 * 60 * 1000;
export const coarse = (d: Date) => new Date(Math.floor(d.getTime() / COARSE_MS) * COARSE_MS);
const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : Buffer.from(v as ArrayBuffer));

// ---------------------------------------------------------------------------------------------------------------
// Settings and keys

export interface DeskSettings {
  targetMinutes: number;
  warnMinutes: number;
  escalateMinutes: number;
  retentionDays: number;
  retentionByCategory: Partial<Record<CaseCategory, number>>;
  webhookUrl: string | null;
  notifyEmails: string[];
  smtpUrl: string | null;
  mailFrom: string | null;
  grantPeriodBudgetEur: number;
}

export async function getSettings(db: Queryable, orgId: string): Promise<DeskSettings> {
  let r = (await db.query<Record<string, unknown>>('select * from desk_settings where org_id = $1', [orgId])).rows[0];
  if (!r) {
    await db.query('insert into desk_settings (org_id) values ($1) on conflict (org_id) do nothing', [orgId]);
    r = (await db.query<Record<string, unknown>>('select * from desk_settings where org_id = $1', [orgId])).rows[0]!;
  }
  return {
    targetMinutes: Number(r.target_minutes),
    warnMinutes: Number(r.warn_minutes),
    escalateMinutes: Number(r.escalate_minutes),
    retentionDays: Number(r.retention_days),
    retentionByCategory: (r.retention_by_category ?? {}) as DeskSettings['retentionByCategory'],
    webhookUrl: (r.webhook_url as string | null) ?? null,
    notifyEmails: (r.notify_emails as string[]) ?? [],
    smtpUrl: (r.smtp_url as string | null) ?? null,
    mailFrom: (r.mail_from as string | null) ?? null,
    grantPeriodBudgetEur: Number(r.grant_period_budget_eur),
  };
}

/** Settings as responders may see them (the SMTP URL can hold a password: admins only). */
export function publicSettings(s: DeskSettings, admin: boolean) {
  return admin ? { ...s, smtpUrl: s.smtpUrl ? s.smtpUrl.replace(/\/\/([^@/]*)@/, '//***@') : null } : { ...s, smtpUrl: null, webhookUrl: null };
}

export async function updateSettings(db: Db, actor: Actor, input: z.input<typeof SettingsSchema>): Promise<DeskSettings> {
  const v = SettingsSchema.parse(input);
  return db.transaction(async (tx) => {
    const before = await getSettings(tx, actor.orgId);
    const next = { ...before, ...v };
    if (next.warnMinutes >= next.escalateMinutes) throw badRequest('escalateMinutes must be later than warnMinutes.', 'escalateMinutes');
    await tx.query(
      `update desk_settings set target_minutes=$2, warn_minutes=$3, escalate_minutes=$4, retention_days=$5, retention_by_category=$6,
       webhook_url=$7, notify_emails=$8, smtp_url=$9, mail_from=$10, grant_period_budget_eur=$11, updated_at=now() where org_id=$1`,
      [actor.orgId, next.targetMinutes, next.warnMinutes, next.escalateMinutes, next.retentionDays, JSON.stringify(next.retentionByCategory),
        next.webhookUrl, next.notifyEmails, next.smtpUrl, next.mailFrom, next.grantPeriodBudgetEur],
    );
    await audit(tx, actor, 'desk.settings.update', 'desk_settings', actor.orgId, publicSettings(before, true), publicSettings(next, true));
    return next;
  });
}

/** Registers the organisation's escrow public key (its private half is kept offline); retires the previous one. */
export async function setEscrowKey(db: Db, actor: Actor, publicKeyB64: string): Promise<{ id: string }> {
  const s = await sodiumReady();
  let pk: Uint8Array;
  try {
    pk = unb64(s, publicKeyB64);
  } catch {
    throw badRequest('publicKey must be base64.', 'publicKey');
  }
  if (pk.length !== s.crypto_box_PUBLICKEYBYTES) throw badRequest(`publicKey must be ${s.crypto_box_PUBLICKEYBYTES} bytes (an X25519 public key).`, 'publicKey');
  return db.transaction(async (tx) => {
    await tx.query(`update desk_keys set retired_at = now() where org_id = $1 and kind = 'escrow' and retired_at is null`, [actor.orgId]);
    const id = randomUUID();
    await tx.query(`insert into desk_keys (id, org_id, kind, public_key) values ($1, $2, 'escrow', $3)`, [id, actor.orgId, Buffer.from(pk)]);
    await audit(tx, actor, 'desk.key.escrow', 'desk_key', id, null, { fingerprint: fingerprint(s, pk) });
    return { id };
  });
}

const fingerprint = (s: Awaited<ReturnType<typeof sodiumReady>>, pk: Uint8Array) => s.to_hex(s.crypto_generichash(8, pk, null));

/** A responder's key pair, made in their browser: the public key and the private key wrapped under their passphrase. */
export async function setResponderKey(
  db: Db,
  actor: Actor,
  k: { publicKey: string; wrappedPrivateKey: string; salt: string; opslimit: number; memlimit: number },
): Promise<{ id: string; fingerprint: string }> {
  requirePerm(actor, 'cases:read');
  if (!actor.userId) throw badRequest('Only a person can hold a responder key.');
  const s = await sodiumReady();
  const pk = unb64(s, k.publicKey);
  if (pk.length !== s.crypto_box_PUBLICKEYBYTES) throw badRequest('publicKey must be an X25519 public key (32 bytes).', 'publicKey');
  const wrapped = unb64(s, k.wrappedPrivateKey);
  if (wrapped.length !== s.crypto_secretbox_NONCEBYTES + s.crypto_secretbox_MACBYTES + s.crypto_box_SECRETKEYBYTES) {
    throw badRequest('wrappedPrivateKey must be a secretbox of a 32-byte private key.', 'wrappedPrivateKey');
  }
  const salt = unb64(s, k.salt);
  if (salt.length !== s.crypto_pwhash_SALTBYTES) throw badRequest(`salt must be ${s.crypto_pwhash_SALTBYTES} bytes.`, 'salt');
  return db.transaction(async (tx) => {
    await tx.query(`update desk_keys set retired_at = now() where user_id = $1 and kind = 'responder' and retired_at is null`, [actor.userId]);
    const id = randomUUID();
    await tx.query(
      `insert into desk_keys (id, org_id, kind, user_id, public_key, wrapped_private_key, kdf_salt, kdf_opslimit, kdf_memlimit) values ($1,$2,'responder',$3,$4,$5,$6,$7,$8)`,
      [id, actor.orgId, actor.userId, Buffer.from(pk), Buffer.from(wrapped), Buffer.from(salt), k.opslimit, k.memlimit],
    );
    const fp = fingerprint(s, pk);
    await audit(tx, actor, 'desk.key.responder', 'desk_key', id, null, { fingerprint: fp });
    return { id, fingerprint: fp };
  });
}

export async function myKey(db: Queryable, actor: Actor) {
  requirePerm(actor, 'cases:read');
  const s = await sodiumReady();
  const r = (await db.query<Record<string, unknown>>(
    `select id, public_key, wrapped_private_key, kdf_salt, kdf_opslimit, kdf_memlimit from desk_keys where user_id = $1 and kind = 'responder' and retired_at is null`,
    [actor.userId],
  )).rows[0];
  if (!r) return null;
  return {
    id: r.id as string,
    publicKey: b64(s, bytes(r.public_key)),
    wrappedPrivateKey: b64(s, bytes(r.wrapped_private_key)),
    salt: b64(s, bytes(r.kdf_salt)),
    opslimit: Number(r.kdf_opslimit),
    memlimit: Number(r.kdf_memlimit),
    fingerprint: fingerprint(s, bytes(r.public_key)),
  };
}

/** Everyone a new report is sealed to: each active responder key of the organisation and its escrow key. */
export async function recipients(db: Queryable, orgId: string): Promise<Recipient[]> {
  const rows = await db.query<{ id: string; kind: 'responder' | 'escrow'; public_key: unknown }>(
    `select k.id, k.kind, k.public_key from desk_keys k left join users u on u.id = k.user_id
     where k.org_id = $1 and k.retired_at is null and (k.kind = 'escrow' or (u.disabled = false and u.role in ('responder', 'admin'))) order by k.kind, k.id`,
    [orgId],
  );
  return rows.rows.map((r) => ({ keyId: r.id, kind: r.kind, publicKey: bytes(r.public_key) }));
}

export async function publicRecipients(db: Queryable, orgId: string) {
  const s = await sodiumReady();
  return (await recipients(db, orgId)).map((r) => ({ keyId: r.keyId, kind: r.kind, publicKey: b64(s, r.publicKey) }));
}

/** The organisation the public page serves: the one named, or the first with an escrow key. */
export async function deskOrg(db: Queryable, orgId?: string): Promise<string | null> {
  if (orgId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orgId)) return null;
  const r = await db.query<{ org_id: string }>(
    `select org_id from desk_keys where kind = 'escrow' and retired_at is null ${orgId ? 'and org_id = $1' : ''} order by created_at limit 1`,
    orgId ? [orgId] : [],
  );
  return r.rows[0]?.org_id ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Submissions

const reporterActor = (orgId: string): Actor => ({ userId: null, label: 'reporter', orgId, role: 'viewer', scopes: null });

interface StoredSubmission {
  routing: Routing;
  receipt: { prefix: string; salt: Uint8Array; verifier: Uint8Array; reporterPublicKey: Uint8Array };
  envelope: Envelope;
  sealedBy: 'browser' | 'server';
}

async function storeSubmission(db: Db, orgId: string, sub: StoredSubmission, now: Date): Promise<{ caseId: string; ref: number }> {
  const at = coarse(now);
  const active = await recipients(db, orgId);
  // Every report must be sealed to every active recipient, so that no responder is left out and escrow can recover.
  for (const purpose of ['report', 'internal'] as const) {
    for (const r of active) {
      if (!sub.envelope.keys.some((k) => k.purpose === purpose && k.keyId === r.keyId)) {
        throw new AppError(409, 'keys_changed', 'The desk keys changed while you were writing. Reload the page and send again (nothing was stored).', 'keys');
      }
    }
  }
  if (!sub.envelope.keys.some((k) => k.purpose === 'report' && k.recipient === 'reporter')) throw badRequest('The report key must be sealed to the reporter key too.', 'keys');
  const known = new Set(active.map((r) => r.keyId));
  for (const k of sub.envelope.keys) if (k.keyId && !known.has(k.keyId)) throw badRequest('A key is sealed to an unknown or retired recipient.', 'keys');
  return db.transaction(async (tx) => {
    const ref = (await tx.query<{ n: number }>('select coalesce(max(ref), 0)::int + 1 n from desk_cases where org_id = $1', [orgId])).rows[0]!.n;
    const caseId = randomUUID();
    await tx.query(
      `insert into desk_cases (id, org_id, ref, category, country, urgency, safe_now, language, sealed_by, received_at, receipt_prefix, receipt_salt, receipt_verifier, reporter_public_key, updated_at)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$10)`,
      [caseId, orgId, ref, sub.routing.category, sub.routing.country, sub.routing.urgency, sub.routing.safeNow, sub.routing.language, sub.sealedBy, at,
        sub.receipt.prefix, Buffer.from(sub.receipt.salt), Buffer.from(sub.receipt.verifier), Buffer.from(sub.receipt.reporterPublicKey)],
    );
    for (const k of sub.envelope.keys) {
      await tx.query('insert into desk_case_keys (case_id, purpose, key_id, recipient, sealed_key) values ($1,$2,$3,$4,$5)', [caseId, k.purpose, k.keyId, k.recipient, Buffer.from(k.sealed)]);
    }
    for (const it of sub.envelope.items) {
      await tx.query(`insert into desk_items (id, case_id, kind, purpose, at, bytes, ciphertext) values ($1,$2,$3,'report',$4,$5,$6)`, [
        randomUUID(), caseId, it.kind, at, it.ciphertext.length, Buffer.from(it.ciphertext),
      ]);
    }
    await audit(tx, reporterActor(orgId), 'desk.case.receive', 'desk_case', caseId, null, { ref, category: sub.routing.category, sealedBy: sub.sealedBy, items: sub.envelope.items.length });
    return { caseId, ref };
  });
}

export interface PlainFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

export function checkFiles(files: PlainFile[]): void {
  if (files.length > MAX_FILES) throw new AppError(413, 'too_many_files', `Attach at most ${MAX_FILES} files.`, 'files');
  for (const f of files) {
    if (f.bytes.length > MAX_FILE_BYTES) {
      throw new AppError(413, 'file_too_large', `The file "${f.name.slice(0, 80)}" is ${(f.bytes.length / 1048576).toFixed(1)} MB; each file may be at most ${MAX_FILE_BYTES / 1048576} MB.`, 'files');
    }
  }
}

/** The JavaScript-less path: seal in memory with the organisation's public keys, then store only ciphertext. */
export async function submitPlain(
  db: Db,
  orgId: string,
  routing: Routing,
  content: ReportContent,
  files: PlainFile[],
  now = new Date(),
  log?: Logger,
): Promise<{ caseId: string; ref: number; receipt: string; stripped: string[] }> {
  checkFiles(files);
  const s = await sodiumReady();
  const active = await recipients(db, orgId);
  if (!active.some((r) => r.kind === 'escrow')) throw new AppError(503, 'desk_not_ready', 'This desk is not set up to receive reports yet.');
  const receipt = generateReceipt(s);
  const salt = newSalt(s);
  const rep = deriveReporter(s, receipt, salt);
  s.memzero(rep.privateKey);
  const stripped: string[] = [];
  const clean = files.map((f) => {
    const st = stripMetadata(f.bytes);
    stripped.push(...st.removed);
    return { name: f.name.replace(/[\\/]/g, '_').slice(0, 200), type: f.type.slice(0, 100), bytes: st.bytes };
  });
  const envelope = sealReport(s, active, rep.publicKey, content, clean);
  const r = await storeSubmission(db, orgId, { routing, receipt: { prefix: receiptPrefix(receipt), salt, verifier: rep.verifier, reporterPublicKey: rep.publicKey }, envelope, sealedBy: 'server' }, now);
  void notify(db, orgId, { event: 'report', caseRef: r.ref }, log).catch(() => undefined);
  return { ...r, receipt, stripped };
}

/** The JavaScript path: the browser sealed everything; the server checks the shape and stores it. */
export async function submitSealed(
  db: Db,
  orgId: string,
  meta: z.output<typeof SealedSubmissionSchema>,
  blobs: Map<string, Uint8Array>,
  now = new Date(),
  log?: Logger,
): Promise<{ caseId: string; ref: number }> {
  const s = await sodiumReady();
  const dec64 = (t: string, field: string) => {
    try {
      return unb64(s, t);
    } catch {
      throw badRequest(`${field} must be base64.`, field);
    }
  };
  const items: Envelope['items'] = [];
  for (const it of meta.items) {
    const b = blobs.get(it.field);
    if (!b) throw badRequest(`The sealed part ${it.field} is missing.`, it.field);
    if (b.length > MAX_FILE_BYTES + 4096) throw new AppError(413, 'file_too_large', `Each file may be at most ${MAX_FILE_BYTES / 1048576} MB.`, it.field);
    items.push({ kind: it.kind, ciphertext: b });
  }
  if (items.filter((i) => i.kind === 'report').length !== 1) throw badRequest('A submission has exactly one sealed report.', 'items');
  const receipt = {
    prefix: meta.receipt.prefix,
    salt: dec64(meta.receipt.salt, 'receipt.salt'),
    verifier: dec64(meta.receipt.verifier, 'receipt.verifier'),
    reporterPublicKey: dec64(meta.receipt.reporterPublicKey, 'receipt.reporterPublicKey'),
  };
  if (receipt.salt.length !== s.crypto_pwhash_SALTBYTES) throw badRequest('receipt.salt has the wrong length.', 'receipt.salt');
  if (receipt.verifier.length !== 32) throw badRequest('receipt.verifier has the wrong length.', 'receipt.verifier');
  if (receipt.reporterPublicKey.length !== 32) throw badRequest('receipt.reporterPublicKey has the wrong length.', 'receipt.reporterPublicKey');
  const envelope: Envelope = { items, keys: meta.keys.map((k) => ({ purpose: k.purpose, recipient: k.recipient, keyId: k.keyId, sealed: dec64(k.sealed, 'keys') })) };
  for (const k of envelope.keys) if (k.sealed.length !== 32 + s.crypto_box_SEALBYTES) throw badRequest('A sealed key has the wrong length.', 'keys');
  const r = await storeSubmission(db, orgId, { routing: meta.routing, receipt, envelope, sealedBy: 'browser' }, now);
  void notify(db, orgId, { event: 'report', caseRef: r.ref }, log).catch(() => undefined);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// The receipt channel (reporter side)

interface OpenCase {
  caseId: string;
  orgId: string;
  ref: number;
  status: CaseStatus;
  reportKey: Uint8Array;
}

/**
 * Finds the case a receipt belongs to and opens the reporter's copy of its report key. Wrong receipts count against
 * `throttleKey` (the caller's address, hashed in memory): after a few, every try is refused for a quarter hour.
 */
export async function openWithReceipt(db: Queryable, receipt: string, guard: ReceiptGuard, throttleKey: string, now = Date.now()): Promise<OpenCase> {
  checkThrottle(guard, throttleKey, now);
  const wrong = () => wrongReceipt(guard, throttleKey, now);
  if (!isWellFormedReceipt(receipt)) throw wrong();
  const s = await sodiumReady();
  const rows = await db.query<{ id: string; org_id: string; ref: number; status: CaseStatus; receipt_salt: unknown; receipt_verifier: unknown; reporter_public_key: unknown }>(
    `select id, org_id, ref, status, receipt_salt, receipt_verifier, reporter_public_key from desk_cases where receipt_prefix = $1 and destroyed_at is null and receipt_verifier is not null`,
    [receiptPrefix(receipt)],
  );
  for (const r of rows.rows) {
    const rep = deriveReporter(s, receipt, bytes(r.receipt_salt));
    const want = bytes(r.receipt_verifier);
    if (want.length === rep.verifier.length && timingSafeEqual(Buffer.from(want), Buffer.from(rep.verifier))) {
      const sealed = (await db.query<{ sealed_key: unknown }>(`select sealed_key from desk_case_keys where case_id = $1 and purpose = 'report' and recipient = 'reporter'`, [r.id])).rows[0];
      if (!sealed) throw wrong();
      const reportKey = openSealed(s, bytes(sealed.sealed_key), rep.publicKey, rep.privateKey);
      s.memzero(rep.privateKey);
      return { caseId: r.id, orgId: r.org_id, ref: Number(r.ref), status: r.status, reportKey };
    }
    s.memzero(rep.privateKey);
  }
  throw wrong();
}

type ReceiptGuard = { wrongReceipts: { take(k: string, n: number): boolean; count(k: string, n: number): number; max: number } };

function checkThrottle(guard: ReceiptGuard, throttleKey: string, now: number) {
  if (guard.wrongReceipts.count(throttleKey, now) >= guard.wrongReceipts.max) throw tooMany('Too many wrong receipts from here. Wait 15 minutes and try again.');
}
function wrongReceipt(guard: ReceiptGuard, throttleKey: string, now: number) {
  guard.wrongReceipts.take(throttleKey, now);
  return new AppError(404, 'receipt_unknown', 'This receipt does not open any report. Check it letter by letter.', 'receipt');
}

/**
 * The JavaScript path of a returning reporter, step 1: the salts stored under a receipt's 4-letter prefix, so that the
 * browser can run Argon2id itself. When no case has the prefix, one decoy salt (an HMAC of the prefix under a
 * per-process key) is returned, so the answer does not tell whether a prefix is in use.
 */
export async function receiptSalts(db: Queryable, prefix: string, decoy: (prefix: string) => Uint8Array): Promise<string[]> {
  if (!/^[A-Z2-7]{4}$/.test(prefix)) throw badRequest('prefix must be 4 base32 letters.', 'prefix');
  const s = await sodiumReady();
  const rows = await db.query<{ receipt_salt: unknown }>(`select receipt_salt from desk_cases where receipt_prefix = $1 and destroyed_at is null and receipt_verifier is not null order by id`, [prefix]);
  const salts = rows.rows.map((r) => b64(s, bytes(r.receipt_salt)));
  return salts.length ? salts : [b64(s, decoy(prefix))];
}

export interface ReporterCase {
  caseId: string;
  orgId: string;
  ref: number;
  status: CaseStatus;
}

/**
 * Step 2: the browser proves it holds the receipt with the first half of Argon2id(receipt, salt) (`auth`); the server
 * compares BLAKE2b(auth) with the stored verifier. The second half (the reporter's private key seed) never leaves the
 * browser, and neither does the receipt, so the server cannot open anything on this path.
 */
export async function openWithAuth(db: Queryable, prefix: string, authB64: string, guard: ReceiptGuard, throttleKey: string, now = Date.now()): Promise<ReporterCase> {
  checkThrottle(guard, throttleKey, now);
  const s = await sodiumReady();
  let auth: Uint8Array;
  try {
    auth = unb64(s, authB64);
  } catch {
    throw badRequest('auth must be base64.', 'auth');
  }
  if (auth.length !== 32 || !/^[A-Z2-7]{4}$/.test(prefix)) throw wrongReceipt(guard, throttleKey, now);
  const verifier = Buffer.from(s.crypto_generichash(32, auth, null));
  const rows = await db.query<{ id: string; org_id: string; ref: number; status: CaseStatus; receipt_verifier: unknown }>(
    `select id, org_id, ref, status, receipt_verifier from desk_cases where receipt_prefix = $1 and destroyed_at is null and receipt_verifier is not null`,
    [prefix],
  );
  for (const r of rows.rows) {
    const want = Buffer.from(bytes(r.receipt_verifier));
    if (want.length === verifier.length && timingSafeEqual(want, verifier)) return { caseId: r.id, orgId: r.org_id, ref: Number(r.ref), status: r.status };
  }
  throw wrongReceipt(guard, throttleKey, now);
}

/** Step 3: the reporter's sealed copy of the report key and the thread's ciphertext, opened in the browser. */
export async function reporterCiphertext(db: Queryable, rc: ReporterCase) {
  const s = await sodiumReady();
  const key = (await db.query<{ sealed_key: unknown }>(`select sealed_key from desk_case_keys where case_id = $1 and purpose = 'report' and recipient = 'reporter'`, [rc.caseId])).rows[0];
  if (!key) throw new AppError(404, 'receipt_unknown', 'This receipt does not open any report.', 'receipt');
  const items = await db.query<{ kind: string; at: Date; ciphertext: unknown }>(
    `select kind, at, ciphertext from desk_items where case_id = $1 and purpose = 'report' and ciphertext is not null order by seq`,
    [rc.caseId],
  );
  return {
    ref: rc.ref,
    status: rc.status,
    sealedKey: b64(s, bytes(key.sealed_key)),
    items: items.rows.map((i) => ({ kind: i.kind, at: iso(i.at)!, ciphertext: b64(s, bytes(i.ciphertext)) })),
  };
}

/** Step 4: the reporter's message and files, sealed in the browser under the report key; stored as they come. */
export async function reporterAddSealed(db: Db, rc: ReporterCase, parts: { kind: 'reporter_message' | 'attachment'; ciphertext: Uint8Array }[], now = new Date(), log?: Logger): Promise<{ added: number }> {
  if (rc.status === 'closed') throw new AppError(409, 'case_closed', 'This case is closed. Send a new report if you need help again.');
  if (!parts.length) throw badRequest('Write a message or attach a file.', 'message');
  if (parts.length > MAX_FILES + 1) throw new AppError(413, 'too_many_files', `Attach at most ${MAX_FILES} files.`, 'files');
  const s = await sodiumReady();
  for (const p of parts) {
    if (p.ciphertext.length < s.crypto_secretbox_NONCEBYTES + s.crypto_secretbox_MACBYTES) throw badRequest('A sealed part is too short to be a secretbox.', 'items');
    if (p.ciphertext.length > MAX_FILE_BYTES + 4096) throw new AppError(413, 'file_too_large', `Each file may be at most ${MAX_FILE_BYTES / 1048576} MB.`, 'files');
  }
  const at = coarse(now);
  await db.transaction(async (tx) => {
    for (const p of parts) {
      await tx.query(`insert into desk_items (id, case_id, kind, purpose, at, bytes, ciphertext) values ($1,$2,$3,'report',$4,$5,$6)`, [randomUUID(), rc.caseId, p.kind, at, p.ciphertext.length, Buffer.from(p.ciphertext)]);
    }
    await tx.query(`update desk_cases set status = case when status = 'waiting' then 'in_progress' else status end, updated_at = $2 where id = $1`, [rc.caseId, at]);
    await audit(tx, reporterActor(rc.orgId), 'desk.case.reporter_add', 'desk_case', rc.caseId, null, { items: parts.length, sealedBy: 'browser' });
  });
  void notify(db, rc.orgId, { event: 'reporter_message', caseRef: rc.ref }, log).catch(() => undefined);
  return { added: parts.length };
}

export interface ReporterThread {
  ref: number;
  status: CaseStatus;
  entries: { kind: string; at: string; text?: string; file?: { name: string; size: number } }[];
}

/** What the reporter sees with the receipt: their report, replies, their own messages, file names. */
export async function reporterThread(db: Queryable, oc: OpenCase): Promise<ReporterThread> {
  const s = await sodiumReady();
  const items = await db.query<{ kind: string; at: Date; ciphertext: unknown }>(
    `select kind, at, ciphertext from desk_items where case_id = $1 and purpose = 'report' and ciphertext is not null order by seq`,
    [oc.caseId],
  );
  const entries: ReporterThread['entries'] = [];
  for (const it of items.rows) {
    const plain = decrypt(s, oc.reportKey, bytes(it.ciphertext));
    if (it.kind === 'attachment') {
      const f = unpackFile(plain);
      entries.push({ kind: it.kind, at: iso(it.at)!, file: { name: f.name, size: f.size } });
    } else if (it.kind === 'report') {
      const c = JSON.parse(bytesText(plain)) as ReportContent;
      entries.push({ kind: it.kind, at: iso(it.at)!, text: c.narrative });
    } else {
      entries.push({ kind: it.kind, at: iso(it.at)!, text: (JSON.parse(bytesText(plain)) as { text: string }).text });
    }
  }
  return { ref: oc.ref, status: oc.status, entries };
}

/** The reporter answers and/or adds files through the receipt channel. */
export async function reporterAdd(db: Db, oc: OpenCase, text: string, files: PlainFile[], now = new Date(), log?: Logger): Promise<{ added: number }> {
  checkFiles(files);
  if (oc.status === 'closed') throw new AppError(409, 'case_closed', 'This case is closed. Send a new report if you need help again.');
  const s = await sodiumReady();
  const parts: { kind: string; ct: Uint8Array }[] = [];
  if (text.trim()) parts.push({ kind: 'reporter_message', ct: encrypt(s, oc.reportKey, textBytes(JSON.stringify({ text: text.trim() }))) });
  for (const f of files) parts.push({ kind: 'attachment', ct: encrypt(s, oc.reportKey, packFile({ name: f.name.replace(/[\\/]/g, '_').slice(0, 200), type: f.type }, stripMetadata(f.bytes).bytes)) });
  if (!parts.length) throw badRequest('Write a message or attach a file.', 'message');
  const at = coarse(now);
  await db.transaction(async (tx) => {
    for (const p of parts) {
      await tx.query(`insert into desk_items (id, case_id, kind, purpose, at, bytes, ciphertext) values ($1,$2,$3,'report',$4,$5,$6)`, [randomUUID(), oc.caseId, p.kind, at, p.ct.length, Buffer.from(p.ct)]);
    }
    await tx.query(`update desk_cases set status = case when status = 'waiting' then 'in_progress' else status end, updated_at = $2 where id = $1`, [oc.caseId, at]);
    await audit(tx, reporterActor(oc.orgId), 'desk.case.reporter_add', 'desk_case', oc.caseId, null, { items: parts.length });
  });
  void notify(db, oc.orgId, { event: 'reporter_message', caseRef: oc.ref }, log).catch(() => undefined);
  return { added: parts.length };
}

/**
 * Deletion by the reporter: the same destruction as retention, at once. Under a legal hold the content is preserved
 * (sealed, unreadable on the server) and the request is recorded; the receipt stops working at once (the reporter's
 * copy of the report key and the verifier are destroyed), and the deletion is carried out when the hold is lifted.
 */
export async function reporterDelete(db: Db, oc: Pick<OpenCase, 'caseId' | 'orgId' | 'ref'>, now = new Date()): Promise<{ deferred: boolean }> {
  const deferred = await db.transaction(async (tx) => {
    const r = (await tx.query<{ legal_hold: boolean; destroyed_at: unknown }>('select legal_hold, destroyed_at from desk_cases where id = $1 for update', [oc.caseId])).rows[0];
    if (!r || r.destroyed_at || !r.legal_hold) return false;
    const keys = (await tx.query<{ n: number }>(`with d as (delete from desk_case_keys where case_id = $1 and recipient = 'reporter' returning 1) select count(*)::int n from d`, [oc.caseId])).rows[0]!.n;
    await tx.query(
      `update desk_cases set deletion_requested_at = $2, receipt_prefix = null, receipt_salt = null, receipt_verifier = null, reporter_public_key = null, updated_at = $2 where id = $1`,
      [oc.caseId, coarse(now)],
    );
    await audit(tx, reporterActor(oc.orgId), 'desk.case.deletion_deferred', 'desk_case', oc.caseId, null, { ref: oc.ref, reason: 'reporter_request_under_legal_hold', reporterKeysDestroyed: keys });
    return true;
  });
  if (!deferred) await destroyCase(db, oc.caseId, oc.orgId, 'reporter_request', reporterActor(oc.orgId));
  return { deferred };
}

// ---------------------------------------------------------------------------------------------------------------
// Cases (responder side)

function caseActor(actor: Actor, perm = 'cases:read') {
  requirePerm(actor, perm);
}

export interface SlaState {
  minutesWaiting: number | null;
  level: 'ok' | 'warning' | 'escalated' | 'answered' | 'late_answered';
}

export function slaState(c: { received_at: unknown; first_reply_at: unknown; status: string }, s: Pick<DeskSettings, 'warnMinutes' | 'escalateMinutes' | 'targetMinutes'>, now: Date): SlaState {
  const rec = new Date(c.received_at as string).getTime();
  if (c.first_reply_at) {
    const mins = (new Date(c.first_reply_at as string).getTime() - rec) / 60000;
    return { minutesWaiting: null, level: mins <= s.targetMinutes ? 'answered' : 'late_answered' };
  }
  if (c.status === 'closed' || c.status === 'resolved') return { minutesWaiting: null, level: 'answered' };
  const mins = Math.floor((now.getTime() - rec) / 60000);
  return { minutesWaiting: mins, level: mins >= s.escalateMinutes ? 'escalated' : mins >= s.warnMinutes ? 'warning' : 'ok' };
}

function caseJson(r: Record<string, unknown>, s: DeskSettings, now: Date) {
  return {
    id: r.id as string,
    ref: Number(r.ref),
    category: r.category as string,
    country: (r.country as string | null) ?? null,
    urgency: r.urgency as string,
    safeNow: r.safe_now as string,
    language: r.language as string,
    sealedBy: r.sealed_by as string,
    status: r.status as CaseStatus,
    assignedTo: (r.assigned_to as string | null) ?? null,
    assignedLabel: (r.assigned_label as string | null) ?? null,
    receivedAt: iso(r.received_at)!,
    firstReplyAt: iso(r.first_reply_at),
    warnedAt: iso(r.warned_at),
    escalatedAt: iso(r.escalated_at),
    closedAt: iso(r.closed_at),
    legalHold: Boolean(r.legal_hold),
    legalHoldReason: (r.legal_hold_reason as string | null) ?? null,
    legalHoldAt: iso(r.legal_hold_at),
    legalHoldBy: (r.legal_hold_by as string | null) ?? null,
    deletionRequestedAt: iso(r.deletion_requested_at),
    destroyedAt: iso(r.destroyed_at),
    vetting: (r.vetting as unknown) ?? null,
    sla: slaState(r as never, s, now),
  };
}
export type CaseJson = ReturnType<typeof caseJson>;

const CASE_COLS = `c.*, u.email assigned_label`;

/** Keep in step with the index desk_cases_queue_order (migrations/0400_desk.sql). */
export const QUEUE_ORDER = `case when c.first_reply_at is null and c.status not in ('resolved','closed') then 0 else 1 end,
  case c.urgency when 'immediate' then 0 when 'days' then 1 else 2 end, c.received_at`;

export async function listCases(
  db: Queryable,
  actor: Actor,
  f: { status?: string; open?: boolean; category?: string; assignedTo?: string; q?: string; page: number; pageSize: number },
  now = new Date(),
): Promise<{ items: CaseJson[]; total: number }> {
  caseActor(actor);
  const where = ['c.org_id = $1'];
  const params: unknown[] = [actor.orgId];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status) add('c.status = ?', f.status);
  if (f.open) where.push(`c.status <> 'closed'`);
  if (f.category) add('c.category = ?', f.category);
  if (f.assignedTo) add('c.assigned_to = ?', f.assignedTo);
  if (f.q && /^\d+$/.test(f.q)) add('c.ref = ?', Number(f.q));
  const w = where.join(' and ');
  const s = await getSettings(db, actor.orgId);
  const total = (await db.query<{ n: number }>(`select count(*)::int n from desk_cases c where ${w}`, params)).rows[0]?.n ?? 0;
  const rows = await db.query<Record<string, unknown>>(
    `select ${CASE_COLS} from desk_cases c left join users u on u.id = c.assigned_to where ${w} order by ${QUEUE_ORDER} limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`,
    params,
  );
  return { total, items: rows.rows.map((r) => caseJson(r, s, now)) };
}

async function caseRow(db: Queryable, actor: Actor, id: string, lock = false): Promise<Record<string, unknown>> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Case');
  const r = (await db.query<Record<string, unknown>>(`select ${CASE_COLS} from desk_cases c left join users u on u.id = c.assigned_to where c.id = $1 ${lock ? 'for update of c' : ''}`, [id])).rows[0];
  // Another organisation's case is "not found", never "forbidden": its existence is not disclosed.
  if (!r || r.org_id !== actor.orgId) throw notFound('Case');
  return r;
}

/** One case: routing fields, the sealed keys addressed to the caller's own key, and the list of sealed items. */
export async function getCase(db: Queryable, actor: Actor, id: string, now = new Date()) {
  caseActor(actor);
  const r = await caseRow(db, actor, id);
  const s = await sodiumReady();
  const settings = await getSettings(db, actor.orgId);
  const keys = await db.query<{ purpose: string; sealed_key: unknown }>(
    `select ck.purpose, ck.sealed_key from desk_case_keys ck join desk_keys k on k.id = ck.key_id where ck.case_id = $1 and k.user_id = $2 and k.retired_at is null`,
    [id, actor.userId],
  );
  const items = await db.query<{ id: string; kind: string; purpose: string; at: Date; bytes: number; author: string | null; ciphertext: unknown }>(
    `select i.id, i.kind, i.purpose, i.at, i.bytes, u.email author, case when i.bytes <= 65536 then i.ciphertext end ciphertext
     from desk_items i left join users u on u.id = i.author_user_id where i.case_id = $1 and i.ciphertext is not null order by i.seq`,
    [id],
  );
  const esc = await db.query<Record<string, unknown>>('select * from desk_escalations where case_id = $1 order by escalated_at', [id]);
  return {
    ...caseJson(r, settings, now),
    sealedKeys: Object.fromEntries(keys.rows.map((k) => [k.purpose, b64(s, bytes(k.sealed_key))])),
    items: items.rows.map((i) => ({
      id: i.id, kind: i.kind, purpose: i.purpose, at: iso(i.at), bytes: Number(i.bytes), author: i.author ?? (['report', 'attachment', 'reporter_message'].includes(i.kind) ? 'reporter' : null),
      ciphertext: i.ciphertext ? b64(s, bytes(i.ciphertext)) : null,
    })),
    escalations: esc.rows.map(escalationJson),
    keyHolders: (await db.query<{ key_id: string }>(`select distinct key_id from desk_case_keys where case_id = $1 and recipient = 'responder' and purpose = 'report'`, [id])).rows.map((k) => k.key_id),
  };
}

export async function getItemCiphertext(db: Queryable, actor: Actor, caseId: string, itemId: string): Promise<Uint8Array> {
  caseActor(actor);
  await caseRow(db, actor, caseId);
  const r = (await db.query<{ ciphertext: unknown }>('select ciphertext from desk_items where id = $1 and case_id = $2 and ciphertext is not null', [itemId, caseId])).rows[0];
  if (!r) throw notFound('Item');
  return bytes(r.ciphertext);
}

/** A responder's reply (sealed in their browser under the report key, so the reporter can read it) or note (internal key). */
export async function addSealedItem(db: Db, actor: Actor, caseId: string, kind: 'reply' | 'note' | 'grant_person', ciphertextB64: string, now = new Date()): Promise<{ id: string }> {
  caseActor(actor, 'cases:write');
  const s = await sodiumReady();
  const ct = unb64(s, ciphertextB64);
  if (ct.length < s.crypto_secretbox_NONCEBYTES + s.crypto_secretbox_MACBYTES) throw badRequest('ciphertext is too short to be a secretbox.', 'ciphertext');
  const purpose = kind === 'reply' ? 'report' : 'internal';
  return db.transaction(async (tx) => {
    const r = await caseRow(tx, actor, caseId, true);
    if (r.destroyed_at) throw conflict('The sealed content of this case was destroyed.');
    if (r.status === 'closed') throw conflict('The case is closed.', 'status');
    const id = randomUUID();
    const at = coarse(now);
    await tx.query('insert into desk_items (id, case_id, kind, purpose, author_user_id, at, bytes, ciphertext) values ($1,$2,$3,$4,$5,$6,$7,$8)', [id, caseId, kind, purpose, actor.userId, now, ct.length, Buffer.from(ct)]);
    if (kind === 'reply') {
      await tx.query(
        `update desk_cases set first_reply_at = coalesce(first_reply_at, $2), first_reply_by = coalesce(first_reply_by, $3),
         status = case when status = 'new' then 'in_progress' else status end, updated_at = $4 where id = $1`,
        [caseId, now, actor.userId, at],
      );
    }
    await audit(tx, actor, `desk.case.${kind}`, 'desk_case', caseId, null, { itemId: id, bytes: ct.length });
    return { id };
  });
}

/** A responder who can open a case shares its keys with another responder (sealed in the browser to their key). */
export async function shareKeys(db: Db, actor: Actor, caseId: string, keyId: string, sealed: { report: string; internal: string }): Promise<void> {
  caseActor(actor, 'cases:write');
  const s = await sodiumReady();
  await db.transaction(async (tx) => {
    await caseRow(tx, actor, caseId, true);
    const k = (await tx.query<{ org_id: string }>(`select org_id from desk_keys where id = $1 and kind = 'responder' and retired_at is null`, [keyId])).rows[0];
    if (!k || k.org_id !== actor.orgId) throw badRequest('No active responder key of your organisation has this id.', 'keyId');
    await tx.query('delete from desk_case_keys where case_id = $1 and key_id = $2', [caseId, keyId]);
    for (const purpose of ['report', 'internal'] as const) {
      const b = unb64(s, sealed[purpose]);
      if (b.length !== 32 + s.crypto_box_SEALBYTES) throw badRequest('A sealed key has the wrong length.', purpose);
      await tx.query(`insert into desk_case_keys (case_id, purpose, key_id, recipient, sealed_key) values ($1,$2,$3,'responder',$4)`, [caseId, purpose, keyId, Buffer.from(b)]);
    }
    await audit(tx, actor, 'desk.case.share_keys', 'desk_case', caseId, null, { keyId });
  });
}

export async function updateCase(db: Db, actor: Actor, id: string, patchIn: z.input<typeof CasePatchSchema>, now = new Date()) {
  caseActor(actor, 'cases:write');
  const p = CasePatchSchema.parse(patchIn);
  await db.transaction(async (tx) => {
    const r = await caseRow(tx, actor, id, true);
    const before = { status: r.status, assignedTo: r.assigned_to ?? null, legalHold: r.legal_hold, vetting: r.vetting ?? null };
    if (p.status && p.status !== r.status) {
      if (!CASE_TRANSITIONS[r.status as CaseStatus].includes(p.status)) throw badRequest(`A case cannot move from ${r.status as string} to ${p.status}.`, 'status');
    }
    if (p.assignedTo) {
      const u = (await tx.query<{ org_id: string; role: string }>('select org_id, role from users where id = $1 and disabled = false', [p.assignedTo])).rows[0];
      if (!u || u.org_id !== actor.orgId || !['responder', 'admin'].includes(u.role)) throw badRequest('assignedTo must be a responder of your organisation.', 'assignedTo');
    }
    if (p.legalHold !== undefined && actor.role !== 'admin') throw new AppError(403, 'forbidden', 'Only an admin may set or lift a legal hold.', 'legalHold');
    if (p.legalHold !== undefined && r.destroyed_at) throw conflict('The sealed content of this case was already destroyed; there is nothing left to hold.', 'legalHold');
    const vetting = p.vetting ? { ...p.vetting, by: actor.label, at: now.toISOString() } : undefined;
    await tx.query(
      `update desk_cases set status = coalesce($2, status), assigned_to = case when $3::boolean then $4::uuid else assigned_to end,
       vetting = coalesce($5::jsonb, vetting), legal_hold = coalesce($6, legal_hold),
       closed_at = case when $2 = 'closed' then $7 else closed_at end, resolved_at = case when $2 = 'resolved' then $7 else resolved_at end, updated_at = $7 where id = $1`,
      [id, p.status ?? null, p.assignedTo !== undefined, p.assignedTo ?? null, vetting ? JSON.stringify(vetting) : null, p.legalHold ?? null, coarse(now)],
    );
    if (p.legalHold !== undefined && p.legalHold !== Boolean(r.legal_hold)) {
      await tx.query('update desk_cases set legal_hold_reason = $2, legal_hold_at = $3, legal_hold_by = $4 where id = $1', [id, p.legalHoldReason, now, actor.label]);
      await audit(tx, actor, p.legalHold ? 'desk.case.legal_hold.place' : 'desk.case.legal_hold.lift', 'desk_case', id, { legalHold: Boolean(r.legal_hold) }, { legalHold: p.legalHold, reason: p.legalHoldReason, deletionRequested: Boolean(r.deletion_requested_at) });
    }
    await audit(tx, actor, 'desk.case.update', 'desk_case', id, before, { status: p.status ?? before.status, assignedTo: p.assignedTo === undefined ? before.assignedTo : p.assignedTo, legalHold: p.legalHold ?? before.legalHold, vetting: vetting ?? before.vetting });
  });
  // Lifting a hold carries out the deletion the reporter asked for while it was in place — at once.
  if (p.legalHold === false) {
    const r = (await db.query<{ deletion_requested_at: unknown; destroyed_at: unknown }>('select deletion_requested_at, destroyed_at from desk_cases where id = $1', [id])).rows[0];
    if (r?.deletion_requested_at && !r.destroyed_at) await destroyCase(db, id, actor.orgId, 'reporter_request_after_hold', actor);
  }
  return getCase(db, actor, id, now);
}

/**
 * An admin rotates a responder out (they leave, or their device is lost): their key is retired, so no new report is
 * sealed to it, and every case key sealed to it is deleted. Copies they already opened cannot be taken back.
 */
export async function retireResponderKey(db: Db, actor: Actor, keyId: string): Promise<{ keyId: string; caseKeysRemoved: number }> {
  if (actor.role !== 'admin') throw new AppError(403, 'forbidden', 'Only an admin may rotate a responder out.');
  return db.transaction(async (tx) => {
    const k = (await tx.query<{ org_id: string; user_id: string | null; retired_at: unknown; email: string | null }>(
      `select k.org_id, k.user_id, k.retired_at, u.email from desk_keys k left join users u on u.id = k.user_id where k.id = $1 and k.kind = 'responder'`,
      [keyId],
    )).rows[0];
    if (!k || k.org_id !== actor.orgId) throw notFound('Responder key');
    if (k.retired_at) throw conflict('This key is already retired.', 'keyId');
    await tx.query('update desk_keys set retired_at = now() where id = $1', [keyId]);
    const removed = (await tx.query<{ n: number }>('with d as (delete from desk_case_keys where key_id = $1 returning 1) select count(*)::int n from d', [keyId])).rows[0]!.n;
    await audit(tx, actor, 'desk.key.retire', 'desk_key', keyId, null, { responder: k.email, caseKeysRemoved: removed });
    return { keyId, caseKeysRemoved: removed };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Service targets

/** The SLA job: flags unanswered cases at the warning and escalation marks and notifies (content-free). */
export async function slaTick(db: Db, now = new Date(), log?: Logger): Promise<{ warned: number; escalated: number }> {
  const open = await db.query<{ id: string; org_id: string; ref: number; received_at: Date; warned_at: Date | null; escalated_at: Date | null; warn_minutes: number; escalate_minutes: number }>(
    `select c.id, c.org_id, c.ref, c.received_at, c.warned_at, c.escalated_at, coalesce(s.warn_minutes, 60) warn_minutes, coalesce(s.escalate_minutes, 90) escalate_minutes
     from desk_cases c left join desk_settings s on s.org_id = c.org_id
     where c.first_reply_at is null and c.status not in ('resolved', 'closed') and c.destroyed_at is null and (c.warned_at is null or c.escalated_at is null)`,
  );
  let warned = 0;
  let escalated = 0;
  for (const c of open.rows) {
    const mins = (now.getTime() - new Date(c.received_at).getTime()) / 60000;
    let event: 'sla_warning' | 'sla_escalation' | null = null;
    if (mins >= c.escalate_minutes && !c.escalated_at) {
      await db.query('update desk_cases set escalated_at = $2, warned_at = coalesce(warned_at, $2) where id = $1 and escalated_at is null', [c.id, now]);
      escalated++;
      event = 'sla_escalation';
    } else if (mins >= c.warn_minutes && !c.warned_at) {
      await db.query('update desk_cases set warned_at = $2 where id = $1 and warned_at is null', [c.id, now]);
      warned++;
      event = 'sla_warning';
    }
    if (event) await notify(db, c.org_id, { event, caseRef: Number(c.ref) }, log).catch(() => undefined);
  }
  return { warned, escalated };
}

const median = (xs: number[]) => quantile(xs, 0.5);
/** Linear-interpolated quantile (R type 7); null for an empty list (never a made-up figure). */
export function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const a = [...xs].sort((x, y) => x - y);
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

/** Per responder: first replies given, minutes to first reply (median, p90), how many within the target. */
export async function responderFigures(db: Queryable, actor: Actor, f: { from?: string; to?: string } = {}) {
  caseActor(actor);
  const s = await getSettings(db, actor.orgId);
  const rows = await db.query<{ email: string; received_at: Date; first_reply_at: Date }>(
    `select u.email, c.received_at, c.first_reply_at from desk_cases c join users u on u.id = c.first_reply_by
     where c.org_id = $1 and c.first_reply_at is not null and ($2::timestamptz is null or c.received_at >= $2) and ($3::timestamptz is null or c.received_at < $3)`,
    [actor.orgId, f.from ?? null, f.to ?? null],
  );
  const by = new Map<string, number[]>();
  for (const r of rows.rows) {
    const m = (new Date(r.first_reply_at).getTime() - new Date(r.received_at).getTime()) / 60000;
    by.set(r.email, [...(by.get(r.email) ?? []), m]);
  }
  const unanswered = (await db.query<{ n: number }>(`select count(*)::int n from desk_cases where org_id = $1 and first_reply_at is null and status not in ('resolved','closed')`, [actor.orgId])).rows[0]!.n;
  return {
    targetMinutes: s.targetMinutes,
    unanswered,
    responders: [...by.entries()].sort().map(([responder, mins]) => ({
      responder,
      firstReplies: mins.length,
      medianMinutes: median(mins),
      p90Minutes: quantile(mins, 0.9),
      withinTarget: mins.filter((m) => m <= s.targetMinutes).length,
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Escalations to platforms and providers

function escalationJson(r: Record<string, unknown>) {
  return { id: r.id as string, caseId: r.case_id as string, platform: r.platform as string, channel: r.channel as string, escalatedAt: iso(r.escalated_at)!, answeredAt: iso(r.answered_at), outcome: (r.outcome as string | null) ?? null };
}

export async function addEscalation(db: Db, actor: Actor, caseId: string, input: z.input<typeof EscalationInput>, now = new Date()) {
  caseActor(actor, 'cases:write');
  const v = EscalationInput.parse(input);
  return db.transaction(async (tx) => {
    await caseRow(tx, actor, caseId, true);
    const id = randomUUID();
    const at = v.escalatedAt ? new Date(v.escalatedAt) : now;
    await tx.query('insert into desk_escalations (id, case_id, org_id, platform, channel, escalated_at, created_by) values ($1,$2,$3,$4,$5,$6,$7)', [id, caseId, actor.orgId, v.platform, v.channel, at, actor.userId]);
    await audit(tx, actor, 'desk.escalation.create', 'desk_escalation', id, null, { caseId, platform: v.platform, channel: v.channel });
    return escalationJson((await tx.query<Record<string, unknown>>('select * from desk_escalations where id = $1', [id])).rows[0]!);
  });
}

export async function answerEscalation(db: Db, actor: Actor, id: string, input: z.input<typeof EscalationAnswer>, now = new Date()) {
  caseActor(actor, 'cases:write');
  const v = EscalationAnswer.parse(input);
  return db.transaction(async (tx) => {
    const r = (await tx.query<Record<string, unknown>>('select * from desk_escalations where id = $1 for update', [id])).rows[0];
    if (!r || r.org_id !== actor.orgId) throw notFound('Escalation');
    const at = v.answeredAt ? new Date(v.answeredAt) : now;
    if (at < new Date(r.escalated_at as string)) throw badRequest('answeredAt must not be before the escalation.', 'answeredAt');
    await tx.query('update desk_escalations set answered_at = $2, outcome = $3 where id = $1', [id, at, v.outcome]);
    await audit(tx, actor, 'desk.escalation.answer', 'desk_escalation', id, escalationJson(r), { answeredAt: at.toISOString(), outcome: v.outcome });
    return escalationJson((await tx.query<Record<string, unknown>>('select * from desk_escalations where id = $1', [id])).rows[0]!);
  });
}

/** Per platform: escalations, answered, median and p90 hours to answer, outcomes (the figures US/EU guidance asks for). */
export async function platformFigures(db: Queryable, actor: Actor) {
  caseActor(actor);
  const rows = await db.query<{ platform: string; escalated_at: Date; answered_at: Date | null; outcome: string | null }>(
    'select platform, escalated_at, answered_at, outcome from desk_escalations where org_id = $1',
    [actor.orgId],
  );
  const by = new Map<string, typeof rows.rows>();
  for (const r of rows.rows) by.set(r.platform, [...(by.get(r.platform) ?? []), r]);
  return [...by.entries()].sort().map(([platform, list]) => {
    const hours = list.filter((r) => r.answered_at).map((r) => (new Date(r.answered_at!).getTime() - new Date(r.escalated_at).getTime()) / 3600000);
    const outcomes: Record<string, number> = {};
    for (const r of list) if (r.outcome) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    return { platform, escalations: list.length, answered: hours.length, unanswered: list.length - hours.length, medianHours: median(hours), p90Hours: quantile(hours, 0.9), outcomes };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Emergency grants

function grantJson(r: Record<string, unknown>, now: Date, votes: Record<string, unknown>[] = []) {
  const due = new Date(`${(r.decision_due instanceof Date ? r.decision_due.toISOString() : String(r.decision_due)).slice(0, 10)}T23:59:59Z`);
  const undecided = !r.decided_at;
  const daysLeft = Math.ceil((due.getTime() - now.getTime()) / 86400000);
  return {
    id: r.id as string,
    caseId: r.case_id as string,
    amountEur: Number(r.amount_eur),
    categories: r.categories as string[],
    activityStart: String(r.activity_start instanceof Date ? r.activity_start.toISOString() : r.activity_start).slice(0, 10),
    activityEnd: String(r.activity_end instanceof Date ? r.activity_end.toISOString() : r.activity_end).slice(0, 10),
    period: r.period as string,
    status: r.status as string,
    submittedAt: iso(r.submitted_at)!,
    decisionDue: due.toISOString().slice(0, 10),
    decidedAt: iso(r.decided_at),
    disbursedAt: iso(r.disbursed_at),
    disbursedEur: r.disbursed_eur == null ? null : Number(r.disbursed_eur),
    finalReportAt: iso(r.final_report_at),
    hasSealedPerson: Boolean(r.person_item_id),
    deadline: undecided ? (now > due ? 'overdue' : daysLeft <= GRANT_DECISION_DAYS - GRANT_WARN_DAYS ? 'due_soon' : 'ok') : (new Date(r.decided_at as string) > due ? 'decided_late' : 'decided_in_time'),
    votes: votes.map((v) => ({ voter: v.email as string, vote: v.vote as string, criteria: v.criteria as Record<string, number> })),
  };
}

async function committed(tx: Queryable, orgId: string, period: string, exceptId?: string): Promise<number> {
  return Number((await tx.query<{ n: string }>(
    `select coalesce(sum(coalesce(disbursed_eur, amount_eur)), 0)::text n from desk_grants where org_id = $1 and period = $2 and status in ('approved', 'disbursed', 'reported') and id <> coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'::uuid)`,
    [orgId, period, exceptId ?? null],
  )).rows[0]!.n);
}

export async function createGrant(db: Db, actor: Actor, caseId: string, input: z.input<typeof GrantInput>, now = new Date()) {
  caseActor(actor, 'cases:write');
  const v = GrantInput.parse(input);
  const s = await sodiumReady();
  return db.transaction(async (tx) => {
    await caseRow(tx, actor, caseId, true);
    const settings = await getSettings(tx, actor.orgId);
    const used = await committed(tx, actor.orgId, v.period);
    if (used + v.amountEur > settings.grantPeriodBudgetEur) {
      throw badRequest(`The budget for ${v.period} is EUR ${settings.grantPeriodBudgetEur}; EUR ${used} is committed, so at most EUR ${Math.max(0, settings.grantPeriodBudgetEur - used)} can be requested.`, 'amountEur');
    }
    const id = randomUUID();
    let personItem: string | null = null;
    if (v.sealedPerson) {
      const ct = unb64(s, v.sealedPerson);
      personItem = randomUUID();
      await tx.query(`insert into desk_items (id, case_id, kind, purpose, author_user_id, at, bytes, ciphertext) values ($1,$2,'grant_person','internal',$3,$4,$5,$6)`, [personItem, caseId, actor.userId, coarse(now), ct.length, Buffer.from(ct)]);
    }
    const due = new Date(now.getTime() + GRANT_DECISION_DAYS * 86400000).toISOString().slice(0, 10);
    await tx.query(
      `insert into desk_grants (id, case_id, org_id, amount_eur, categories, activity_start, activity_end, period, submitted_at, decision_due, person_item_id, created_by)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
      [id, caseId, actor.orgId, v.amountEur, v.categories, v.activityStart, v.activityEnd, v.period, now, due, personItem, actor.userId],
    );
    await audit(tx, actor, 'desk.grant.create', 'desk_grant', id, null, { caseId, amountEur: v.amountEur, categories: v.categories, period: v.period, activityStart: v.activityStart, activityEnd: v.activityEnd });
    return grantJson((await tx.query<Record<string, unknown>>('select * from desk_grants where id = $1', [id])).rows[0]!, now);
  });
}

async function grantRow(tx: Queryable, actor: Actor, id: string): Promise<Record<string, unknown>> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('Grant');
  const r = (await tx.query<Record<string, unknown>>('select * from desk_grants where id = $1', [id])).rows[0];
  if (!r || r.org_id !== actor.orgId) throw notFound('Grant');
  return r;
}

export async function getGrant(db: Queryable, actor: Actor, id: string, now = new Date()) {
  requirePerm(actor, 'grants:decide');
  const r = await grantRow(db, actor, id);
  const votes = await db.query<Record<string, unknown>>('select v.vote, v.criteria, u.email from desk_grant_votes v join users u on u.id = v.user_id where grant_id = $1 order by u.email', [id]);
  return grantJson(r, now, votes.rows);
}

export async function listGrants(db: Queryable, actor: Actor, f: { period?: string; status?: string } = {}, now = new Date()) {
  requirePerm(actor, 'grants:decide');
  const rows = await db.query<Record<string, unknown>>(
    `select * from desk_grants where org_id = $1 and ($2::text is null or period = $2) and ($3::text is null or status = $3) order by submitted_at desc limit 500`,
    [actor.orgId, f.period ?? null, f.status ?? null],
  );
  const settings = await getSettings(db, actor.orgId);
  const periods = [...new Set(rows.rows.map((r) => r.period as string))];
  const budget: Record<string, { budgetEur: number; committedEur: number }> = {};
  for (const p of periods) budget[p] = { budgetEur: settings.grantPeriodBudgetEur, committedEur: await committed(db, actor.orgId, p) };
  return { items: rows.rows.map((r) => grantJson(r, now)), budget };
}

export async function voteGrant(db: Db, actor: Actor, id: string, input: z.input<typeof VoteInput>, now = new Date()) {
  requirePerm(actor, 'grants:decide');
  if (!actor.userId) throw badRequest('Only a person can vote.');
  const v = VoteInput.parse(input);
  await db.transaction(async (tx) => {
    const r = await grantRow(tx, actor, id);
    if (r.status !== 'submitted') throw conflict('Votes close once the grant is decided.', 'vote');
    await tx.query(
      `insert into desk_grant_votes (grant_id, user_id, vote, criteria, at) values ($1,$2,$3,$4,$5) on conflict (grant_id, user_id) do update set vote = excluded.vote, criteria = excluded.criteria, at = excluded.at`,
      [id, actor.userId, v.vote, JSON.stringify(v.criteria), now],
    );
    await audit(tx, actor, 'desk.grant.vote', 'desk_grant', id, null, v);
  });
  return getGrant(db, actor, id, now);
}

export async function decideGrant(db: Db, actor: Actor, id: string, decision: 'approved' | 'rejected', now = new Date()) {
  requirePerm(actor, 'grants:decide');
  await db.transaction(async (tx) => {
    const r = await grantRow(tx, actor, id);
    if (r.status !== 'submitted') throw conflict(`The grant is already ${r.status as string}.`, 'decision');
    const votes = (await tx.query<{ n: number }>('select count(*)::int n from desk_grant_votes where grant_id = $1', [id])).rows[0]!.n;
    if (!votes) throw badRequest('The committee has not voted yet: record at least one vote with its criteria first.', 'decision');
    if (decision === 'approved') {
      const settings = await getSettings(tx, actor.orgId);
      const used = await committed(tx, actor.orgId, r.period as string, id);
      if (used + Number(r.amount_eur) > settings.grantPeriodBudgetEur) throw badRequest(`Approving would overspend the ${r.period as string} budget (EUR ${settings.grantPeriodBudgetEur}, committed EUR ${used}).`, 'amountEur');
    }
    await tx.query('update desk_grants set status = $2, decided_at = $3 where id = $1', [id, decision, now]);
    await audit(tx, actor, 'desk.grant.decide', 'desk_grant', id, { status: r.status }, { status: decision, late: now > new Date(`${String(r.decision_due instanceof Date ? r.decision_due.toISOString() : r.decision_due).slice(0, 10)}T23:59:59Z`) });
  });
  return getGrant(db, actor, id, now);
}

export async function disburseGrant(db: Db, actor: Actor, id: string, amountEur: number, now = new Date()) {
  caseActor(actor, 'cases:write');
  await db.transaction(async (tx) => {
    const r = await grantRow(tx, actor, id);
    if (r.status !== 'approved') throw conflict('Only an approved grant can be disbursed.', 'status');
    if (amountEur > Number(r.amount_eur)) throw badRequest(`amountEur must not exceed the approved EUR ${Number(r.amount_eur)}.`, 'amountEur');
    await tx.query(`update desk_grants set status = 'disbursed', disbursed_at = $2, disbursed_eur = $3 where id = $1`, [id, now, amountEur]);
    await audit(tx, actor, 'desk.grant.disburse', 'desk_grant', id, null, { amountEur });
  });
  return getGrant(db, actor, id, now);
}

export async function finalReportGrant(db: Db, actor: Actor, id: string, report: string, now = new Date()) {
  caseActor(actor, 'cases:write');
  await db.transaction(async (tx) => {
    const r = await grantRow(tx, actor, id);
    if (r.status !== 'disbursed') throw conflict('A final report comes after disbursement.', 'status');
    await tx.query(`update desk_grants set status = 'reported', final_report_at = $2, final_report = $3 where id = $1`, [id, now, report]);
    await audit(tx, actor, 'desk.grant.final_report', 'desk_grant', id, null, { chars: report.length });
  });
  return getGrant(db, actor, id, now);
}

/** Grants whose 14-day decision deadline is near or past (the job notifies; the console shows them). */
export async function grantDeadlines(db: Db, now = new Date(), log?: Logger): Promise<{ dueSoon: number; overdue: number }> {
  const rows = await db.query<{ id: string; org_id: string; ref: number; decision_due: unknown }>(
    `select g.id, g.org_id, c.ref, g.decision_due from desk_grants g join desk_cases c on c.id = g.case_id where g.status = 'submitted'`,
  );
  let dueSoon = 0;
  let overdue = 0;
  for (const r of rows.rows) {
    const due = new Date(`${String(r.decision_due instanceof Date ? r.decision_due.toISOString() : r.decision_due).slice(0, 10)}T23:59:59Z`);
    if (now > due) overdue++;
    else if ((due.getTime() - now.getTime()) / 86400000 <= GRANT_DECISION_DAYS - GRANT_WARN_DAYS) {
      dueSoon++;
      await notify(db, r.org_id, { event: 'grant_deadline', caseRef: Number(r.ref) }, log).catch(() => undefined);
    }
  }
  return { dueSoon, overdue };
}

// ---------------------------------------------------------------------------------------------------------------
// Link to the registry (only through the registry's service) and MISP sharing

/** The registry validates its own input; its complaints come back as a 400 naming the field, not a 500. */
async function viaRegistry<T>(fn: () => Promise<T>, prefix = ''): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ZodError) {
      const d = describeIssues(e.issues);
      throw badRequest(`${prefix}${d.message}`, d.field ? `${prefix}${d.field}` : undefined);
    }
    throw e;
  }
}

export async function linkToRegistry(db: Db, actor: Actor, caseId: string, input: z.input<typeof RegistryLinkInput>) {
  caseActor(actor, 'cases:write');
  const v = RegistryLinkInput.parse(input);
  const c = await caseRow(db, actor, caseId);
  let incidentId = v.incidentId;
  if (v.newIncident) {
    const ni = v.newIncident;
    const inc = await viaRegistry(() => createIncident(db, actor, {
      type: ni.type, title: ni.title, country: ni.country, startAt: ni.startAt, tlp: ni.tlp, status: 'draft', summary: v.summary, origin: 'desk',
    } as never), 'newIncident.');
    incidentId = inc.id;
  }
  // Only the responder's redacted summary and the case's category leave the desk; the ref is the desk's own number.
  const ev = await attachEvidence(db, actor, incidentId!, { kind: 'case', ref: `desk:${actor.orgId.slice(0, 8)}:${c.ref as number}`, summary: v.summary, data: { category: c.category } });
  await audit(db, actor, 'desk.case.link', 'desk_case', caseId, null, { incidentId, evidenceId: ev.id });
  return { incidentId: incidentId!, evidenceId: ev.id };
}

const TLP_TAG: Record<string, string> = { 'TLP:CLEAR': 'tlp:clear', 'TLP:GREEN': 'tlp:green', 'TLP:AMBER': 'tlp:amber', 'TLP:AMBER+STRICT': 'tlp:amber+strict', 'TLP:RED': 'tlp:red' };
const TLP_DIST: Record<string, number> = { 'TLP:CLEAR': 3, 'TLP:GREEN': 1, 'TLP:AMBER': 0, 'TLP:AMBER+STRICT': 0, 'TLP:RED': 0 };

/** An incident (TLP checked by the registry) as a MISP event; optionally a case summary with the fields chosen. */
export async function exportMisp(db: Db, actor: Actor, incidentId: string, input: z.input<typeof MispExportInput>, now = new Date()) {
  const v = MispExportInput.parse(input);
  const inc = (await getIncident(db, actor, incidentId)) as unknown as { id: string; title: string; type: string; country: string; startAt: string | null; summary: string; tlp: string; status: string; severity: string; orgId: string };
  const attr = (type: string, category: string, value: string, comment = '') => ({ uuid: randomUUID(), type, category, value, to_ids: false, distribution: 5, comment, timestamp: String(Math.floor(now.getTime() / 1000)) });
  const attributes = [
    attr('text', 'Other', inc.type, 'stackwatch incident type'),
    attr('text', 'Other', inc.country, 'country (ISO 3166-1 alpha-2)'),
  ];
  if (inc.summary) attributes.push(attr('comment', 'Other', inc.summary, 'incident summary'));
  if (v.caseSummary) {
    caseActor(actor, 'cases:write');
    const c = await caseRow(db, actor, v.caseSummary.caseId);
    const chosen = v.caseSummary.fields;
    if (chosen.includes('summary') && !v.caseSummary.summary) throw badRequest('Write the redacted summary you chose to share.', 'caseSummary.summary');
    if (chosen.includes('category')) attributes.push(attr('text', 'Other', c.category as string, 'desk case category'));
    if (chosen.includes('country') && c.country) attributes.push(attr('text', 'Other', c.country as string, 'desk case country'));
    if (chosen.includes('received_month')) attributes.push(attr('text', 'Other', iso(c.received_at)!.slice(0, 7), 'desk case month'));
    if (chosen.includes('summary')) attributes.push(attr('comment', 'Other', v.caseSummary.summary, 'redacted case summary written by a responder'));
    await audit(db, actor, 'desk.case.share_misp', 'desk_case', c.id as string, null, { incidentId, fields: chosen });
  }
  await audit(db, actor, 'desk.misp.export', 'incident', incidentId, null, { tlp: inc.tlp, caseShared: Boolean(v.caseSummary) });
  const sevLevel: Record<string, string> = { critical: '1', high: '1', medium: '2', low: '3' };
  return {
    Event: {
      uuid: inc.id,
      info: inc.title,
      date: (inc.startAt ?? now.toISOString()).slice(0, 10),
      threat_level_id: sevLevel[inc.severity] ?? '4',
      analysis: inc.status === 'verified' ? '2' : inc.status === 'draft' ? '0' : '1',
      distribution: String(TLP_DIST[inc.tlp] ?? 0),
      timestamp: String(Math.floor(now.getTime() / 1000)),
      published: false,
      Orgc: { name: 'Stackwatch', uuid: inc.orgId },
      Tag: [{ name: TLP_TAG[inc.tlp] ?? 'tlp:amber' }, { name: `stackwatch:type="${inc.type}"` }],
      Attribute: attributes,
      Object: [],
    },
  };
}

/** A peer's MISP event as a draft incident (TLP from its tag; AMBER when it has none). */
export async function importMisp(db: Db, actor: Actor, body: unknown) {
  requirePerm(actor, 'incidents:write');
  const parsed = MispEventSchema.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw badRequest(`Not a MISP event: ${i.path.join('.') || '(body)'}: ${i.message}`, i.path.join('.') || '(body)');
  }
  const e = parsed.data.Event;
  const tlpTag = e.Tag.map((t) => t.name.toLowerCase()).find((n) => n.startsWith('tlp:'));
  const tlpMap: Record<string, string> = { 'tlp:clear': 'TLP:CLEAR', 'tlp:white': 'TLP:CLEAR', 'tlp:green': 'TLP:GREEN', 'tlp:amber': 'TLP:AMBER', 'tlp:amber+strict': 'TLP:AMBER+STRICT', 'tlp:red': 'TLP:RED' };
  const tlp = tlpTag ? tlpMap[tlpTag] : 'TLP:AMBER';
  if (!tlp) throw badRequest(`Unknown TLP tag "${tlpTag}".`, 'Event.Tag');
  const typeTag = e.Tag.map((t) => /^stackwatch:type="(.+)"$/.exec(t.name)?.[1]).find(Boolean);
  const country = e.Attribute.find((a) => /country/i.test(a.comment ?? '') && /^[A-Z]{2}$/.test(a.value))?.value;
  if (!country) throw badRequest('The event names no country: add a text attribute with an ISO 3166-1 code and "country" in its comment.', 'Event.Attribute');
  const summary = e.Attribute.filter((a) => a.type === 'comment').map((a) => a.value).join('\n\n').slice(0, 4000);
  const inc = await viaRegistry(() => createIncident(db, actor, {
    type: (typeTag ?? 'other') as never, title: e.info.slice(0, 300), country, startAt: e.date, tlp: tlp as never, status: 'draft', summary,
    origin: 'misp', originKey: `misp:${e.uuid}`, ...(tlp === 'TLP:RED' ? { redRecipients: [actor.label] } : {}),
  } as never), 'Event.');
  await audit(db, actor, 'desk.misp.import', 'incident', inc.id, null, { mispUuid: e.uuid, org: e.Orgc?.name ?? null, created: inc.created });
  return { incidentId: inc.id, created: inc.created ?? true, tlp };
}

// ---------------------------------------------------------------------------------------------------------------
// Retention

/** Destroys a case's sealed content: keys first (so any copy of the ciphertext is useless), then the ciphertext. */
async function destroyCase(db: Db, caseId: string, orgId: string, reason: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const r = (await tx.query<{ ref: number; category: string; destroyed_at: Date | null }>('select ref, category, destroyed_at from desk_cases where id = $1 for update', [caseId])).rows[0];
    if (!r || r.destroyed_at) return;
    const keys = (await tx.query<{ n: number }>('with d as (delete from desk_case_keys where case_id = $1 returning 1) select count(*)::int n from d', [caseId])).rows[0]!.n;
    const items = (await tx.query<{ n: number }>('with d as (delete from desk_items where case_id = $1 returning 1) select count(*)::int n from d', [caseId])).rows[0]!.n;
    await tx.query(
      `update desk_cases set receipt_prefix = null, receipt_salt = null, receipt_verifier = null, reporter_public_key = null, vetting = null,
       destroyed_at = now(), destroyed_reason = $2, status = 'closed', closed_at = coalesce(closed_at, now()) where id = $1`,
      [caseId, reason],
    );
    await audit(tx, actor, 'desk.case.destroy', 'desk_case', caseId, null, { ref: r.ref, category: r.category, reason, keysDestroyed: keys, itemsDestroyed: items });
  });
  void orgId;
}

/** The retention job: closed cases past their category's expiry and not on legal hold lose their sealed content. */
export async function retentionTick(db: Db, now = new Date()): Promise<{ destroyed: number; held: number }> {
  const rows = await db.query<{ id: string; org_id: string; category: string; closed_at: Date; legal_hold: boolean; retention_days: number | null; by_cat: Record<string, number> | null }>(
    `select c.id, c.org_id, c.category, c.closed_at, c.legal_hold, s.retention_days, s.retention_by_category by_cat
     from desk_cases c left join desk_settings s on s.org_id = c.org_id where c.status = 'closed' and c.destroyed_at is null and c.closed_at is not null`,
  );
  let destroyed = 0;
  let held = 0;
  // A reporter's deletion recorded under a legal hold is carried out once the hold is gone (normally at the lift).
  const deferred = await db.query<{ id: string; org_id: string }>(`select id, org_id from desk_cases where deletion_requested_at is not null and legal_hold = false and destroyed_at is null`);
  for (const r of deferred.rows) {
    await destroyCase(db, r.id, r.org_id, 'reporter_request_after_hold', await systemActorFor(db, r.org_id));
    destroyed++;
  }
  for (const r of rows.rows) {
    if (deferred.rows.some((d) => d.id === r.id)) continue;
    const days = r.by_cat?.[r.category] ?? r.retention_days ?? 90;
    if (new Date(r.closed_at).getTime() + days * 86400000 > now.getTime()) continue;
    if (r.legal_hold) {
      held++;
      continue;
    }
    await destroyCase(db, r.id, r.org_id, `retention:${days}d`, await systemActorFor(db, r.org_id));
    destroyed++;
  }
  return { destroyed, held };
}

async function systemActorFor(db: Queryable, orgId: string): Promise<Actor> {
  const a = await systemActor(db);
  return { ...a, orgId, label: 'system (desk retention)' };
}
