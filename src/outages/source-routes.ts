/**
 * HTTP routes of the live sources (mounted under /api; see ./sources.ts and ./live.ts):
 *   GET    /outages/sources                 the organisation's live sources, each with its last poll
 *   POST   /outages/sources                 add one
 *   GET    /outages/sources/{id}            one source
 *   PATCH  /outages/sources/{id}            edit, pause ({enabled: false}) or resume it
 *   DELETE /outages/sources/{id}            remove it (its poll log goes with it; stored series and events stay)
 *   PUT    /outages/sources/{id}/secrets    admin: the Authorization header and the webhook target
 *   POST   /outages/sources/{id}/poll       poll now; answers the outcome
 *   GET    /outages/sources/{id}/polls      the last polls' outcomes, newest first
 * Reading sources needs `outages:write` as writing them does: their URLs and settings are the organisation's
 * working configuration, not published data.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, requireAdmin, type App } from '../platform/http.js';
import { createSource, deleteSource, getSource, listPolls, listSources, NewSourceSchema, setSourceSecrets, SourcePatchSchema, SourceSecretsSchema, updateSource, POLLS_KEPT } from './sources.js';
import { liveSourcesFor } from './live.js';
import { notFound } from '../core/errors.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const Any = z.any();
const IdParam = z.object({ id: z.uuid() });
const WRITE = { 'x-stackwatch-access': 'outages:write' } as const;
const PERM = 'outages:write';

export function sourceRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({ method: 'get', path: '/outages/sources', tags: ['outages'], summary: 'Live sources of the organisation, with their last poll', ...WRITE, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, PERM);
      return c.json({ items: await listSources(c.get('db'), actor) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'post', path: '/outages/sources', tags: ['outages'], summary: 'Add a live source (polled inside the server)', ...WRITE,
      request: { body: { required: true, content: { 'application/json': { schema: NewSourceSchema } } } },
      responses: { 201: json(Any, 'Created'), 409: json(Any, 'Name taken'), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, PERM);
      return c.json(await createSource(c.get('db'), actor, c.req.valid('json')), 201);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/outages/sources/{id}', tags: ['outages'], summary: 'One live source', ...WRITE, request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, PERM);
      return c.json(await getSource(c.get('db'), actor, c.req.valid('param').id), 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'patch', path: '/outages/sources/{id}', tags: ['outages'], summary: 'Edit, pause or resume a live source', ...WRITE,
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: SourcePatchSchema } } } },
      responses: { 200: json(Any), 409: json(Any, 'Name taken'), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, PERM);
      const db = c.get('db');
      const s = await updateSource(db, actor, c.req.valid('param').id, c.req.valid('json'));
      liveSourcesFor(db).forget(s.id);
      return c.json(s, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'delete', path: '/outages/sources/{id}', tags: ['outages'], summary: 'Remove a live source', ...WRITE, request: { params: IdParam }, responses: { 204: { description: 'Removed' }, ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, PERM);
      const db = c.get('db');
      const { id } = c.req.valid('param');
      await deleteSource(db, actor, id);
      liveSourcesFor(db).forget(id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: 'put', path: '/outages/sources/{id}/secrets', tags: ['outages'], 'x-stackwatch-access': 'admin',
      summary: 'Set or clear the Authorization header and the webhook target of a live source (admins; never shown again)',
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: SourceSecretsSchema } } } },
      responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireAdmin(c);
      const db = c.get('db');
      const s = await setSourceSecrets(db, actor, c.req.valid('param').id, c.req.valid('json'));
      liveSourcesFor(db).forget(s.id);
      return c.json(s, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/outages/sources/{id}/poll', tags: ['outages'], summary: 'Poll a live source now and answer the outcome', ...WRITE, request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, PERM);
      const db = c.get('db');
      const { id } = c.req.valid('param');
      await getSource(db, actor, id); // 404 for another organisation's source
      const rec = await liveSourcesFor(db).poll(id, 'manual');
      if (!rec) throw notFound('Live source');
      return c.json(rec, 200);
    },
  );

  r.openapi(
    createRoute({
      method: 'get', path: '/outages/sources/{id}/polls', tags: ['outages'], summary: `The last polls of a live source (at most ${POLLS_KEPT} are kept)`, ...WRITE,
      request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, PERM);
      return c.json({ items: await listPolls(c.get('db'), actor, c.req.valid('param').id) }, 200);
    },
  );

  return r;
}
