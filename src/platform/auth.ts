import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from './db.js';
import { audit, type Actor } from './audit.js';
import { ROLES, type Role } from '../core/taxonomy.js';
import { AppError, badRequest, conflict, forbidden, notFound, tooMany, unauthorized } from '../core/errors.js';
import { matchTotpStep, newTotpSecret, otpauthUrl } from './totp.js';

export const SESSION_COOKIE = 'sw_session';
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/**
 * Sign-in protection (docs/security.md). Failures are counted per (account, client address): after
 * MAX_FAILED_LOGINS wrong passwords or codes from one address within LOCKOUT_MS, that address may not try this
 * account again until LOCKOUT_MS has passed. A slower account-wide limit (ACCOUNT_MAX_FAILURES within LOCKOUT_MS,
 * from all addresses together) stops distributed guessing. Someone who knows only an e-mail can therefore lock the
 * account out for their own address, not for its owner elsewhere. Each attempt is counted atomically before the
 * password is checked, so parallel guesses cannot get past the limit.
 */
export const MAX_FAILED_LOGINS = 5;
export const ACCOUNT_MAX_FAILURES = 50;
export const LOCKOUT_MS = 15 * 60 * 1000;

/** What an API token may do. A console session may do all that its role allows. */
export const TOKEN_SCOPES = [
  'incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'audit:read',
  'imports:run', 'ledger:read', 'ledger:write', 'cases:read', 'cases:write', 'grants:decide',
] as const;
export type Scope = (typeof TOKEN_SCOPES)[number];

