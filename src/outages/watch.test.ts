import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testBackends } from '../platform/testing.js';
import type { Db } from '../platform/db.js';
import { parseWatchConfig, pollThroughQueue, Watcher, type PollResult, type WebhookCall } from './watch.js';
import { JobQueue } from '../platform/jobs.js';
import { silentLogger } from '../platform/log.js';
import { listEvents } from './link.js';
import { listSeries } from './store.js';

const STEP = 300;
const DAY = 288;
const START = Date.UTC(2024, 2, 1) / 1000;
const OUT_FROM = 20 * DAY + 100;
const OUT_TO = OUT_FROM + 60;

/** A fake IODA endpoint on loopback: the series grows as `visible` is raised; an outage sits at OUT_FROM..OUT_TO. */
function fakeIoda() {
  let visible = 0;
  const values: number[] = [];
  let s = 42;
  for (let i = 0; i < 25 * DAY; i++) {
    s = (s * 16807) % 2147483647;
    const v = 1000 * (1 + 0.3 * Math.sin((2 * Math.PI * i) / DAY)) * (0.97 + 0.06 * (s / 2147483647));
    values.push(i >= OUT_FROM && i < OUT_TO ? v * 0.03 : Math.round(v));
  }
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/broken')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [[{"entityType": "country"}]]}');
      return;
    }
    const vals = values.slice(0, visible).map((v, i) => (i === 5 ? null : v));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'signals', error: null, data: [[{ entityType: 'country', entityCode: 'IR', entityName: 'Iran', datasource: 'ping-slash24', subtype: null, from: START, until: START + vals.length * STEP, step: STEP, nativeStep: STEP, values: vals }]] }));
  });
  return { server, setVisible: (n: number) => (visible = n) };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

describe.each(testBackends())('outages watch against a loopback source on %s', (backend) => {
  let db: Db;
  const src = fakeIoda();
  const calls: WebhookCall[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push(JSON.parse(body) as WebhookCall);
      res.writeHead(204).end();
    });
  });
  let srcUrl = '';
  let hookUrl = '';
  beforeAll(async () => {
    db = await backend.open();
    srcUrl = await listen(src.server);
    hookUrl = await listen(hook);
  });
  afterAll(async () => {
    src.server.closeAllConnections();
    hook.closeAllConnections();
    src.server.close();
    hook.close();
    await db.close();
  });

  it('announces an event once when it opens and once when it closes, and stores it once', async () => {
    const { watch, detector } = parseWatchConfig({ interval: 1, webhook: `${hookUrl}/hook`, sources: [{ name: 'ioda-ir', url: `${srcUrl}/signals`, format: 'ioda' }] });
    const w = new Watcher(watch, detector, { db });
    src.setVisible(20 * DAY);
    const p1 = await w.pollOnce();
    expect(p1.newPoints).toBe(20 * DAY);
    expect(p1.opened).toHaveLength(0);
    expect(calls).toHaveLength(0);
    // the outage starts; after 30 minutes the detector confirms it
    src.setVisible(OUT_FROM + 8);
    const p2 = await w.pollOnce();
    expect(p2.newPoints).toBe(108);
    expect(p2.opened).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'event.opened', source: 'stackwatch.outages', event: { entity: 'IR', scope: 'country', kind: 'outage', start: new Date((START + OUT_FROM * STEP) * 1000).toISOString().replace('.000Z', 'Z'), end: null } });
    // a restarted watcher (same database) re-warms from the history and does not announce the event again
    const restarted = new Watcher(watch, detector, { db });
    expect((await restarted.pollOnce()).opened).toHaveLength(0);
    expect(calls).toHaveLength(1);
    // still out: no new call
    src.setVisible(OUT_FROM + 30);
    expect((await w.pollOnce()).opened).toHaveLength(0);
    expect(calls).toHaveLength(1);
    // back: closed once
    src.setVisible(OUT_TO + 20);
    const p4 = await w.pollOnce();
    expect(p4.closed).toHaveLength(1);
    expect(calls.map((c) => c.type)).toEqual(['event.opened', 'event.closed']);
    expect(calls[1]!.event.end).toBe(new Date((START + OUT_TO * STEP) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(calls[1]!.event.depth).toBeGreaterThan(0.9);
    // nothing new
    const p5 = await w.pollOnce();
    expect(p5.newPoints).toBe(0);
    expect(calls).toHaveLength(2);
    // stored once, with its points
    const events = await listEvents(db, { entity: 'IR' });
    expect(events).toHaveLength(1);
    expect(events[0]!.end).toBe(START + OUT_TO * STEP);
    const series = await listSeries(db, { entity: 'IR' });
    expect(series[0]!.days).toBe(21);
  });

  it('runs its polls through the job queue', async () => {
    const { watch, detector } = parseWatchConfig({ interval: 1, sources: [{ name: 'ioda-ir', url: `${srcUrl}/signals`, format: 'ioda' }] });
    const queue = new JobQueue(db, silentLogger);
    await queue.start();
    try {
      src.setVisible(2 * DAY);
      const results: PollResult[] = [];
      await pollThroughQueue(queue, new Watcher(watch, detector), { polls: 2, intervalMs: 10, queueName: 'outages.watch.test', onResult: (_n, r) => results.push(r) });
      expect(results.map((r) => r.newPoints)).toEqual([2 * DAY, 0]);
      const jobs = await db.query<{ n: number }>("select count(*)::int n from pgboss.job where name = 'outages.watch.test'");
      expect(jobs.rows[0]!.n).toBe(2);
    } finally {
      await queue.stop();
    }
  });

  it('reports a broken source without stopping', async () => {
    const { watch, detector } = parseWatchConfig({ interval: 1, sources: [{ name: 'bad', url: `${srcUrl}/broken`, format: 'ioda' }] });
    const r = await new Watcher(watch, detector).pollOnce();
    expect(r.errors[0]).toMatch(/^bad: not valid IODA raw-signal JSON/);
    expect(() => parseWatchConfig({ sources: [] })).toThrow(/sources/);
    expect(() => parseWatchConfig({ sources: [{ name: 'x', url: 'not a url' }] })).toThrow(/sources\.0\.url/);
  });
});
