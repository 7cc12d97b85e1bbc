/**
 * Issue #8 point 1 on the shipped history: after importing the Iran Monash file and linking the stored IR series,
 * no incident carries outage evidence from another region or another time. Issue #7 point 6: signal imports and
 * review decisions land in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { testBackends } from '../platform/testing.js';
import type { Db } from '../platform/db.js';
import { loadHistory } from '../incidents/import/service.js';
import { readSignalFile } from './signals/index.js';
import { importSeries, loadSeries } from './store.js';
import { detect } from './detect/index.js';
import { decideEvent, isNationalIncident, linkEvents, samePlace, saveEvents } from './link.js';

const ROOT = join(__dirname, '..', '..');
const IRAN = join(ROOT, '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv');

describe('place names', () => {
  it('match a province across spellings, and never another province', () => {
    expect(samePlace('Sistan and Baluchestan', 'Sistan and Baluchistan province')).toBe(true);
    expect(samePlace('Khuzestan', 'Sistan and Baluchistan')).toBe(false);
    expect(samePlace('East Azarbaijan', 'West Azarbaijan')).toBe(true); // same distinctive word: documented limit
    expect(isNationalIncident({ type: 'shutdown.full', area: null })).toBe(true);
    expect(isNationalIncident({ type: 'shutdown.regional', area: null })).toBe(false);
    expect(isNationalIncident({ type: 'shutdown.full', area: 'Khuzestan' })).toBe(false);
  });
});

describe('outages link on the shipped history (Iran, PGlite)', () => {
  let db: Db;
  let org = '';
  beforeAll(async () => {
    db = await testBackends()[0]!.open();
    org = randomUUID();
    await db.query('insert into orgs (id, name) values ($1, $2)', [org, 'Stackwatch']);
    await loadHistory(db, org, join(ROOT, 'seed'));
    const parsed = readSignalFile(IRAN);
    await importSeries(db, parsed.series, { fileName: 'monash-irn-2019-11-11.csv', sha256: 'test', format: parsed.format });
    const series = await loadSeries(db, { country: 'IR' });
    const d = detect(series, undefined, { trace: true });
    const saved = await saveEvents(db, d.events, { source: 'store', perSeries: d.perSeries });
    await linkEvents(db, saved.map((s) => s.event));
  }, 240_000);
  afterAll(async () => db?.close());

  it('puts no evidence from another region or another time on any incident', async () => {
    const rows = (
      await db.query<{ title: string; type: string; area: string | null; start_at: Date; end_at: Date | null; data: Record<string, unknown> }>(
        `select i.title, i.type, i.area, i.start_at, i.end_at, e.data from incident_evidence e join incidents i on i.id = e.incident_id
          where e.kind = 'outage_event' and e.ref like 'outages:%'`,
      )
    ).rows;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const d = r.data as { entity: string; scope: string; name?: string; start: string; end: string | null; dataEnd?: string };
      const start = Date.parse(d.start);
      const until = Date.parse(d.end ?? d.dataEnd!);
      expect(Number.isFinite(until), `${d.entity}: evidence says which hours`).toBe(true);
      // time: the incident overlaps the event's hours (an open event ends where its data ends)
      expect(new Date(r.start_at).getTime() <= until + 86400_000, `${r.title} ← ${d.entity} ${d.start}`).toBe(true);
      expect(r.end_at === null || new Date(r.end_at).getTime() >= start - 86400_000, `${r.title} ← ${d.entity} ${d.start}`).toBe(true);
      expect(new Date(r.start_at).getUTCFullYear(), `${r.title} ← ${d.entity}`).toBe(2019);
      // place: regions only on their own region's incident or a national one; national only on national
      if (!isNationalIncident({ type: r.type, area: r.area })) {
        expect(d.scope, `${r.title} ← ${d.entity}`).toBe('region');
        expect(samePlace((d.name ?? d.entity).split(' / ')[0]!, r.area ?? ''), `${r.title} (${r.area}) ← ${d.entity}`).toBe(true);
      }
    }
  });

  it('gives the 2021 Sistan-Baluchistan incident none of the November 2019 evidence', async () => {
    const sb = (
      await db.query<{ id: string; n: number }>(
        `select i.id, (select count(*)::int from incident_evidence e where e.incident_id = i.id and e.kind = 'outage_event' and e.ref like 'outages:%') as n
           from incidents i where i.country = 'IR' and i.start_at >= '2021-01-01' and i.start_at < '2022-01-01' and (i.area ilike '%sistan%' or i.title ilike '%sistan%')`,
      )
    ).rows;
    expect(sb.length).toBeGreaterThan(0);
    for (const r of sb) expect(r.n).toBe(0);
  });

  it('writes signal imports and review decisions to the audit log', async () => {
    const imp = (await db.query<{ action: string; after: Record<string, unknown> }>(`select action, after from audit_log where action = 'outages.import'`)).rows;
    expect(imp).toHaveLength(1);
    expect(imp[0]!.after).toMatchObject({ file: 'monash-irn-2019-11-11.csv', format: 'monash', series: 73 });
    const ev = (await db.query<{ id: string }>(`select id from outage_events where scope = 'country' limit 1`)).rows[0]!;
    await decideEvent(db, ev.id, 'rejected', 'ana', 'test');
    await decideEvent(db, ev.id, 'confirmed', 'ana', 'matches STOP');
    const log = (await db.query<{ action: string; actor_label: string; entity_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> }>(
      `select action, actor_label, entity_id, before, after from audit_log where entity_type = 'outage_event' order by id`,
    )).rows;
    expect(log.map((l) => l.action)).toEqual(['outages.event.reject', 'outages.event.confirm']);
    expect(log[1]).toMatchObject({ actor_label: 'cli: ana', entity_id: ev.id, before: { decision: 'rejected' }, after: { decision: 'confirmed', note: 'matches STOP' } });
  });
});