/** What each role may do, before TLP is applied to reads. */
const ROLE_PERMS: Record<Role, readonly string[]> = {
  admin: ['incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'audit:read', 'users:admin', 'imports:run', 'ledger:read', 'ledger:write', 'cases:read', 'cases:write', 'grants:decide'],
  analyst: ['incidents:read', 'incidents:write', 'laws:read', 'laws:write', 'measure:write', 'outages:write', 'imports:run', 'ledger:read', 'ledger:write', 'grants:decide'],
  responder: ['incidents:read', 'incidents:write', 'laws:read', 'ledger:read', 'cases:read', 'cases:write', 'grants:decide'],
  partner: ['incidents:read', 'laws:read', 'ledger:read'],
  viewer: ['incidents:read', 'laws:read', 'ledger:read'],
};

/** The permissions of a role (before token scopes), for the security documentation and tests. */
export function rolePermissions(role: Role): readonly string[] {
  return ROLE_PERMS[role];
}

/**
 * The server's operator (the CLI, the start-up, other wings' system jobs): an actor without a user. Only an operator
 * may act across organisations; every HTTP caller is a user, bound to its organisation.
 */
export function isOperator(actor: Actor): boolean {
  return actor.userId === null;
}

export function can(actor: Actor, perm: string): boolean {
  if (!ROLE_PERMS[actor.role].includes(perm)) return false;
  if (actor.scopes && perm !== 'users:admin' && !actor.scopes.includes(perm)) return false;
  if (actor.scopes && perm === 'users:admin') return false; // admin pages only from a signed-in session
  return true;
}

export function requirePerm(actor: Actor, perm: string): void {
  if (!can(actor, perm)) {
    throw forbidden(actor.scopes && ROLE_PERMS[actor.role].includes(perm) ? `This API token's scopes do not include ${perm}.` : `Your role (${actor.role}) may not do this (needs ${perm}).`);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function hashPassword(password: string): Promise<string> {
  // @node-rs/argon2 defaults to Argon2id; parameters above OWASP's minimum (19 MiB, t=2).
  return hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export const PasswordSchema = z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters');
export const EmailSchema = z.email('must be an e-mail address').max(254).transform((s) => s.toLowerCase());

export interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  totp_secret: string | null;
  totp_enabled: boolean;
  totp_pending_secret: string | null;
  failed_logins: number;
  locked_until: Date | null;
  disabled: boolean;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  orgId: string;
  orgName: string;
  disabled: boolean;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

const USER_COLS = `u.id, u.email, u.name, u.role, u.org_id, o.name org_name, u.disabled, u.totp_enabled, u.last_login_at, u.created_at`;
function publicUser(r: Record<string, unknown>): PublicUser {
  return {
    id: r.id as string,
    email: r.email as string,
    name: r.name as string,
    role: r.role as Role,
    orgId: r.org_id as string,
    orgName: r.org_name as string,
    disabled: r.disabled as boolean,
    totpEnabled: r.totp_enabled as boolean,
    lastLoginAt: r.last_login_at ? new Date(r.last_login_at as string).toISOString() : null,
    createdAt: new Date(r.created_at as string).toISOString(),
  };
}

export async function ensureOrg(tx: Queryable, name: string): Promise<string> {
  const found = await tx.query<{ id: string }>('select id from orgs where name = $1', [name]);
  if (found.rows[0]) return found.rows[0].id;
  const id = randomUUID();
  await tx.query('insert into orgs (id, name) values ($1, $2)', [id, name]);
  return id;
}

export async function firstOrgId(db: Queryable): Promise<string | null> {
  return (await db.query<{ id: string }>('select id from orgs order by created_at, name limit 1')).rows[0]?.id ?? null;
}

export const NewUserSchema = z
  .object({
    email: EmailSchema,
    name: z.string().max(200).default(''),
    role: z.enum(ROLES),
    password: PasswordSchema,
    orgName: z.string().min(1).max(200).optional(),
  })
  .strict();
export type NewUser = z.infer<typeof NewUserSchema>;

export async function createUser(db: Db, actor: Actor, input: NewUser): Promise<PublicUser> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const exists = await tx.query('select 1 from users where lower(email) = $1', [input.email]);
    if (exists.rows.length) throw conflict('A user with this e-mail already exists.', 'email');
    let orgId = actor.orgId;
    if (input.orgName) {
      if (isOperator(actor)) orgId = await ensureOrg(tx, input.orgName);
      else {
        const named = (await tx.query<{ id: string }>('select id from orgs where name = $1', [input.orgName])).rows[0];
        if (named?.id !== actor.orgId) throw forbidden('Admins add users to their own organisation only.');
      }
    }
    const id = randomUUID();
    await tx.query('insert into users (id, org_id, email, name, role, password_hash) values ($1,$2,$3,$4,$5,$6)', [
      id, orgId, input.email, input.name, input.role, passwordHash,
    ]);
    const user = publicUser((await tx.query(`select ${USER_COLS} from users u join orgs o on o.id = u.org_id where u.id = $1`, [id])).rows[0]!);
    await audit(tx, { ...actor, orgId }, 'user.create', 'user', id, null, { email: user.email, role: user.role, orgId });
    return user;
  });
}

/** The users of one organisation (an admin sees only their own). */
export async function listUsers(db: Queryable, orgId: string): Promise<PublicUser[]> {
  return (await db.query(`select ${USER_COLS} from users u join orgs o on o.id = u.org_id where u.org_id = $1 order by u.email`, [orgId])).rows.map(publicUser);
}

export async function getUser(db: Queryable, id: string): Promise<PublicUser> {
  const r = (await db.query(`select ${USER_COLS} from users u join orgs o on o.id = u.org_id where u.id = $1`, [id])).rows[0];
  if (!r) throw notFound('User');
  return publicUser(r);
}

export const UserPatchSchema = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), name: z.string().max(200).optional(), password: PasswordSchema.optional() })
  .strict();

