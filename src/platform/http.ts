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

export function newRouter(): App {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
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

export const MAX_BODY_BYTES = 1024 * 1024;
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: { code: 'body_too_large', message: `The request body is larger than ${MAX_BODY_BYTES} bytes.`, field: '(body)' } }, 413),
  });

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
