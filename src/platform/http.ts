import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { AppError, describeIssues, forbidden, unauthorized } from '../core/errors.js';
import type { Db } from './db.js';
import type { Logger } from './log.js';
import { authenticateSession, authenticateToken, requirePerm, SESSION_COOKIE, type Authenticated } from './auth.js';
import type { Actor } from './audit.js';

/** What every route handler can reach through `c.get(...)`. */
export interface AppEnv {
  Variables: {
    db: Db;
    log: Logger;
    auth: Authenticated | null;
    /** The configured reverse proxies (STACKWATCH_TRUSTED_PROXIES), for every route that reads the caller's address. */
    trustedProxies: readonly string[] | undefined;
  };
}

export type App = OpenAPIHono<AppEnv>;

/** Validation errors as clean JSON that names each offending field. */
export function validationHook(result: { success: boolean; error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string }> } }, c: Context) {
  if (!result.success && result.error) {
    const d = describeIssues(result.error.issues);
    return c.json({ error: { code: 'validation_failed', message: d.message, field: d.field, issues: d.issues } }, 400);
  }
  return undefined;
}

/**
 * Who may call a route, declared on the route object as the OpenAPI extension `x-stackwatch-access`:
 * `'public'` (no sign-in), `'signed-in'` (any signed-in user or API token: one's own account and tokens),
 * `'admin'` (an organisation admin signed in to the console) or a permission string that the caller's role (and
 * token scopes) must hold. The router enforces it in a middleware that runs before the
 * request is validated, so an unentitled caller always gets 401/403 — never a validation message about the body.
 * The handler may still call `requireActor`/`requireAdmin` (to get the actor): the same rule, checked twice.
 */
export const ACCESS_FIELD = 'x-stackwatch-access';
export type Access = 'public' | 'admin' | string;

export function accessGate(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access === 'admin') requireAdmin(c);
    else if (access === 'signed-in') actorOf(c);
    else if (access !== 'public') requireActor(c, access);
    await next();
  };
}

export function newRouter(): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
  const register = app.openapi.bind(app) as (route: Record<string, unknown>, ...rest: unknown[]) => App;
  (app as unknown as { openapi: unknown }).openapi = (route: Record<string, unknown>, ...rest: unknown[]) => {
    const access = route[ACCESS_FIELD];
    if (typeof access === 'string' && access) {
      const own = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
      route = { ...route, middleware: [accessGate(access), ...own] };
    }
    return register(route, ...rest);
  };
  return app;
}

/** PostgreSQL error classes that are the caller's doing or the server's state, not a bug (SQLSTATE codes). */
function databaseError(err: unknown): { status: number; code: string; message: string } | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
  if (code === '23505') return { status: 409, code: 'conflict', message: 'This record already exists (a unique value is taken).' };
  if (code === '22P02' || code === '22007' || code === '22008' || code === '22003' || code === '22021' || code === '22P05' || code === '54000' || code === '54001') {
    return { status: 400, code: 'bad_request', message: 'A value in the request is not valid for the database (malformed id, date out of range, invalid text, or too deeply nested).' };
  }
  if (code.startsWith('53') || code === '58030' || code === '25006' || code.startsWith('57P') || code.startsWith('08')) {
    return { status: 503, code: 'unavailable', message: 'The database cannot store anything right now (disk full, read-only or unavailable). Reading still works; try the write again later and tell the administrator.' };
  }
  return null;
}

/** Errors of the file system that mean the server cannot write now (full disk, read-only), not a bug. */
function storageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EROFS' || code === 'EDQUOT' || code === 'EIO';
}

export function errorResponse(err: unknown, c: Context, log: Logger) {
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ? { details: err.details } : {}) } }, err.status as 400);
  }
  if (err instanceof HTTPException) {
    if (/malformed json/i.test(err.message)) {
      return c.json({ error: { code: 'malformed_json', message: 'The request body is not valid JSON.', field: '(body)' } }, 400);
    }
    return c.json({ error: { code: 'http_error', message: err.message || 'Request failed.' } }, err.status);
  }
  if (err instanceof SyntaxError) {
    return c.json({ error: { code: 'malformed_json', message: `The request body is not valid JSON: ${err.message}`, field: '(body)' } }, 400);
  }
  const dbErr = databaseError(err);
  if (dbErr) {
    if (dbErr.status === 503) log.error('database unavailable for writes', { code: (err as { code: string }).code, path: c.req.path });
    return c.json({ error: { code: dbErr.code, message: dbErr.message } }, dbErr.status as 400);
  }
  if (storageError(err) || (err instanceof RangeError && /call stack/i.test(err.message))) {
    if (storageError(err)) {
      log.error('storage unavailable for writes', { code: (err as { code: string }).code, path: c.req.path });
      return c.json({ error: { code: 'unavailable', message: 'The server cannot store anything right now (disk full or read-only). Reading still works; tell the administrator.' } }, 503);
    }
    return c.json({ error: { code: 'bad_request', message: 'The request is nested too deeply.', field: '(body)' } }, 400);
  }
  log.error('unhandled error', { err: err as Error, path: c.req.path });
  return c.json({ error: { code: 'internal', message: 'Something went wrong on the server. The error was logged.' } }, 500);
}