export async function updateUser(db: Db, actor: Actor, id: string, patch: z.infer<typeof UserPatchSchema>): Promise<PublicUser> {
  const passwordHash = patch.password ? await hashPassword(patch.password) : null;
  if (!UUID_RE.test(id)) throw notFound('User');
  return db.transaction(async (tx) => {
    const target = (await tx.query<{ org_id: string }>('select org_id from users where id = $1', [id])).rows[0];
    // Another organisation's user does not exist for this admin (404, not 403: no enumeration across the wall).
    if (!target || (!isOperator(actor) && target.org_id !== actor.orgId)) throw notFound('User');
    // Lock the organisation's admins first, in a fixed order, so that two admins demoting each other at once cannot
    // both succeed and leave the organisation without one.
    const admins = (await tx.query<{ id: string }>(
      "select id from users where org_id = $1 and role = 'admin' and not disabled order by id for update", [target.org_id],
    )).rows.map((r) => r.id);
    const before = (await tx.query(`select ${USER_COLS} from users u join orgs o on o.id = u.org_id where u.id = $1 for update of u`, [id])).rows[0];
    if (!before) throw notFound('User');
    if (id === actor.userId && (patch.disabled || (patch.role && patch.role !== 'admin'))) {
      throw badRequest('You cannot disable yourself or remove your own admin role.', patch.disabled ? 'disabled' : 'role');
    }
    const losesAdmin = admins.includes(id) && (patch.disabled === true || (patch.role !== undefined && patch.role !== 'admin'));
    if (losesAdmin && admins.length <= 1) {
      throw conflict('This is the last admin of the organisation: make someone else admin first.', patch.disabled ? 'disabled' : 'role');
    }
    await tx.query(
      `update users set role = coalesce($2, role), disabled = coalesce($3, disabled), name = coalesce($4, name),
       password_hash = coalesce($5, password_hash) where id = $1`,
      [id, patch.role ?? null, patch.disabled ?? null, patch.name ?? null, passwordHash],
    );
    if (patch.disabled || passwordHash) await tx.query('delete from sessions where user_id = $1', [id]);
    // A password set by someone else (an admin or the operator) is a reset: the account may have been taken over,
    // so its API tokens are revoked too and its sign-in failures are forgotten.
    const reset = Boolean(passwordHash) && id !== actor.userId;
    if (reset) {
      await tx.query('update api_tokens set revoked_at = now() where user_id = $1 and revoked_at is null', [id]);
      await tx.query('delete from login_failures where user_id = $1', [id]);
      await tx.query('update users set failed_logins = 0, locked_until = null, failed_window_start = null where id = $1', [id]);
    }
    forgetSessions(db);
    const after = (await tx.query(`select ${USER_COLS} from users u join orgs o on o.id = u.org_id where u.id = $1`, [id])).rows[0]!;
    const b = publicUser(before);
    const a = publicUser(after);
    await audit(tx, { ...actor, orgId: target.org_id }, 'user.update', 'user', id, { role: b.role, disabled: b.disabled, name: b.name }, {
      role: a.role, disabled: a.disabled, name: a.name, passwordChanged: Boolean(passwordHash), ...(reset ? { tokensRevoked: true } : {}),
    });
    return a;
  });
}

/** Per-address login throttling (in memory): at most 20 attempts in 5 minutes from one address. */
export class LoginThrottle {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly max = 20, private readonly windowMs = 5 * 60 * 1000) {}
  check(key: string, now = Date.now()): void {
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length >= this.max) throw tooMany('Too many sign-in attempts from this address. Wait a few minutes and try again.');
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 10_000) this.hits.clear();
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the time of a real password check, so that timing does not tell which e-mails exist or are locked. */
async function spendPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verify(await dummyHash, password).catch(() => false);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one answer to a wrong e-mail, a wrong password, a disabled account and a locked one: no enumeration. */
const wrongCredentials = () => unauthorized('Wrong e-mail or password.');

/**
 * Counts one attempt against the account from `addr` before any secret is checked, atomically (one statement per
 * counter, so parallel attempts each see the count the others left). Returns false when the attempt may not be made:
 * this address, or the account as a whole, is locked out. The attempt stays counted unless `attemptSucceeded` gives it
 * back, so a wrong password or code needs no second write.
 */
