import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testBackends } from '../platform/testing.js';
import type { App } from '../platform/http.js';
import { routeTestApp, signInTestUsers, testClients } from '../platform/test-users.js';
import { createIncident } from '../incidents/service.js';
import type { Db } from '../platform/db.js';
import { outagesRoutes } from './routes.js';
import { parseMonash } from './signals/monash.js';
import { importSeries } from './store.js';
import { detect } from './detect/index.js';
import { linkEvents, saveEvents } from './link.js';

const IRAN = join(__dirname, '..', '..', '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv');

describe.each(testBackends())('outages routes on %s', (backend) => {
  let db: Db;
  let app: App;
  const { analyst, viewer, anon } = testClients(() => app);
  let nationalId = '';

  beforeAll(async () => {
    db = await backend.open();
    app = routeTestApp(db, outagesRoutes());
    const sys = await signInTestUsers(db, { analyst, viewer });
    const series = parseMonash(readFileSync(IRAN, 'utf8'));
    await importSeries(db, series, { fileName: 'iran.csv', sha256: 'x', format: 'monash' });
    await createIncident(db, sys, { type: 'shutdown.full', title: 'Iran shutdown (STOP)', country: 'IR', startAt: '2019-11-16', endAt: '2019-11-23', tlp: 'TLP:CLEAR', status: 'verified', origin: 'stop', originKey: 'stop-ir' });
    const d = detect(series, undefined, { trace: true });
    const saved = await saveEvents(db, d.events, { source: 'test', perSeries: d.perSeries });
    await linkEvents(db, saved.map((s) => s.event));
    nationalId = saved.find((s) => s.event.scope === 'country')!.event.id;
  });
  afterAll(async () => db?.close());

  it('lists recent events and shows one with its evidence', async () => {
    expect((await anon.json('GET', '/api/outages/events')).status).toBe(401);
    const list = await viewer.json('GET', '/api/outages/events?country=IR&limit=5');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.body.items[0].start >= list.body.items[list.body.items.length - 1].start).toBe(true);
    const one = await viewer.json('GET', `/api/outages/events/${nationalId}`);
    expect(one.body).toMatchObject({ entity: 'IR', scope: 'country', start: '2019-11-16T14:30:00Z' });
    expect(one.body.evidence.svg).toMatch(/^<svg/);
    const national = await viewer.json('GET', '/api/outages/events?country=IR&scope=country');
    expect(national.body.items.map((e: { id: string }) => e.id)).toEqual([nationalId]);
    const regional = await viewer.json('GET', '/api/outages/events?country=IR&scope=region');
    expect(regional.body.items.every((e: { scope: string }) => e.scope === 'region')).toBe(true);
    expect((await viewer.json('GET', '/api/outages/events/nope')).status).toBe(404);
    expect((await viewer.json('GET', '/api/outages/events?country=XX')).status).toBe(400);
  });

  it('lets analysts (not viewers) confirm or reject', async () => {
    expect((await viewer.json('POST', `/api/outages/events/${nationalId}/decision`, { decision: 'confirmed' })).status).toBe(403);
    const bad = await analyst.json('POST', `/api/outages/events/${nationalId}/decision`, { decision: 'maybe' });
    expect(bad.status).toBe(400);
    const ok = await analyst.json('POST', `/api/outages/events/${nationalId}/decision`, { decision: 'confirmed', note: 'matches STOP' });
    expect(ok.body).toMatchObject({ decision: 'confirmed', decidedBy: 'analyst@example.org' });
    const pending = await viewer.json('GET', '/api/outages/events?decision=confirmed');
    expect(pending.body.items.map((e: { id: string }) => e.id)).toEqual([nationalId]);
  });

  it('serves the country page: series, baseline, alert levels, events', async () => {
    const r = await viewer.json('GET', '/api/outages/countries/IR/signals?from=2019-11-14&to=2019-11-20');
    expect(r.status).toBe(200);
    expect(r.body.series).toHaveLength(73);
    const s = r.body.series[0];
    expect(s.levels).toEqual({ warning: 0.8, critical: 0.5 });
    expect(s.t.length).toBe(s.value.length);
    expect(s.baseline.filter((b: number | null) => b !== null).length).toBeGreaterThan(100);
    expect(r.body.events.some((e: { scope: string }) => e.scope === 'country')).toBe(true);
    expect((await viewer.json('GET', '/api/outages/countries/IR/signals?from=2019-11-20&to=2019-11-14')).status).toBe(400);
  });

  it('puts detected events beside registry incidents on one timeline', async () => {
    const r = await viewer.json('GET', '/api/outages/timeline?country=IR&from=2019-11-01&to=2019-12-01');
    expect(r.status).toBe(200);
    const lanes = new Set(r.body.items.map((i: { lane: string }) => i.lane));
    expect(lanes.has('detected')).toBe(true);
    expect(lanes.has('stop')).toBe(true);
    expect(lanes.has('draft')).toBe(true);
  });
});
