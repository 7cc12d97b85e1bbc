/**
 * Live sources configured through the API and polled inside the server, against a loopback HTTP server that serves
 * the real Monash IP Observatory file of Iran, November 2019 (first the days before the shutdown of 16 November,
 * then the whole file), plus failing endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testBackends, TestClient } from '../platform/testing.js';
import type { App } from '../platform/http.js';
import { routeTestApp, signInTestUsers, testClients, TEST_PASSWORD, TEST_USERS } from '../platform/test-users.js';
import { createUser, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';
import { outagesRoutes } from './routes.js';
import { sourceRoutes } from './source-routes.js';
import { LIVE_QUEUES, liveSourcesFor, startLiveSources } from './live.js';
import { listSeries } from './store.js';
import { fetchSourceText } from './fetch.js';
import { JobQueue } from '../platform/jobs.js';
import { silentLogger } from '../platform/log.js';

const IRAN = join(__dirname, '..', '..', '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv');
const IRAN_LINES = readFileSync(IRAN, 'utf8').split('\n');
/** 16 Nov 2019 00:00 in the file's clock: the rows before it hold no shutdown. */
const CUTOFF = 1573862400;

function loopback() {
  let cutoff = CUTOFF;
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const path = req.url ?? '/';
    if (path.startsWith('/iran.csv')) {
      const body = IRAN_LINES.filter((l, i) => i === 0 || (l && Number(l.split(',')[5]) < cutoff)).join('\n');
      res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
    } else if (path.startsWith('/elsewhere')) {
      res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/iran.csv` }).end();
    } else if (path.startsWith('/same-host')) {
      res.writeHead(301, { location: '/iran.csv' }).end();
    } else if (path.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'text/csv' }).end('x'.repeat(5000));
    } else if (path.startsWith('/slow')) {
      setTimeout(() => res.writeHead(200).end('late'), 2000);
    } else if (path.startsWith('/not-signals')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello,world\n1,2\n');
    } else res.writeHead(404).end('no');
  });
  return { server, seen, setCutoff: (t: number) => (cutoff = t) };
}

const listen = (server: Server) => new Promise<string>((res) => server.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

describe('fetching a live source', () => {
  const lb = loopback();
  let base = '';
  beforeAll(async () => void (base = await listen(lb.server)));
  afterAll(() => {
    lb.server.closeAllConnections();
    lb.server.close();
  });

  it('follows a redirect on the same host only, caps the size and the time', async () => {
    const same = await fetchSourceText(`${base}/same-host`);
    expect(same.status).toBe(200);
    expect(same.text.startsWith('iso,id_1')).toBe(true);
    await expect(fetchSourceText(`${base}/elsewhere`)).rejects.toThrow(/redirected to another host \(localhost:\d+\); only 127\.0\.0\.1:\d+ is polled/);
    await expect(fetchSourceText(`${base}/big`, { maxBytes: 1000 })).rejects.toThrow(/larger than the limit of 1 KiB/);
    await expect(fetchSourceText(`${base}/slow`, { timeoutMs: 300 })).rejects.toThrow(/did not answer within 0 s|did not answer within 1 s/);
    await expect(fetchSourceText(`${base}/missing?x=1`)).rejects.toThrow(/^127\.0\.0\.1:\d+ answered HTTP 404/);
    await expect(fetchSourceText('ftp://127.0.0.1/x')).rejects.toThrow(/only http and https/);
  });
});

describe.each(testBackends())('live sources on %s', (backend) => {
  let db: Db;
  let app: App;
  const { analyst, viewer, anon } = testClients(() => app);
  const admin = new TestClient({ request: (p, i) => app.request(p, i) });
  const partner = new TestClient({ request: (p, i) => app.request(p, i) });
  const lb = loopback();
  let base = '';
  let iranId = '';

  beforeAll(async () => {
    db = await backend.open();
    app = routeTestApp(db, outagesRoutes(), sourceRoutes());
    await signInTestUsers(db, { analyst, viewer });
    await createUser(db, await systemActor(db), { email: 'partner@example.org', name: 'Pa', role: 'partner', password: TEST_PASSWORD });
    expect((await admin.login(TEST_USERS.admin, TEST_PASSWORD)).status).toBe(200);
    expect((await partner.login('partner@example.org', TEST_PASSWORD)).status).toBe(200);
    base = await listen(lb.server);
    lb.setCutoff(CUTOFF);
  });
  afterAll(async () => {
    lb.server.closeAllConnections();
    lb.server.close();
    await db?.close();
  });

  it('lets only analysts and admins read and write sources; secrets are for admins', async () => {
    const body = { name: 'x', url: `${base}/iran.csv`, format: 'monash', country: 'IR' };
    expect((await anon.json('GET', '/api/outages/sources')).status).toBe(401);
    for (const c of [viewer, partner]) {
      expect((await c.json('GET', '/api/outages/sources')).status).toBe(403);
      expect((await c.json('POST', '/api/outages/sources', body)).status).toBe(403);
    }
    const made = await analyst.json('POST', '/api/outages/sources', { ...body, name: 'perm-check' });
    expect(made.status).toBe(201);
    expect((await viewer.json('GET', `/api/outages/sources/${made.body.id}/polls`)).status).toBe(403);
    expect((await viewer.json('POST', `/api/outages/sources/${made.body.id}/poll`)).status).toBe(403);
    expect((await analyst.json('PUT', `/api/outages/sources/${made.body.id}/secrets`, { authorization: 'Bearer x' })).status).toBe(403);
    expect((await analyst.json('DELETE', `/api/outages/sources/${made.body.id}`)).status).toBe(204);
    expect((await analyst.json('GET', `/api/outages/sources/${made.body.id}`)).status).toBe(404);
  });

  it('refuses bad settings with the field and the reason', async () => {
    const bad = async (patch: Record<string, unknown>) => {
      const r = await analyst.json('POST', '/api/outages/sources', { name: 'bad', url: `${base}/iran.csv`, ...patch });
      expect(r.status).toBe(400);
      return JSON.stringify(r.body.error);
    };
    expect(await bad({ url: 'http://user:pw@127.0.0.1/iran.csv' })).toMatch(/url.*must not hold credentials.*Authorization header/);
    expect(await bad({ url: `${base}/iran.csv?api_key=abc` })).toMatch(/url.*credential in its query \(api_key=/);
    expect(await bad({ url: 'ftp://127.0.0.1/iran.csv' })).toMatch(/url.*http or https \(not ftp\)/);
    expect(await bad({ url: 'iran.csv' })).toMatch(/url.*full URL/);
    expect(await bad({ intervalMinutes: 2 })).toMatch(/intervalMinutes.*at least 5 minutes/);
    expect(await bad({ format: 'excel' })).toMatch(/format/);
    expect(await bad({ country: 'XX' })).toMatch(/country.*ISO 3166/);
    expect(await bad({ detector: { signals: { monash: { warning: 0.3, critical: 0.6 } } } })).toMatch(/detector.*critical/);
  });

  it('polls the real Iran file: history first, then the shutdown opens; series, events and the poll log are kept', async () => {
    const made = await analyst.json('POST', '/api/outages/sources', { name: 'Monash Iran', url: `${base}/iran.csv`, format: 'monash', country: 'IR', intervalMinutes: 30 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Monash Iran', enabled: true, intervalMinutes: 30, hasAuthorization: false, webhookHost: null, lastPoll: null });
    iranId = made.body.id;

    const p1 = await analyst.json('POST', `/api/outages/sources/${iranId}/poll`);
    expect(p1.status).toBe(200);
    // 73 counties, hourly, 11–15 Nov (the file's local days) = 5 days; the shutdown of 16 Nov is not yet served
    expect(p1.body).toMatchObject({ ok: true, trigger: 'manual', httpStatus: 200, error: null });
    const national = async () => ((await analyst.json('GET', '/api/outages/events?country=IR&scope=country')).body.items as { source: string; start: string }[]).find((e) => e.source === 'watch:Monash Iran');
    expect(await national()).toBeUndefined();
    expect(p1.body.pointsFetched).toBeGreaterThan(73 * 5 * 24 * 0.9);
    expect(p1.body.newPoints).toBe(p1.body.pointsFetched);
    expect(p1.body.bytes).toBeGreaterThan(100_000);

    lb.setCutoff(Infinity);
    const p2 = await analyst.json('POST', `/api/outages/sources/${iranId}/poll`);
    expect(p2.body.ok).toBe(true);
    expect(p2.body.pointsFetched).toBeGreaterThan(p1.body.pointsFetched);
    expect(p2.body.newPoints).toBe(p2.body.pointsFetched - p1.body.pointsFetched);
    expect(p2.body.opened).toBeGreaterThan(0);

    const series = await listSeries(db, { country: 'IR' });
    expect(series.length).toBeGreaterThanOrEqual(70);
    const ir = await national();
    expect(ir).toBeDefined();
    expect(ir!.start >= '2019-11-16T00:00:00Z' && ir!.start < '2019-11-17T00:00:00Z').toBe(true);

    const polls = await analyst.json('GET', `/api/outages/sources/${iranId}/polls`);
    expect(polls.body.items.map((p: { id: number }) => p.id)).toEqual([p2.body.id, p1.body.id]);
    const list = await analyst.json('GET', '/api/outages/sources');
    expect(list.body.items.find((s: { id: string }) => s.id === iranId).lastPoll).toMatchObject({ id: p2.body.id, ok: true, opened: p2.body.opened });

    // a third poll of the same file brings nothing new and opens nothing again
    const p3 = await analyst.json('POST', `/api/outages/sources/${iranId}/poll`);
    expect(p3.body.error).toBeNull();
    expect(p3.body).toMatchObject({ ok: true, newPoints: 0, opened: 0 });
  }, 60_000);

  it('records a clear error for a failing source', async () => {
    const cases: [string, RegExp][] = [
      ['/gone.csv', /answered HTTP 404/],
      ['/elsewhere', /redirected to another host \(localhost/],
      ['/not-signals', /holds no signal series|no series|column/i],
    ];
    for (const [path, msg] of cases) {
      const made = await analyst.json('POST', '/api/outages/sources', { name: `failing ${cases.findIndex((c) => c[0] === path)}`, url: `${base}${path}`, format: path === '/not-signals' ? 'csv' : 'monash' });
      expect(made.status).toBe(201);
      const p = await analyst.json('POST', `/api/outages/sources/${made.body.id}/poll`);
      expect(p.body.ok).toBe(false);
      expect(p.body.error).toMatch(msg);
      expect(p.body.error).not.toContain(path.slice(1)); // the host, never the path
      const again = await analyst.json('GET', `/api/outages/sources/${made.body.id}`);
      expect(again.body.lastPoll).toMatchObject({ ok: false, error: p.body.error });
      await analyst.json('DELETE', `/api/outages/sources/${made.body.id}`);
    }
  });

  it('schedules enabled sources by interval; a paused one is not polled; changes take effect at once', async () => {
    const live = liveSourcesFor(db);
    const made = await analyst.json('POST', '/api/outages/sources', { name: 'Scheduled', url: `${base}/iran.csv`, format: 'monash', country: 'IR', intervalMinutes: 10 });
    const id = made.body.id;
    const t0 = new Date(Date.now() + 60_000);
    // the other sources were created earlier and are due too: pause them all but this one
    for (const s of (await analyst.json('GET', '/api/outages/sources')).body.items as { id: string }[]) {
      if (s.id !== id) expect((await analyst.json('PATCH', `/api/outages/sources/${s.id}`, { enabled: false })).body.enabled).toBe(false);
    }
    expect(await live.tick(t0)).toEqual([id]);
    expect((await analyst.json('GET', `/api/outages/sources/${id}/polls`)).body.items).toHaveLength(1);
    expect(await live.tick(new Date(t0.getTime() + 5 * 60_000))).toEqual([]); // not yet: 10 minutes
    expect(await live.tick(new Date(t0.getTime() + 11 * 60_000))).toEqual([id]);

    const paused = await analyst.json('PATCH', `/api/outages/sources/${id}`, { enabled: false });
    expect(paused.body.enabled).toBe(false);
    expect(await live.tick(new Date(t0.getTime() + 60 * 60_000))).toEqual([]);
    expect(await live.poll(id, 'schedule')).toBeNull(); // a scheduled job that was already queued does nothing
    expect((await analyst.json('GET', `/api/outages/sources/${id}/polls`)).body.items).toHaveLength(2);

    const resumed = await analyst.json('PATCH', `/api/outages/sources/${id}`, { enabled: true, intervalMinutes: 5 });
    expect(resumed.body).toMatchObject({ enabled: true, intervalMinutes: 5 });
    expect(await live.tick(new Date(Date.now() + 1000))).toEqual([id]); // resumed sources are due at once
    expect((await analyst.json('GET', `/api/outages/sources/${id}/polls`)).body.items).toHaveLength(3);

    const audit = (await db.query<{ action: string }>("select action from audit_log where entity_type = 'outage_source' and entity_id = $1 order by id", [id])).rows.map((r) => r.action);
    expect(audit).toEqual(['outages.source.create', 'outages.source.pause', 'outages.source.resume']);
    await analyst.json('PATCH', `/api/outages/sources/${id}`, { enabled: false });
  }, 60_000);

  it('lets an admin set an Authorization header that is sent, never shown, never audited', async () => {
    const secret = 'Bearer s3cret-token-do-not-show';
    const r = await admin.json('PUT', `/api/outages/sources/${iranId}/secrets`, { authorization: secret, webhook: `${base}/hook/abc-secret-path` });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ hasAuthorization: true, webhookHost: base.slice('http://'.length) });
    lb.seen.length = 0;
    const p = await analyst.json('POST', `/api/outages/sources/${iranId}/poll`);
    expect(p.body.ok).toBe(true);
    expect(lb.seen.some((h) => h.authorization === secret)).toBe(true);
    const everything = JSON.stringify([(await analyst.json('GET', '/api/outages/sources')).body, (await admin.json('GET', `/api/outages/sources/${iranId}`)).body]);
    expect(everything).not.toContain('s3cret');
    expect(everything).not.toContain('abc-secret-path');
    const auditRows = JSON.stringify((await db.query("select before, after from audit_log where entity_type = 'outage_source'")).rows);
    expect(auditRows).toContain('"authorization": "set"'.replace(' ', ''));
    expect(auditRows).not.toContain('s3cret');
    expect(auditRows).not.toContain('abc-secret-path');
    const cleared = await admin.json('PUT', `/api/outages/sources/${iranId}/secrets`, { authorization: null, webhook: null });
    expect(cleared.body).toMatchObject({ hasAuthorization: false, webhookHost: null });
  }, 30_000);

  it.runIf(backend.name === 'pglite')('runs the tick and the polls on the platform job queue', async () => {
    const queue = new JobQueue(db, silentLogger);
    await queue.start();
    try {
      await startLiveSources(queue, db, silentLogger);
      const made = await analyst.json('POST', '/api/outages/sources', { name: 'Queued', url: `${base}/iran.csv`, format: 'monash', country: 'IR' });
      await queue.send(LIVE_QUEUES.tick, {});
      let polls: unknown[] = [];
      for (let i = 0; i < 100 && !polls.length; i++) {
        await new Promise((res) => setTimeout(res, 200));
        polls = (await analyst.json('GET', `/api/outages/sources/${made.body.id}/polls`)).body.items;
      }
      expect(polls).toHaveLength(1);
      expect(polls[0]).toMatchObject({ ok: true, trigger: 'schedule' });
    } finally {
      await queue.stop();
    }
  }, 60_000);
});