export async function reserveAttempt(db: Queryable, actor: { id: string; email: string; orgId: string; role: Role }, addr: string, now = new Date()): Promise<boolean> {
  const windowStart = new Date(now.getTime() - LOCKOUT_MS);
  const until = new Date(now.getTime() + LOCKOUT_MS);
  // A new window starts when the lock has expired, or when the last window is older than LOCKOUT_MS.
  const fresh = (t: string) => `(${t}.locked_until is not null and ${t}.locked_until <= $3) or (${t}.locked_until is null and ${t}.window_start <= $4)`;
  const perAddr = await db.query<{ failures: number }>(
    `insert into login_failures (user_id, addr, failures, window_start, locked_until) values ($1, $2, 1, $3, case when 1 >= $5 then $6::timestamptz end)
     on conflict (user_id, addr) do update set
       failures = case when ${fresh('login_failures')} then 1 else login_failures.failures + 1 end,
       window_start = case when ${fresh('login_failures')} then $3 else login_failures.window_start end,
       locked_until = case when (case when ${fresh('login_failures')} then 1 else login_failures.failures + 1 end) >= $5 then $6::timestamptz end
     where login_failures.locked_until is null or login_failures.locked_until <= $3
     returning failures`,
    [actor.id, addr.slice(0, 100), now, windowStart, MAX_FAILED_LOGINS, until],
  );
  const n = perAddr.rows[0]?.failures;
  if (n === undefined) return false;
  const freshU = `(locked_until is not null and locked_until <= $2) or (locked_until is null and (failed_window_start is null or failed_window_start <= $3))`;
  const acct = await db.query<{ failed_logins: number }>(
    `update users set
       failed_logins = case when ${freshU} then 1 else failed_logins + 1 end,
       failed_window_start = case when ${freshU} then $2 else failed_window_start end,
       locked_until = case when (case when ${freshU} then 1 else failed_logins + 1 end) >= $4 then $5::timestamptz end
     where id = $1 and (locked_until is null or locked_until <= $2)
     returning failed_logins`,
    [actor.id, now, windowStart, ACCOUNT_MAX_FAILURES, until],
  );
  const m = acct.rows[0]?.failed_logins;
  if (m === undefined) return false;
  if (n === MAX_FAILED_LOGINS || m === ACCOUNT_MAX_FAILURES) {
    await audit(db, { userId: actor.id, label: actor.email, orgId: actor.orgId, role: actor.role }, 'user.lockout', 'user', actor.id, null, {
      lockedUntil: until.toISOString(), scope: n === MAX_FAILED_LOGINS ? 'address' : 'account',
    });
  }
  return true;
}

/** Gives back the attempt counted by `reserveAttempt` after the right secret: clears this address, refunds the account. */
export async function attemptSucceeded(db: Queryable, userId: string, addr: string): Promise<void> {
  await db.query('delete from login_failures where user_id = $1 and addr = $2', [userId, addr.slice(0, 100)]);
  await db.query('update users set failed_logins = greatest(failed_logins - 1, 0) where id = $1 and locked_until is null', [userId]);
}

/**
 * Checks a TOTP code and claims its time step, so that a code is accepted once only (RFC 6238 §5.2): a step at or
 * before the last one used is refused. The claim is one atomic UPDATE, so two requests with the same code cannot
 * both pass.
 */
async function claimTotp(db: Queryable, userId: string, secret: string, code: string, now: Date): Promise<boolean> {
  const step = matchTotpStep(secret, code, now.getTime());
  if (step === null) return false;
  const r = await db.query('update users set totp_last_step = $2 where id = $1 and (totp_last_step is null or totp_last_step < $2) returning id', [userId, step]);
  return r.rows.length === 1;
}

export interface LoginResult {
  sessionToken: string;
  csrfToken: string;
  user: PublicUser;
}

