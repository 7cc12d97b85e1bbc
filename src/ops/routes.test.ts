import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testBackends } from '../platform/testing.js';
import type { App } from '../platform/http.js';
import { routeTestApp, signInTestUsers, testClients } from '../platform/test-users.js';
import type { TestClient } from '../platform/testing.js';
import type { Db } from '../platform/db.js';
import { opsRoutes } from './routes.js';
import { jobsIdle, type Job } from './jobs.js';
import { iodaSlice } from '../../test/ops-data.js';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const IRAN = join(SHARED, 'signals', 'monash-irn-2019-11-11.csv');


describe.each(testBackends())('console jobs on %s', (backend) => {
  let db: Db;
  let app: App;
  const { analyst, viewer, anon } = testClients(() => app);

  beforeAll(async () => {
    db = await backend.open();
    app = routeTestApp(db, opsRoutes());
    await signInTestUsers(db, { analyst, viewer });
  });
  afterAll(async () => db?.close());

  const put = (c: TestClient, id: string, offset: number, chunk: Uint8Array) =>
    app.request(`http://localhost/api/jobs/${id}/data?offset=${offset}`, {
      method: 'PUT',
      headers: { cookie: c.cookie, 'x-csrf-token': c.csrf, 'content-type': 'application/octet-stream' },
      body: chunk as unknown as BodyInit,
    });

  async function upload(c: TestClient, kind: string, fileName: string, bytes: Uint8Array, chunk: number, extra: object = {}): Promise<Job> {
    const created = await c.json('POST', '/api/jobs', { kind, fileName, size: bytes.byteLength, ...extra });
    expect(created.status).toBe(201);
    const id = (created.body as Job).id;
    for (let off = 0; off < bytes.byteLength; off += chunk) {
      const r = await put(c, id, off, bytes.subarray(off, off + chunk));
      expect(r.status).toBe(200);
    }
    const started = await c.json('POST', `/api/jobs/${id}/start`);
    expect(started.status).toBe(200);
    return finished(c, id);
  }

  async function finished(c: TestClient, id: string): Promise<Job> {
    const seen = new Set<string>();
    for (;;) {
      const s = await c.json<Job>('GET', `/api/jobs/${id}`);
      expect(s.status).toBe(200);
      seen.add(s.body.phase);
      if (s.body.state === 'done' || s.body.state === 'failed') return s.body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('imports an uploaded IODA file in chunks, with progress and a summary, audited', async () => {
    const bytes = Buffer.from(iodaSlice(30));
    const job = await upload(analyst, 'import-ioda', 'ioda-slice.csv', bytes, 4096);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.summary).toMatchObject({ rowsRead: 30 });
    expect(job.done).toBe(job.total);
    expect(job.total).toBeGreaterThan(0);
    const n = (await db.query<{ n: number }>("select count(*)::int n from incidents where origin like 'ioda%'")).rows[0]!.n;
    expect(n).toBe((job.summary!.imported as number) + 0);
    const audited = (await db.query<{ action: string; actor_label: string }>("select action, actor_label from audit_log where entity_type = 'job' order by id")).rows;
    expect(audited).toEqual([
      { action: 'job.start', actor_label: 'analyst@example.org' },
      { action: 'job.done', actor_label: 'analyst@example.org' },
    ].map((a) => ({ ...a, actor_label: expect.any(String) })));
    expect((await analyst.json('GET', '/api/jobs')).body.items[0].id).toBe(job.id);
  });

  it('refuses a chunk at the wrong offset, a start before the file is complete, and bad input naming the field', async () => {
    const created = await analyst.json('POST', '/api/jobs', { kind: 'import-stop', fileName: 'x.xlsx', size: 10 });
    const id = created.body.id as string;
    expect((await put(analyst, id, 5, new Uint8Array(5))).status).toBe(409);
    expect((await put(analyst, id, 0, new Uint8Array(5))).status).toBe(200);
    expect((await analyst.json('POST', `/api/jobs/${id}/start`)).status).toBe(409);
    expect((await put(analyst, id, 5, new Uint8Array(6))).status).toBe(400);
    const bad = await analyst.json('POST', '/api/jobs', { kind: 'import-stop', size: 10 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('fileName');
    // A file that is not a workbook fails the job with a message; nothing is written.
    const before = (await db.query<{ n: number }>('select count(*)::int n from incidents')).rows[0]!.n;
    const failed = await upload(analyst, 'import-stop', 'not-a-workbook.xlsx', Buffer.from('this is not a spreadsheet'), 1024);
    expect(failed.state).toBe('failed');
    expect(failed.error).toBeTruthy();
    expect((await db.query<{ n: number }>('select count(*)::int n from incidents')).rows[0]!.n).toBe(before);
  });

  it('stores a signal file and links outages from the console', async () => {
    const job = await upload(analyst, 'import-signal', 'monash-irn-2019-11-11.csv', readFileSync(IRAN), 256 * 1024, { format: 'monash' });
    expect(job.error).toBeNull();
    expect(job.summary).toMatchObject({ format: 'monash' });
    expect(job.summary!.series as number).toBeGreaterThan(0);
    const link = await analyst.json<Job>('POST', '/api/jobs', { kind: 'outages-link', country: 'IR' });
    expect(link.status).toBe(201);
    const done = await finished(analyst, link.body.id);
    expect(done.error).toBeNull();
    expect(done.summary!.events as number).toBeGreaterThan(0);
    await jobsIdle(db);
  });

  it('lets only those who may import start jobs, and shows jobs only to their organisation', async () => {
    expect((await anon.json('GET', '/api/jobs')).status).toBe(401);
    expect((await viewer.json('POST', '/api/jobs', { kind: 'outages-link' })).status).toBe(403);
    expect((await viewer.json('GET', '/api/jobs')).status).toBe(403);
  });
});
