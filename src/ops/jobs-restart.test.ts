/**
 * Console job history survives a restart of the server on the same (embedded) data directory: finished jobs keep
 * their record; jobs that were uploading or running when the server stopped read as "interrupted".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../server.js';
import { TestClient } from '../platform/testing.js';
import { iodaSlice } from '../../test/ops-data.js';
import { randomUUID } from 'node:crypto';
import { flushJobs, listJobs, STALE_AFTER_MS, type Job } from './jobs.js';
import { testBackends } from '../platform/testing.js';
import type { Actor } from '../platform/audit.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-jobs-'));
const dataDir = join(dir, 'data');
const opts = { quiet: true, dataDir, port: 0, loadHistory: false, jobs: false, cliSocket: false, adminEmail: 'admin@example.org', adminPassword: 'a long admin password 1' };
let srv: RunningServer | null = null;
const client = new TestClient({ request: (p, i) => fetch(p.replace('http://localhost', srv!.url), i) });


async function until(id: string, done: (j: Job) => boolean): Promise<Job> {
  for (let i = 0; i < 600; i++) {
    const j = (await client.json<Job>('GET', `/api/jobs/${id}`)).body;
    if (done(j)) return j;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} never reached the state`);
}

const upload = (id: string, offset: number, bytes: Uint8Array) =>
  fetch(`${srv!.url}/api/jobs/${id}/data?offset=${offset}`, { method: 'PUT', headers: { cookie: client.cookie, 'x-csrf-token': client.csrf, 'content-type': 'application/octet-stream' }, body: bytes as unknown as BodyInit });

describe('console jobs across a restart', () => {
  beforeAll(async () => {
    srv = await startServer(opts);
    expect((await client.login(opts.adminEmail, opts.adminPassword)).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists past jobs after a restart and marks the ones cut off as interrupted', async () => {
    // 1. a finished job (linking with no stored series fails with a clear error)
    const link = (await client.json<Job>('POST', '/api/jobs', { kind: 'outages-link', country: 'IR' })).body;
    const failed = await until(link.id, (j) => j.state === 'failed');
    expect(failed.error).toMatch(/No stored signal series/);

    // 2. a finished import with its summary and the file's SHA-256
    const small = new TextEncoder().encode(iodaSlice(30));
    const imp = (await client.json<Job>('POST', '/api/jobs', { kind: 'import-ioda', fileName: 'ioda-30.csv', size: small.byteLength })).body;
    expect((await upload(imp.id, 0, small)).status).toBe(200);
    expect((await client.json('POST', `/api/jobs/${imp.id}/start`)).status).toBe(200);
    const done = await until(imp.id, (j) => j.state === 'done');
    expect(done.summary).toMatchObject({ rowsRead: 30 });
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);

    // 3. an upload cut off half way
    const half = (await client.json<Job>('POST', '/api/jobs', { kind: 'import-ioda', fileName: 'half.csv', size: small.byteLength })).body;
    expect((await upload(half.id, 0, small.subarray(0, 1000))).status).toBe(200);

    // 4. an import that was running when the server died: a graceful close lets a running import finish (and on a quiet
    // machine it does), so the job row is left as a killed server leaves it — state running, phase importing, its
    // heartbeat fresh — written through the server's own database handle.
    const run = (await client.json<Job>('POST', '/api/jobs', { kind: 'import-ioda', fileName: 'ioda-all.csv', size: small.byteLength })).body;
    expect((await upload(run.id, 0, small)).status).toBe(200);
    await flushJobs(srv!.db);
    await srv!.db.query("update ops_jobs set state = 'running', phase = 'importing', heartbeat_at = now() where id = $1", [run.id]);

    await srv!.close();
    srv = await startServer(opts);
    const list = (await client.json<{ items: Job[] }>('GET', '/api/jobs')).body.items;
    const by = new Map(list.map((j) => [j.id, j]));
    expect(list.map((j) => j.id)).toEqual([run.id, half.id, imp.id, link.id]);
    expect(by.get(link.id)).toMatchObject({ state: 'failed', kind: 'outages-link', createdBy: 'admin@example.org', error: failed.error });
    expect(by.get(imp.id)).toMatchObject({ state: 'done', fileName: 'ioda-30.csv', size: small.byteLength, sha256: done.sha256, summary: done.summary });
    expect(by.get(imp.id)!.finishedAt).not.toBeNull();
    expect(by.get(half.id)).toMatchObject({ state: 'interrupted', received: 1000, error: expect.stringMatching(/stopped while this job was uploading/) });
    const cut = by.get(run.id)!;
    expect(cut.state).toBe('interrupted');
    expect(cut.error).toMatch(/stopped while this job was running/);
    expect((await client.json<Job>('GET', `/api/jobs/${run.id}`)).body.state).toBe('interrupted');
    // an interrupted upload takes no more data
    expect((await upload(half.id, 1000, small.subarray(1000))).status).toBe(404);
  }, 240_000);
});

describe.each(testBackends())('unfinished jobs of another server on %s', (backend) => {
  it('reads as interrupted when no live server holds them (PostgreSQL: not touched for two minutes)', async () => {
    const db = await backend.open();
    try {
      const orgId = randomUUID();
      const actor: Actor = { userId: null, label: 'op', orgId, role: 'admin' };
      const add = (id: string, state: string, ageMs: number) =>
        db.query(`insert into ops_jobs (id, org_id, kind, state, phase, created_by, created_at, heartbeat_at) values ($1, $2, 'import-stop', $3, 'importing', 'ana', now(), $4)`, [id, orgId, state, new Date(Date.now() - ageMs).toISOString()]);
      const fresh = randomUUID();
      const stale = randomUUID();
      const old = randomUUID();
      await add(fresh, 'running', 10_000);
      await add(stale, 'running', STALE_AFTER_MS + 60_000);
      await add(old, 'done', STALE_AFTER_MS + 60_000);
      const states = Object.fromEntries((await listJobs(db, actor)).map((j) => [j.id, j.state]));
      // on the embedded database one server holds the data directory: whatever it does not run was interrupted
      expect(states).toEqual({ [fresh]: backend.name === 'postgres' ? 'running' : 'interrupted', [stale]: 'interrupted', [old]: 'done' });
    } finally {
      await db.close();
    }
  });
});