export async function login(db: Db, email: string, password: string, totp: string | undefined, now = new Date(), addr = 'local'): Promise<LoginResult> {
  const u = (await db.query<UserRow>('select * from users where lower(email) = $1', [email.toLowerCase()])).rows[0];
  if (!u) {
    await spendPasswordCheck(password);
    throw wrongCredentials();
  }
  if (!(await reserveAttempt(db, { id: u.id, email: u.email, orgId: u.org_id, role: u.role }, addr, now))) {
    // Locked out: the same answer, after the same time, as a wrong password.
    await spendPasswordCheck(password);
    throw wrongCredentials();
  }
  const ok = await verify(u.password_hash, password).catch(() => false);
  if (!ok || u.disabled) {
    // Audited under the account's organisation (the attempt itself was already counted by reserveAttempt).
    await audit(db, { userId: u.id, label: u.email, orgId: u.org_id, role: u.role }, 'user.sign_in_failed', 'user', u.id, null, { reason: u.disabled ? 'disabled' : 'wrong password' });
    throw wrongCredentials();
  }
  if (u.totp_enabled) {
    if (!totp) throw new AppError(401, 'totp_required', 'Enter the 6-digit code from your authenticator app.', 'totp');
    if (!u.totp_secret || !(await claimTotp(db, u.id, u.totp_secret, totp, now))) {
      await audit(db, { userId: u.id, label: u.email, orgId: u.org_id, role: u.role }, 'user.sign_in_failed', 'user', u.id, null, { reason: 'wrong or reused authenticator code' });
      throw new AppError(401, 'totp_invalid', 'The authenticator code is wrong, expired or already used.', 'totp');
    }
  }
  const sessionToken = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await attemptSucceeded(db, u.id, addr);
  await db.transaction(async (tx) => {
    await tx.query('update users set last_login_at = $2 where id = $1', [u.id, now]);
    await tx.query('insert into sessions (id, user_id, csrf_token, expires_at) values ($1, $2, $3, $4)', [
      sha256(sessionToken), u.id, csrfToken, new Date(now.getTime() + SESSION_TTL_MS),
    ]);
    await tx.query('delete from sessions where expires_at < $1', [now]);
    await audit(tx, { userId: u.id, label: u.email, orgId: u.org_id, role: u.role }, 'user.sign_in', 'user', u.id, null, { totp: u.totp_enabled });
  });
  return { sessionToken, csrfToken, user: await getUser(db, u.id) };
}

export async function logout(db: Db, sessionToken: string): Promise<void> {
  forgetSessions(db);
  await db.query('delete from sessions where id = $1', [sha256(sessionToken)]);
}

export interface Authenticated {
  actor: Actor;
  user: PublicUser;
  csrfToken: string | null; // null for API tokens (no CSRF: not sent by browsers automatically)
  via: 'session' | 'token';
}

/**
 * Sessions looked up in the last few seconds, so that a busy console does not queue a database read per request on
 * the single-connection embedded database. Cleared whenever a session or a user changes.
 */
const sessionCache = new WeakMap<object, Map<string, { at: number; auth: Authenticated | null }>>();
const SESSION_CACHE_MS = 5000;
export function forgetSessions(db: object) {
  sessionCache.delete(db);
}

export async function authenticateSession(db: Db, sessionToken: string, now = new Date()): Promise<Authenticated | null> {
  let cache = sessionCache.get(db);
  if (!cache) sessionCache.set(db, (cache = new Map()));
  const key = sha256(sessionToken);
  const hit = cache.get(key);
  if (hit && now.getTime() - hit.at < SESSION_CACHE_MS && hit.auth) {
    return hit.auth;
  }
  const auth = await lookupSession(db, sessionToken, now);
  if (cache.size > 10_000) cache.clear();
  if (auth) cache.set(key, { at: now.getTime(), auth });
  return auth;
}

