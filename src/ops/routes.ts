/**
 * HTTP routes of console jobs (mounted under /api):
 *   POST /jobs                 start a job: an import (announce the file: kind, fileName, size) or outage linking
 *   PUT  /jobs/{id}/data       one chunk of the file (raw bytes, at most 512 KiB, ?offset= what was received so far)
 *   POST /jobs/{id}/start      the file is complete: run the import
 *   GET  /jobs/{id}            status: state, phase, done/total, summary, notes, error
 *   GET  /jobs                 the organisation's recent jobs
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, type App } from '../platform/http.js';
import { requirePerm } from '../platform/auth.js';
import { badRequest } from '../core/errors.js';
import { appendChunk, CHUNK_BYTES, createJob, getJob, JOB_PERMS, listJobs, NewJobSchema, startJob } from './jobs.js';
import { runJob } from './runner.js';

const json = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const Any = z.any();
const IdParam = z.object({ id: z.uuid() });
const ACCESS = { 'x-stackwatch-access': 'imports:run' } as const;

export function opsRoutes(): App {
  const r = newRouter();

  r.openapi(
    createRoute({
      method: 'post', path: '/jobs', tags: ['jobs'], summary: 'Start an import (then upload its file) or outage linking', ...ACCESS,
      request: { body: { required: true, content: { 'application/json': { schema: NewJobSchema } } } },
      responses: { 201: json(Any, 'Created'), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'imports:run');
      const input = c.req.valid('json');
      requirePerm(actor, JOB_PERMS[input.kind]);
      return c.json(await createJob(c.get('db'), actor, input, runJob), 201);
    },
  );

  r.openapi(
    createRoute({
      method: 'put', path: '/jobs/{id}/data', tags: ['jobs'], summary: `One chunk of the job's file (raw bytes, at most ${CHUNK_BYTES} bytes)`, ...ACCESS,
      request: {
        params: IdParam,
        query: z.object({ offset: z.coerce.number().int().min(0) }).strict(),
        body: { required: true, content: { 'application/octet-stream': { schema: z.any().openapi({ type: 'string', format: 'binary' }) } } },
      },
      responses: { 200: json(Any), 409: json(Any, 'Wrong offset or job not uploading'), ...errorResponses },
    }),
    async (c) => {
      const actor = requireActor(c, 'imports:run');
      const buf = new Uint8Array(await c.req.arrayBuffer());
      if (!buf.byteLength) throw badRequest('The chunk is empty.', '(body)');
      if (buf.byteLength > CHUNK_BYTES) throw badRequest(`A chunk may be at most ${CHUNK_BYTES} bytes.`, '(body)');
      return c.json(appendChunk(c.get('db'), actor, c.req.valid('param').id, c.req.valid('query').offset, buf), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/jobs/{id}/start', tags: ['jobs'], summary: 'Run the import once its file is complete', ...ACCESS, request: { params: IdParam }, responses: { 200: json(Any), 409: json(Any, 'Upload incomplete or already started'), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'imports:run');
      return c.json(await startJob(c.get('db'), actor, c.req.valid('param').id, runJob), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/jobs/{id}', tags: ['jobs'], summary: 'Status of a job: phase, progress, summary', ...ACCESS, request: { params: IdParam }, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'imports:run');
      return c.json(await getJob(c.get('db'), actor, c.req.valid('param').id), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/jobs', tags: ['jobs'], summary: "The organisation's recent jobs (the last 100, kept across restarts)", ...ACCESS, responses: { 200: json(Any), ...errorResponses } }),
    async (c) => {
      const actor = requireActor(c, 'imports:run');
      return c.json({ items: await listJobs(c.get('db'), actor) }, 200);
    },
  );

  return r;
}