/** Signs the request in from the session cookie or a Bearer token; enforces CSRF for cookie sessions on writes. */
export function authMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const db = c.get('db');
    let auth: Authenticated | null = null;
    const header = c.req.header('authorization');
    if (header?.toLowerCase().startsWith('bearer ')) {
      auth = await authenticateToken(db, header.slice(7).trim());
      if (!auth) throw unauthorized('The API token is invalid, expired or revoked.');
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) auth = await authenticateSession(db, cookie);
      if (auth && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
        const sent = c.req.header('x-csrf-token');
        if (!sent || sent !== auth.csrfToken) throw new AppError(403, 'csrf', 'Missing or wrong X-CSRF-Token header for this session.');
        const origin = c.req.header('origin');
        if (origin && origin !== new URL(c.req.url).origin) throw new AppError(403, 'csrf', 'Cross-origin request refused.');
      }
    }
    c.set('auth', auth);
    await next();
  };
}

/** The signed-in actor, or 401. */
export function actorOf(c: Context<AppEnv>): Actor {
  const auth = c.get('auth');
  if (!auth) throw unauthorized();
  return auth.actor;
}

export function requireActor(c: Context<AppEnv>, perm: string): Actor {
  const actor = actorOf(c);
  requirePerm(actor, perm);
  return actor;
}

export function requireAdmin(c: Context<AppEnv>): Actor {
  const actor = actorOf(c);
  if (actor.role !== 'admin' || actor.scopes) throw forbidden('Only admins signed in to the console may do this.');
  return actor;
}

/**
 * The client's address for throttling and lock-out. `X-Forwarded-For` is believed only when the connection comes from
 * a configured trusted proxy (STACKWATCH_TRUSTED_PROXIES); then the right-most address in it that is not itself a
 * trusted proxy is the client (the left part can be written by anyone).
 */
export function clientAddress(c: Context, trustedProxies: readonly string[] = []): string {
  const remote = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
  return addressOf(remote, c.req.header('x-forwarded-for'), trustedProxies);
}

/** The same rule on a raw connection: its remote address and the X-Forwarded-For header it sent. */
export function addressOf(remoteAddress: string | undefined, forwardedFor: string | undefined, trustedProxies: readonly string[] = []): string {
  const norm = (a: string) => a.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
  const remote = norm(remoteAddress ?? 'local');
  const trusted = trustedProxies.map(norm);
  if (!trusted.includes(remote)) return remote;
  const chain = (forwardedFor ?? '').split(',').map(norm).filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trusted.includes(chain[i]!)) return chain[i]!.slice(0, 100);
  return remote;
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: { code: 'body_too_large', message: `The request body is larger than ${MAX_BODY_BYTES} bytes.`, field: '(body)' } }, 413),
  });

/** The deepest nesting accepted in a JSON body (objects and arrays); evidence data is a few levels deep. */
export const MAX_JSON_DEPTH = 32;

/**
 * Finds the first string with a NUL character (PostgreSQL text cannot hold one) or the first value nested deeper
 * than MAX_JSON_DEPTH, walking iteratively so that a hostile body cannot exhaust the stack. Returns the field path.
 */
export function findBadValue(value: unknown, root: string): { field: string; problem: 'nul' | 'depth' } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: path, problem: 'nul' };
    } else if (v && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) return { field: path, problem: 'depth' };
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      for (const [k, x] of entries) {
        if (k.includes('\u0000')) return { field: path, problem: 'nul' };
        stack.push({ v: x, path: path ? `${path}.${k}` : k, depth: depth + 1 });
      }
    }
  }
  return null;
}

/**
 * Refuses, before any handler runs, input that no field may carry: a NUL character in the path, the query or a JSON
 * body, and JSON nested deeper than MAX_JSON_DEPTH. The error names the field.
 */
export function inputGuard(): MiddlewareHandler<AppEnv> {
  const refuse = (c: Context, bad: { field: string; problem: 'nul' | 'depth' }) =>
    c.json({ error: { code: 'validation_failed', message: bad.problem === 'nul' ? `${bad.field}: must not contain a NUL character` : `${bad.field}: is nested too deeply (at most ${MAX_JSON_DEPTH} levels)`, field: bad.field } }, 400);
  return async (c, next) => {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return c.json({ error: { code: 'bad_request', message: 'The address is not valid percent-encoding.', field: '(path)' } }, 400);
    }
    if (path.includes('\u0000')) return refuse(c, { field: '(path)', problem: 'nul' });
    const url = new URL(c.req.url);
    for (const [k, v] of url.searchParams) {
      if (k.includes('\u0000') || v.includes('\u0000')) return refuse(c, { field: k.replace(/\u0000/g, ''), problem: 'nul' });
    }
    const type = c.req.header('content-type') ?? '';
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && /^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      const text = await c.req.text();
      if (text.trim()) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          if (e instanceof RangeError) return refuse(c, { field: '(body)', problem: 'depth' });
          return c.json({ error: { code: 'malformed_json', message: `The request body is not valid JSON: ${(e as Error).message}`, field: '(body)' } }, 400);
        }
        const bad = findBadValue(parsed, '');
        if (bad) return refuse(c, { field: bad.field || '(body)', problem: bad.problem });
      }
    }
    await next();
  };
}

/** Common response schemas for the OpenAPI document. */
export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional(), issues: z.array(z.object({ field: z.string(), message: z.string() })).optional() }) })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Invalid input; the message names the field', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'Not signed in', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not allowed', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found (or not visible to you under TLP)', content: { 'application/json': { schema: ErrorSchema } } },
} as const;
