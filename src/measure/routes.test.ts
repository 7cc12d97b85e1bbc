import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../platform/testing.js';
import type { App } from '../platform/http.js';
import { routeTestApp, signInTestUsers, testClients } from '../platform/test-users.js';
import type { Db } from '../platform/db.js';
import { measureRoutes } from './routes.js';
import { parseScenario } from './lab/scenario.js';
import { runLab } from './lab/run.js';

let jsonl = '';
beforeAll(async () => {
  const r = await runLab(
    parseScenario(['name: routes', 'sites:', '  - { name: open, expect: ok }', '  - { name: court, censor: { http: "blockpage:id-trustpositif" }, expect: http-blockpage }', '  - { name: gone, origin: { down: refuse }, expect: down }'].join('\n')),
  );
  jsonl = r.measurements.map((m) => JSON.stringify({ ...m, probe_cc: 'TR', probe_asn: 'AS9121' })).join('\n');
}, 60_000);

describe.each(testBackends())('measure routes on %s', (backend) => {
  let db: Db;
  let app: App;
  const { analyst, viewer, anon } = testClients(() => app);

  beforeAll(async () => {
    db = await backend.open();
    app = routeTestApp(db, measureRoutes());
    await signInTestUsers(db, { analyst, viewer });
  });
  afterAll(async () => db?.close());

  it('imports JSONL (analysts only) and lists, shows and aggregates measurements', async () => {
    expect((await anon.json('GET', '/api/measure/measurements')).status).toBe(401);
    expect((await viewer.json('POST', '/api/measure/import', { jsonl })).status).toBe(403);
    const imp = await analyst.json('POST', '/api/measure/import', { jsonl, source: 'lab' });
    expect(imp.status).toBe(200);
    expect(imp.body).toMatchObject({ lines: 3, imported: 3 });
    const list = await viewer.json('GET', '/api/measure/measurements?country=tr');
    expect(list.body.total).toBe(3);
    const court = list.body.items.find((m: { domain: string }) => m.domain === 'court.lab.test');
    // ooni.id_6 is scoped to Indonesia (only likely from Turkey); the unscoped ISP fingerprint confirms
    expect(court).toMatchObject({ verdict: 'http-blockpage', fingerprint: 'cp.c_isp_id_govt_trustpositive_1' });
    const one = await viewer.json('GET', `/api/measure/measurements/${court.id}`);
    expect(one.body.measurement.test_keys.blocking).toBe('http-diff');
    const raw = await viewer.call('GET', `/api/measure/measurements/${court.id}/raw`);
    const bytes = Buffer.from(await raw.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(raw.headers.get('x-content-sha256'));
    expect(raw.headers.get('x-content-sha256')).toBe(court.sha256);
    expect(jsonl.split('\n')).toContain(bytes.toString('utf8'));
    expect((await viewer.json('GET', '/api/measure/measurements/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const agg = await viewer.json('GET', '/api/measure/aggregate?by=country,asn');
    expect(agg.body.items[0]).toMatchObject({ country: 'TR', asn: 9121, measurements: 3, anomalies: 1, confirmed: 1, down: 1, ok: 1 });
    const chart = await viewer.json('GET', '/api/measure/blocked-domains?country=TR');
    expect(chart.body.items[0].blockedDomains).toBe(1);
    const bad = await viewer.json('GET', '/api/measure/aggregate?by=planet');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/by/);
    expect((await viewer.json('GET', '/api/measure/measurements?country=Turkey')).status).toBe(400);
  });

  it('declares who may call every route (x-stackwatch-access)', () => {
    const doc = measureRoutes().getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'measure', version: '1' } });
    const ops = Object.values(doc.paths ?? {}).flatMap((p) => Object.values(p as Record<string, Record<string, unknown>>));
    expect(ops.length).toBeGreaterThanOrEqual(7);
    for (const op of ops) expect(['public', 'admin', 'incidents:read', 'incidents:write', 'measure:write']).toContain(op['x-stackwatch-access']);
  });

  it('opens a website-blocking incident from the confirmed block', async () => {
    expect((await viewer.json('POST', '/api/measure/open-incidents', { country: 'TR' })).status).toBe(403);
    const r = await analyst.json('POST', '/api/measure/open-incidents', { country: 'TR' });
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([expect.objectContaining({ domain: 'court.lab.test', created: true, measurements: 1 })]);
    const gone = (await analyst.json('GET', '/api/measure/measurements?verdict=down')).body.items[0];
    const att = await analyst.json('POST', `/api/measure/incidents/${r.body.items[0].incidentId}/evidence`, { measurementIds: [gone.id] });
    expect(att.body).toEqual({ attached: 1, already: 0, missing: [] });
  });
});
