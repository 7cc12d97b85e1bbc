import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testBackends } from '../platform/testing.js';
import type { Db } from '../platform/db.js';
import { ensureOrg } from '../platform/auth.js';
import { getIncident, systemActor, createIncident } from '../incidents/service.js';
import { parseMonash } from './signals/monash.js';
import { importSeries, listSeries, loadSeries } from './store.js';
import { detect } from './detect/index.js';
import { decideEvent, linkEvents, listEvents, registryLabels, saveEvents } from './link.js';
import { SignalFormatError } from './model.js';

const DATA = join(__dirname, '..', '..', '..', 'shared', 'data', 'signals');
const IRAN = join(DATA, 'monash-irn-2019-11-11.csv');
const iran = parseMonash(readFileSync(IRAN, 'utf8'));

async function count(db: Db) {
  const r = await db.query<{ s: number; p: number; i: number }>('select (select count(*)::int from outage_series) as s, (select count(*)::int from outage_points) as p, (select count(*)::int from outage_imports) as i');
  return r.rows[0]!;
}

describe.each(testBackends())('outages store and registry link on %s', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
    await db.transaction((tx) => ensureOrg(tx, 'Test Org'));
  });
  afterAll(async () => {
    await db.close();
  });

  it('stores series per day and reads them back exactly', async () => {
    const r = await importSeries(db, iran, { fileName: 'iran.csv', sha256: 'x', format: 'monash' });
    expect(r.series).toBe(73);
    expect(r.points).toBe(16279);
    const c = await count(db);
    expect(c.s).toBe(73);
    expect(c.p).toBeGreaterThanOrEqual(73 * 10);
    const back = await loadSeries(db, { entity: 'IR/Tehran/Theran' });
    const orig = iran.find((s) => s.entity.code === 'IR/Tehran/Theran')!;
    expect(back).toHaveLength(1);
    expect(back[0]!.start).toBe(orig.start);
    expect(back[0]!.step).toBe(3600);
    expect(Array.from(back[0]!.values)).toEqual(Array.from(orig.values));
    expect((await listSeries(db, { country: 'IR' })).length).toBe(73);
    // importing the same file again changes nothing
    await importSeries(db, iran, { fileName: 'iran.csv', sha256: 'x', format: 'monash' });
    expect((await count(db)).p).toBe(c.p);
    // detection on stored series = detection on the file
    const stored = await loadSeries(db, { country: 'IR' });
    const national = detect(stored).events.filter((e) => e.scope === 'country');
    expect(national).toHaveLength(1);
    expect(national[0]!.start).toBe(Date.parse('2019-11-16T14:30:00Z') / 1000);
  });

  it('leaves nothing behind when an import fails half-way', async () => {
    const before = await count(db);
    const good = { entity: { scope: 'country' as const, code: 'CM', country: 'CM' }, signal: 'generic', start: 1700000000, step: 300, values: Float64Array.from([1, 2, 3]) };
    // same entity/signal/step as a stored Iran series, but off its grid: fails after `good` was written
    const clash = { ...iran[0]!, start: iran[0]!.start + 600 };
    await expect(importSeries(db, [good, clash], { fileName: 'bad', sha256: 'y', format: 'csv' })).rejects.toThrow(SignalFormatError);
    expect(await count(db)).toEqual(before);
    expect(await listSeries(db, { entity: 'CM' })).toHaveLength(0);
    await expect(importSeries(db, [{ ...good, step: 7 }], { fileName: 'bad', sha256: 'y', format: 'csv' })).rejects.toThrow(/does not divide a day/);
  });

  it('turns events into draft incidents with evidence, merges overlaps, never duplicates, keeps decisions', async () => {
    const actor = await systemActor(db);
    // an existing STOP-like incident overlapping the Iran shutdown
    const stop = await createIncident(db, actor, {
      type: 'shutdown.full', title: 'Iran nationwide shutdown (STOP)', country: 'IR', startAt: '2019-11-16', endAt: '2019-11-24', status: 'verified', tlp: 'TLP:CLEAR', origin: 'stop', originKey: 'test-stop-ir-2019',
    });
    const d = detect(iran, undefined, { trace: true });
    const saved = await saveEvents(db, d.events, { source: 'test', perSeries: d.perSeries });
    expect(saved.every((s) => s.created)).toBe(true);
    const links = await linkEvents(db, saved.map((s) => s.event));
    const nat = saved.findIndex((s) => s.event.scope === 'country');
    expect(links[nat]).toMatchObject({ incidentId: stop.id, action: 'merged' });
    const inc = await getIncident(db, actor, stop.id);
    const ev = (inc as unknown as { evidence: { kind: string; ref: string; data: { depth: number; plot?: { t: string[] }; svg?: string } }[] }).evidence;
    const mine = ev.find((e) => e.ref === `outages:${saved[nat]!.event.id}`)!;
    expect(mine.kind).toBe('outage_event');
    expect(mine.data.depth).toBeGreaterThan(0.75);
    expect(mine.data.plot!.t.length).toBeGreaterThan(50);
    expect(mine.data.svg).toMatch(/^<svg /);
    // regional events before the shutdown get their own drafts
    const early = links.filter((l, i) => saved[i]!.event.start < Date.parse('2019-11-15T00:00:00Z') / 1000);
    expect(early.length).toBeGreaterThan(0);
    for (const l of early) {
      expect(l.action).toBe('created');
      const draft = await getIncident(db, actor, l.incidentId!);
      expect(draft).toMatchObject({ status: 'draft', origin: 'outages', country: 'IR' });
    }
    // a second run: same events, no new rows, no new incidents
    const again = await saveEvents(db, detect(iran).events, { source: 'test' });
    expect(again.every((s) => !s.created)).toBe(true);
    const links2 = await linkEvents(db, again.map((s) => s.event));
    expect(links2.map((l) => l.incidentId)).toEqual(links.map((l) => l.incidentId));
    expect(links2.every((l) => l.action === 'unchanged')).toBe(true);
    expect((await listEvents(db, { country: 'IR' })).length).toBe(saved.length);
    // decisions
    const first = saved.find((s) => s.event.scope === 'region')!.event;
    const rejected = await decideEvent(db, first.id, 'rejected', 'ana', 'county noise');
    expect(rejected.decision).toBe('rejected');
    await decideEvent(db, saved[nat]!.event.id, 'confirmed', 'ana');
    expect((await listEvents(db, { decision: 'pending' })).length).toBe(saved.length - 2);
    await expect(decideEvent(db, first.id, 'maybe' as never, 'ana')).rejects.toThrow(/confirmed or rejected/);
    // registry labels: the STOP incident and the confirmed event, not our own drafts
    const labels = await registryLabels(db, { countries: ['IR'], from: iran[0]!.start, to: iran[0]!.start + 10 * 86400 });
    expect(labels.map((l) => l.source.split(':')[0]).sort()).toEqual(['analyst', 'registry']);
    expect(labels.find((l) => l.source.startsWith('registry'))!.source).toContain(':stop:');
  });
});
