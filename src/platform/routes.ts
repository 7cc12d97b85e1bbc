import { createRoute, z } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { actorOf, clientAddress, errorResponses, newRouter, requireAdmin, type App } from './http.js';
import {
  changeOwnPassword,
  createToken, createUser, enableTotp, listTokens, listUsers, login, logout, LoginThrottle, NewTokenSchema, NewUserSchema, revokeToken, SESSION_COOKIE,
  SESSION_TTL_MS, setupTotp, TOKEN_SCOPES, TotpSetupSchema, updateUser, UserPatchSchema,
} from './auth.js';
import { listAudit } from './audit.js';
import { unauthorized } from '../core/errors.js';
import {
  ACTOR_ROLES, EVIDENCE_KINDS, INCIDENT_STATUSES, INCIDENT_TYPES, LAW_STATUSES, RIGHTS, ROLES, SEVERITIES, TARGET_KINDS,
} from '../core/taxonomy.js';
import { TLP_LABELS } from '../core/tlp.js';
import { allCountryCodes, countryName } from '../core/countries.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const Any = z.any();
const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

export function platformRoutes(opts: { secureCookies: boolean; trustedProxies?: string[] }): App {
  const r = newRouter();
  const throttle = new LoginThrottle();
  const addrOf = (c: Parameters<typeof clientAddress>[0]) => clientAddress(c, opts.trustedProxies ?? []);

  r.openapi(
    createRoute({ method: 'get', path: '/health', 'x-stackwatch-access': 'public', tags: ['platform'], summary: 'Liveness', responses: { 200: json(z.object({ status: z.literal('ok') })) } }),
    async (c) => {
      await c.get('db').query('select 1');
      return c.json({ status: 'ok' as const }, 200);
    },
  );

  const LoginSchema = z.object({ email: z.string().min(1, 'is required').max(254), password: z.string().min(1, 'is required').max(256), totp: z.string().max(10).optional() }).strict();
  r.openapi(
    createRoute({ method: 'post', path: '/auth/login', 'x-stackwatch-access': 'public', tags: ['auth'], summary: 'Sign in; sets an HttpOnly SameSite=Strict session cookie. A locked-out account answers like a wrong password.', request: { body: body(LoginSchema) }, responses: { 200: json(Any), 429: json(Any, 'Throttled'), ...errorResponses } }),
    async (c) => {
      const addr = addrOf(c);
      throttle.check(addr);
      const { email, password, totp } = c.req.valid('json');
      const res = await login(c.get('db'), email, password, totp, new Date(), addr);
      const secure = opts.secureCookies || new URL(c.req.url).protocol === 'https:';
      setCookie(c, SESSION_COOKIE, res.sessionToken, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: SESSION_TTL_MS / 1000 });
      return c.json({ user: res.user, csrfToken: res.csrfToken }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/auth/logout', 'x-stackwatch-access': 'public', tags: ['auth'], summary: 'Sign out', responses: { 200: json(Any) } }),
    async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) await logout(c.get('db'), cookie);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.json({ ok: true }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/auth/me', 'x-stackwatch-access': 'signed-in', tags: ['auth'], summary: 'Who am I', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const auth = c.get('auth');
      if (!auth) throw unauthorized();
      return c.json({ user: auth.user, csrfToken: auth.csrfToken, via: auth.via, scopes: auth.actor.scopes ?? null }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/auth/password', 'x-stackwatch-access': 'signed-in', tags: ['auth'], summary: 'Change my password (ends my other sessions; the current password is counted like a sign-in attempt)', request: { body: body(z.object({ currentPassword: z.string().min(1, 'is required').max(256), newPassword: z.string().max(256) }).strict()) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const b = c.req.valid('json');
      await changeOwnPassword(c.get('db'), actorOf(c), b.currentPassword, b.newPassword, getCookie(c, SESSION_COOKIE), addrOf(c));
      return c.json({ ok: true }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/auth/totp/setup', 'x-stackwatch-access': 'signed-in', tags: ['auth'], summary: 'Start setting up (or replacing) the second factor: needs the current password, and a current code when one is on', request: { body: body(TotpSetupSchema) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = actorOf(c);
      if (actor.scopes) throw unauthorized('Sign in to the console to set up a second factor.');
      return c.json(await setupTotp(c.get('db'), actor, c.req.valid('json'), addrOf(c)), 200);
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/auth/totp/enable', 'x-stackwatch-access': 'signed-in', tags: ['auth'], summary: 'Confirm the second factor with a code', request: { body: body(z.object({ code: z.string().regex(/^\d{6}$/, 'must be 6 digits') }).strict()) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = actorOf(c);
      if (actor.scopes) throw unauthorized('Sign in to the console to set up a second factor.');
      await enableTotp(c.get('db'), actor, c.req.valid('json').code, addrOf(c));
      return c.json({ ok: true }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/meta', 'x-stackwatch-access': 'public', tags: ['platform'], summary: 'Vocabularies: incident types, statuses, TLP labels, countries', request: { query: z.object({ lang: z.enum(['en', 'fr', 'es', 'ar']).default('en') }) }, responses: { 200: json(Any) } }),
    async (c) => {
      const lang = c.req.valid('query').lang;
      return c.json({
        incidentTypes: INCIDENT_TYPES, statuses: INCIDENT_STATUSES, severities: SEVERITIES, tlpLabels: TLP_LABELS, roles: ROLES, lawStatuses: LAW_STATUSES,
        rights: RIGHTS, evidenceKinds: EVIDENCE_KINDS, targetKinds: TARGET_KINDS, actorRoles: ACTOR_ROLES, tokenScopes: TOKEN_SCOPES,
        countries: allCountryCodes().map((code) => ({ code, name: countryName(code, lang) })),
      }, 200);
    },
  );

  // Own API tokens
  r.openapi(
    createRoute({ method: 'get', path: '/tokens', 'x-stackwatch-access': 'signed-in', tags: ['tokens'], summary: 'My API tokens', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json({ items: await listTokens(c.get('db'), actorOf(c).userId ?? '') }, 200),
  );
  r.openapi(
    createRoute({ method: 'post', path: '/tokens', 'x-stackwatch-access': 'signed-in', tags: ['tokens'], summary: 'Create an API token; the secret is shown once', request: { body: body(NewTokenSchema) }, responses: { 201: json(Any), ...errorResponses } }),
    async (c) => c.json(await createToken(c.get('db'), actorOf(c), c.req.valid('json')), 201),
  );
  r.openapi(
    createRoute({ method: 'delete', path: '/tokens/{id}', 'x-stackwatch-access': 'signed-in', tags: ['tokens'], summary: 'Revoke an API token (your own; an admin in the console: any of the organisation)', request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await revokeToken(c.get('db'), actorOf(c), c.req.valid('param').id), 200),
  );

  // Administration
  r.openapi(
    createRoute({ method: 'get', path: '/admin/users', 'x-stackwatch-access': 'admin', tags: ['admin'], summary: 'Users of my organisation', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireAdmin(c);
      return c.json({ items: await listUsers(c.get('db'), actor.orgId) }, 200);
    },
  );
  r.openapi(
    createRoute({ method: 'post', path: '/admin/users', 'x-stackwatch-access': 'admin', tags: ['admin'], summary: 'Add a user to my organisation', request: { body: body(NewUserSchema) }, responses: { 201: json(Any), ...errorResponses } }),
    async (c) => c.json(await createUser(c.get('db'), requireAdmin(c), c.req.valid('json')), 201),
  );
  r.openapi(
    createRoute({ method: 'patch', path: '/admin/users/{id}', 'x-stackwatch-access': 'admin', tags: ['admin'], summary: 'Change role, name, password (a reset: revokes the API tokens) or disable a user of my organisation', request: { params: IdParam, body: body(UserPatchSchema) }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => c.json(await updateUser(c.get('db'), requireAdmin(c), c.req.valid('param').id, c.req.valid('json')), 200),
  );
  r.openapi(
    createRoute({ method: 'get', path: '/admin/orgs', 'x-stackwatch-access': 'admin', tags: ['admin'], summary: 'My organisation', responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireAdmin(c);
      return c.json({ items: (await c.get('db').query('select id, name from orgs where id = $1', [actor.orgId])).rows }, 200);
    },
  );
  const AuditQuery = z.object({
    page: z.coerce.number().int().min(1).default(1), pageSize: z.coerce.number().int().min(1).max(500).default(50),
    entityType: z.string().max(60).optional(), action: z.string().max(60).optional(),
  }).strict();
  r.openapi(
    createRoute({ method: 'get', path: '/admin/audit', 'x-stackwatch-access': 'admin', tags: ['admin'], summary: 'The audit log of my organisation (records I may not read are redacted)', request: { query: AuditQuery }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireAdmin(c);
      const q = c.req.valid('query');
      const res = await listAudit(c.get('db'), actor, q);
      return c.json({ ...res, page: q.page, pageSize: q.pageSize }, 200);
    },
  );
  return r;
}