async function lookupSession(db: Db, sessionToken: string, now: Date): Promise<Authenticated | null> {
  const r = (
    await db.query<Record<string, unknown> & { csrf_token: string; expires_at: Date }>(
      `select ${USER_COLS}, s.csrf_token, s.expires_at from sessions s join users u on u.id = s.user_id join orgs o on o.id = u.org_id where s.id = $1`,
      [sha256(sessionToken)],
    )
  ).rows[0];
  if (!r || r.disabled || new Date(r.expires_at) < now) return null;
  const user = publicUser(r);
  return { actor: { userId: user.id, label: user.email, orgId: user.orgId, role: user.role, scopes: null }, user, csrfToken: r.csrf_token, via: 'session' };
}

export async function authenticateToken(db: Db, secret: string, now = new Date()): Promise<Authenticated | null> {
  const r = (
    await db.query<Record<string, unknown> & { token_id: string; token_name: string; scopes: string[]; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null }>(
      `select ${USER_COLS}, t.id token_id, t.name token_name, t.scopes, t.expires_at, t.revoked_at, t.last_used_at
       from api_tokens t join users u on u.id = t.user_id join orgs o on o.id = u.org_id where t.token_hash = $1`,
      [sha256(secret)],
    )
  ).rows[0];
  if (!r || r.revoked_at || r.disabled || (r.expires_at && new Date(r.expires_at) < now)) return null;
  // Record use at most once a minute, so that a busy probe does not turn every read into a write.
  if (!r.last_used_at || now.getTime() - new Date(r.last_used_at).getTime() > 60_000) {
    await db.query('update api_tokens set last_used_at = $2 where id = $1', [r.token_id, now]);
  }
  const user = publicUser(r);
  return {
    actor: { userId: user.id, label: `token:${r.token_name}`, orgId: user.orgId, role: user.role, scopes: r.scopes },
    user,
    csrfToken: null,
    via: 'token',
  };
}

export const NewTokenSchema = z
  .object({
    name: z.string().min(1, 'is required').max(100),
    scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, 'choose at least one scope'),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export interface ApiTokenInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}
const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
function tokenInfo(r: Record<string, unknown>): ApiTokenInfo {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    scopes: r.scopes as string[],
    createdAt: iso(r.created_at)!,
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

export async function createToken(db: Db, actor: Actor, input: z.infer<typeof NewTokenSchema>): Promise<{ token: ApiTokenInfo; secret: string }> {
  if (!actor.userId) throw forbidden();
  const role = actor.role;
  const notAllowed = input.scopes.filter((s) => !ROLE_PERMS[role].includes(s));
  if (notAllowed.length) throw forbidden(`Your role (${role}) cannot grant: ${notAllowed.join(', ')}.`);
  if (actor.scopes) throw forbidden('API tokens cannot create other tokens; sign in to the console.');
  const secret = `sw_${randomBytes(30).toString('base64url')}`;
  const id = randomUUID();
  const expires = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86400_000) : null;
  return db.transaction(async (tx) => {
    await tx.query('insert into api_tokens (id, user_id, name, prefix, token_hash, scopes, expires_at) values ($1,$2,$3,$4,$5,$6,$7)', [
      id, actor.userId, input.name, secret.slice(0, 10), sha256(secret), input.scopes, expires,
    ]);
    const row = (await tx.query('select * from api_tokens where id = $1', [id])).rows[0]!;
    const token = tokenInfo(row);
    await audit(tx, actor, 'token.create', 'api_token', id, null, { name: token.name, scopes: token.scopes, expiresAt: token.expiresAt });
    return { token, secret };
  });
}

export async function listTokens(db: Queryable, userId: string): Promise<ApiTokenInfo[]> {
  return (await db.query('select * from api_tokens where user_id = $1 order by created_at desc', [userId])).rows.map(tokenInfo);
}

