import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, TestClient } from '../platform/testing.js';
import { buildApp } from '../app.js';
import { silentLogger } from '../platform/log.js';
import { bootstrapAdmin, createUser, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';

/** The registry's rules through the API, on a small registry: end states, periods, sorting, duplicates, merge, exports. */
const PW = 'correct horse battery staple';

describe.each(testBackends())('registry rules through the API on %s', (backend) => {
  let db: Db;
  let app: ReturnType<typeof buildApp>;
  const analyst = new TestClient({ request: (p, i) => app.request(p, i) });
  const viewer = new TestClient({ request: (p, i) => app.request(p, i) });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await backend.open();
    app = buildApp({ db, log: silentLogger });
    await bootstrapAdmin(db, { email: 'admin@example.org', password: PW, orgName: 'Rights Lab' });
    const sys = await systemActor(db);
    await createUser(db, sys, { email: 'analyst@example.org', name: 'Ana', role: 'analyst', password: PW });
    await createUser(db, sys, { email: 'viewer@example.org', name: 'Vi', role: 'viewer', password: PW });
    expect((await analyst.login('analyst@example.org', PW)).status).toBe(200);
    expect((await viewer.login('viewer@example.org', PW)).status).toBe(200);
  });
  afterAll(async () => db?.close());

  const base = { type: 'shutdown.full', country: 'SD', tlp: 'TLP:CLEAR', status: 'under_review' };

  it('records ended, ongoing and end unknown, and refuses contradictions naming the field', async () => {
    const ended = await analyst.json('POST', '/api/incidents', { ...base, title: 'Sudan exam shutdown', startAt: '2021-06-12', endAt: '2021-06-14', tags: ['exams'] });
    expect(ended.status).toBe(201);
    expect(ended.body).toMatchObject({ endState: 'ended', durationDays: 3, durationIsMinimum: false });
    ids.ended = ended.body.id;
    const live = await analyst.json('POST', '/api/incidents', { ...base, country: 'MM', title: 'Myanmar township shutdown', area: 'Hpakant', type: 'shutdown.regional', startAt: '2021-08-20', endState: 'ongoing' });
    expect(live.body).toMatchObject({ endState: 'ongoing', ongoingAsOf: null, activeUntil: null, durationIsMinimum: true });
    ids.live = live.body.id;
    const asOf = await analyst.json('POST', '/api/incidents', { ...base, country: 'ET', title: 'Tigray regional shutdown', area: 'Tigray', type: 'shutdown.regional', startAt: '2020-11-04', endState: 'ongoing', ongoingAsOf: '2022-12-31' });
    expect(asOf.body).toMatchObject({ endState: 'ongoing', ongoingAsOf: '2022-12-31T00:00:00.000Z', activeUntil: '2022-12-31T00:00:00.000Z', durationDays: 788 });
    ids.asOf = asOf.body.id;
    const unknown = await analyst.json('POST', '/api/incidents', { ...base, country: 'ET', title: 'Oromia shutdown, end not recorded', area: 'Western Oromia', type: 'shutdown.regional', startAt: '2020-01-03' });
    expect(unknown.body).toMatchObject({ endState: 'unknown', durationDays: null, activeUntil: '2020-01-03T00:00:00.000Z' });
    ids.unknown = unknown.body.id;

    const bad1 = await analyst.json('POST', '/api/incidents', { ...base, title: 'Contradiction', startAt: '2021-01-01', endAt: '2021-01-02', endState: 'ongoing' });
    expect(bad1.status).toBe(400);
    expect(bad1.body.error.field).toBe('endState');
    const bad2 = await analyst.json('POST', '/api/incidents', { ...base, title: 'Contradiction', startAt: '2021-01-01', endState: 'ended' });
    expect(bad2.status).toBe(400);
    expect(bad2.body.error.field).toBe('endAt');
    // Clearing an end without a word makes it unknown; "ongoing" clears the date.
    const cur = (await analyst.json('GET', `/api/incidents/${ids.ended}`)).body;
    const cleared = await analyst.json('PATCH', `/api/incidents/${ids.ended}`, { endAt: null, version: cur.version });
    expect(cleared.body).toMatchObject({ endState: 'unknown', endAt: null });
    const back = await analyst.json('PATCH', `/api/incidents/${ids.ended}`, { endAt: '2021-06-14', version: cleared.body.version });
    expect(back.body.endState).toBe('ended');
  });

  it('selects by "active during", sorts by end and duration with unknown last', async () => {
    const p2022 = await analyst.json('GET', '/api/incidents?from=2022-03-01&to=2022-03-31');
    const in2022 = p2022.body.items.map((i: { id: string }) => i.id);
    expect(in2022).toEqual(expect.arrayContaining([ids.live, ids.asOf])); // live: without bound; as-of: to 2022-12-31
    expect(in2022).not.toContain(ids.unknown); // counted on its first day only
    const p2023 = await analyst.json('GET', '/api/incidents?from=2023-03-01&to=2023-03-31');
    expect(p2023.body.items.map((i: { id: string }) => i.id)).toEqual([ids.live]);
    const day = await analyst.json('GET', '/api/incidents?from=2020-01-03&to=2020-01-03');
    expect(day.body.items.map((i: { id: string }) => i.id)).toEqual([ids.unknown]);

    const byDuration = await analyst.json('GET', '/api/incidents?sort=duration&order=desc');
    const order = byDuration.body.items.map((i: { id: string }) => i.id);
    expect(order.at(-1)).toBe(ids.unknown);
    expect(order.indexOf(ids.live)).toBeLessThan(order.indexOf(ids.ended));
    const byEnd = await analyst.json('GET', '/api/incidents?sort=end&order=asc');
    expect(byEnd.body.items.map((i: { id: string }) => i.id)).toEqual([ids.ended, ids.asOf, ids.live, ids.unknown]);
    expect((await analyst.json('GET', '/api/incidents?sort=colour')).status).toBe(400);
  });

  it('counts what it says it counts', async () => {
    const def = await viewer.json('GET', '/api/stats/countries');
    expect(def.body.items).toEqual([]); // nothing verified yet
    expect(def.body.filter).toMatchObject({ status: 'verified', family: 'rights' });
    const all = await viewer.json('GET', '/api/stats/countries?status=reviewed&from=2021-01-01&to=2021-12-31');
    const et = all.body.items.find((s: { country: string }) => s.country === 'ET');
    expect(et).toMatchObject({ count: 1, shutdownDays: 365, ongoing: 1 });
    expect(all.body.filter.description).toMatch(/^Verified or under-review incidents of rights-relevant types.*active during 2021-01-01/);
    expect((await viewer.json('GET', '/api/stats/countries?family=aliens')).body.error.field).toBe('family');
  });

  it('flags a likely duplicate on create, and merges it keeping sources, evidence and history (audited); viewers cannot', async () => {
    await analyst.json('POST', `/api/incidents/${ids.ended}/sources`, { url: 'https://example.org/sudan-exams', title: 'Report' });
    const dup = await analyst.json('POST', '/api/incidents', { ...base, title: 'Sudan exams: internet cut', startAt: '2021-06-13', endAt: '2021-06-14' });
    expect(dup.status).toBe(201);
    expect(dup.body.likelyDuplicates.map((d: { id: string }) => d.id)).toEqual([ids.ended]);
    expect(dup.body.likelyDuplicates[0].reasons).toEqual(expect.arrayContaining(['same country', 'both nationwide', 'same type (shutdown.full)']));
    await analyst.json('POST', `/api/incidents/${dup.body.id}/sources`, { url: 'https://example.org/other-report', title: 'Other report' });
    await analyst.json('POST', `/api/incidents/${dup.body.id}/evidence`, { kind: 'outage_event', ref: 'ioda:TEST1', summary: 'IODA outage' });
    // A regional incident elsewhere in the country is not a duplicate.
    const regional = await analyst.json('POST', '/api/incidents', { ...base, type: 'shutdown.regional', area: 'Darfur', title: 'Darfur cut', startAt: '2021-06-13', endAt: '2021-06-13' });
    expect(regional.body.likelyDuplicates).toEqual([]);
    const queue = await viewer.json('GET', '/api/duplicates?country=SD');
    expect(queue.body.total).toBe(1);

    expect((await viewer.json('POST', `/api/incidents/${ids.ended}/merge`, { from: dup.body.id })).status).toBe(403);
    const m = await analyst.json('POST', `/api/incidents/${ids.ended}/merge`, { from: dup.body.id });
    expect(m.status).toBe(200);
    const after = (await analyst.json('GET', `/api/incidents/${ids.ended}`)).body;
    expect(after.sources.map((s: { url: string }) => s.url)).toEqual(expect.arrayContaining(['https://example.org/sudan-exams', 'https://example.org/other-report']));
    expect(after.evidence.map((e: { ref: string }) => e.ref)).toEqual(expect.arrayContaining(['ioda:TEST1', `incident:${dup.body.id}`]));
    const hist = (await analyst.json('GET', `/api/incidents/${ids.ended}/history`)).body.items;
    expect(hist.filter((h: { fromIncident?: string }) => h.fromIncident === dup.body.id).map((h: { action: string }) => h.action)).toEqual(['create', 'source.add', 'evidence.add', 'merge.into']);
    const merged = (await analyst.json('GET', `/api/incidents/${dup.body.id}`)).body;
    expect(merged.mergedInto).toBe(ids.ended);
    const list = await analyst.json('GET', '/api/incidents?country=SD&from=2021-06-13&to=2021-06-13');
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(dup.body.id);
    expect((await viewer.json('GET', '/api/duplicates?country=SD')).body.total).toBe(0);
    const audit = await db.query<{ n: number }>(`select count(*)::int n from audit_log where action = 'incident.merge'`);
    expect(audit.rows[0]!.n).toBe(1);
    expect((await analyst.json('POST', `/api/incidents/${ids.ended}/merge`, { from: dup.body.id })).status).toBe(409);
  });

  it('exports with source links and attribution', async () => {
    const json = (await (await viewer.call('GET', '/api/incidents/export?format=json&country=SD')).json()) as {
      items: { id: string; sources: { url: string }[]; attribution: string[]; endState: string }[]; attribution: string[];
    };
    const row = json.items.find((i) => i.id === ids.ended)!;
    expect(row.sources.map((s) => s.url)).toContain('https://example.org/other-report');
    expect(row.attribution[0]).toBe('Stackwatch registry');
    expect(row.attribution.some((a) => a.startsWith('IODA'))).toBe(true); // IODA evidence came with the merge
    expect(json.attribution.some((a) => a.startsWith('Access Now #KeepItOn STOP'))).toBe(true);
    const csv = await (await viewer.call('GET', '/api/incidents/export?format=csv&country=SD')).text();
    expect(csv.split('\r\n')[0]).toContain('sourceLinks,attribution');
    expect(csv).toContain('https://example.org/sudan-exams');
  });
});