export async function revokeToken(db: Db, actor: Actor, id: string): Promise<ApiTokenInfo> {
  return db.transaction(async (tx) => {
    if (!UUID_RE.test(id)) throw notFound('Token');
    const row = (await tx.query<Record<string, unknown> & { user_id: string; owner_org: string }>(
      'select t.*, u.org_id owner_org from api_tokens t join users u on u.id = t.user_id where t.id = $1', [id],
    )).rows[0];
    // Your own token; or, for an admin signed in to the console (not through a token), a token of their organisation.
    const mayRevoke = row && (row.user_id === actor.userId || (actor.role === 'admin' && !actor.scopes && (isOperator(actor) || row.owner_org === actor.orgId)));
    if (!row || !mayRevoke) throw notFound('Token');
    await tx.query('update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1', [id]);
    const after = tokenInfo((await tx.query('select * from api_tokens where id = $1', [id])).rows[0]!);
    await audit(tx, { ...actor, orgId: row.owner_org }, 'token.revoke', 'api_token', id, { revokedAt: null }, { revokedAt: after.revokedAt });
    return after;
  });
}

/** The signed-in user as the account whose sign-in failures count, or 403 for a token or the operator. */
async function selfForSecrets(db: Queryable, actor: Actor, what: string) {
  if (!actor.userId || actor.scopes) throw forbidden(`Sign in to the console to ${what}.`);
  const u = (await db.query<UserRow>('select * from users where id = $1', [actor.userId])).rows[0];
  if (!u) throw unauthorized();
  return u;
}

/**
 * Checks the current password of a signed-in user, counted like a sign-in attempt (the same lock-out), so that a
 * stolen session cannot be used to guess the password. A locked-out caller gets the same answer as a wrong password.
 */
async function checkCurrentPassword(db: Queryable, u: UserRow, password: string, addr: string): Promise<void> {
  const allowed = await reserveAttempt(db, { id: u.id, email: u.email, orgId: u.org_id, role: u.role }, addr);
  const ok = allowed && (await verify(u.password_hash, password).catch(() => false));
  if (!allowed) await spendPasswordCheck(password);
  if (!ok) throw badRequest('The current password is wrong.', 'currentPassword');
}

/**
 * A signed-in user changes their own password: the current one is required (and counted against the lock-out), and
 * every other session ends. The user's API tokens keep working (they are separate credentials, listed and revocable
 * on the tokens page); a reset by an admin or the operator revokes them (see updateUser).
 */
export async function changeOwnPassword(db: Db, actor: Actor, current: string, next: string, keepSessionToken?: string, addr = 'local'): Promise<void> {
  const u = await selfForSecrets(db, actor, 'change your password');
  await checkCurrentPassword(db, u, current, addr);
  const parsed = PasswordSchema.safeParse(next);
  if (!parsed.success) throw badRequest(parsed.error.issues[0]?.message ?? 'invalid password', 'newPassword');
  if (next === current) throw badRequest('must differ from the current password', 'newPassword');
  const hashNext = await hashPassword(next);
  await attemptSucceeded(db, u.id, addr);
  await db.transaction(async (tx) => {
    await tx.query('update users set password_hash = $2 where id = $1', [actor.userId, hashNext]);
    await tx.query('delete from sessions where user_id = $1 and id <> $2', [actor.userId, keepSessionToken ? sha256(keepSessionToken) : '']);
    await audit(tx, actor, 'user.password_change', 'user', actor.userId, null, { passwordChanged: true });
  });
  forgetSessions(db);
}

export const TotpSetupSchema = z
  .object({ currentPassword: z.string().min(1, 'is required').max(256), code: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional() })
  .strict();

/**
 * Starts setting up (or replacing) the second factor. Needs the current password and, when a second factor is on,
 * a current code from it: a stolen session alone cannot turn it off or swap it. The new secret stays pending (the
 * current factor keeps working) until `enableTotp` confirms it with a code.
 */
export async function setupTotp(db: Db, actor: Actor, input: z.infer<typeof TotpSetupSchema>, addr = 'local'): Promise<{ secret: string; otpauthUrl: string }> {
  const u = await selfForSecrets(db, actor, 'set up a second factor');
  await checkCurrentPassword(db, u, input.currentPassword, addr);
  if (u.totp_enabled) {
    if (!input.code) throw badRequest('Enter a current code from your authenticator app to replace it.', 'code');
    if (!u.totp_secret || !(await claimTotp(db, u.id, u.totp_secret, input.code, new Date()))) {
      throw badRequest('The authenticator code is wrong, expired or already used.', 'code');
    }
  }
  await attemptSucceeded(db, u.id, addr);
  const secret = newTotpSecret();
  await db.transaction(async (tx) => {
    await tx.query('update users set totp_pending_secret = $2 where id = $1', [actor.userId, secret]);
    await audit(tx, actor, 'user.totp_setup', 'user', actor.userId, null, null);
  });
  return { secret, otpauthUrl: otpauthUrl(secret, actor.label) };
}

/** Confirms the pending second factor with a code from it; wrong codes count against the lock-out. */
export async function enableTotp(db: Db, actor: Actor, code: string, addr = 'local'): Promise<void> {
  const u = await selfForSecrets(db, actor, 'set up a second factor');
  if (!u.totp_pending_secret) throw badRequest('Start the set-up first.', 'code');
  const allowed = await reserveAttempt(db, { id: u.id, email: u.email, orgId: u.org_id, role: u.role }, addr);
  const step = allowed ? matchTotpStep(u.totp_pending_secret, code) : null;
  if (step === null) throw badRequest('The code does not match; check the time on your phone.', 'code');
  await attemptSucceeded(db, u.id, addr);
  await db.transaction(async (tx) => {
    const r = await tx.query(
      'update users set totp_secret = totp_pending_secret, totp_pending_secret = null, totp_enabled = true, totp_last_step = $2 where id = $1 and totp_pending_secret = $3 returning id',
      [actor.userId, step, u.totp_pending_secret],
    );
    if (!r.rows.length) throw conflict('The set-up was started again meanwhile; use the newest code.', 'code');
    await audit(tx, actor, 'user.totp_enable', 'user', actor.userId, { totpEnabled: u.totp_enabled }, { totpEnabled: true });
  });
}

/** Creates the first organisation and admin when there is no user yet. Returns the password when generated. */
export async function bootstrapAdmin(
  db: Db,
  opts: { email?: string; password?: string; orgName?: string },
): Promise<{ created: boolean; email: string; generatedPassword?: string; orgId: string }> {
  const existing = (await db.query<{ email: string; org_id: string }>("select email, org_id from users where role = 'admin' order by created_at limit 1")).rows[0];
  if (existing) return { created: false, email: existing.email, orgId: existing.org_id };
  const email = (opts.email ?? 'admin@stackwatch.local').toLowerCase();
  const generated = opts.password ? undefined : randomBytes(18).toString('base64url');
  const password = opts.password ?? generated!;
  const passwordHash = await hashPassword(password);
  const orgId = await db.transaction(async (tx) => {
    const orgId = (await firstOrgId(tx)) ?? (await ensureOrg(tx, opts.orgName ?? 'Stackwatch'));
    const id = randomUUID();
    await tx.query("insert into users (id, org_id, email, name, role, password_hash) values ($1,$2,$3,'Administrator','admin',$4)", [id, orgId, email, passwordHash]);
    await audit(tx, { userId: null, label: 'system', orgId, role: 'admin' }, 'user.create', 'user', id, null, { email, role: 'admin', bootstrap: true });
    return orgId;
  });
  return { created: true, email, generatedPassword: generated, orgId };
}

export async function systemActor(db: Queryable): Promise<Actor> {
  const orgId = await firstOrgId(db);
  if (!orgId) throw new AppError(500, 'no_org', 'No organisation exists yet: start the server once or run `stackwatch user add`.');
  return { userId: null, label: 'system', orgId, role: 'admin', scopes: null };
}
