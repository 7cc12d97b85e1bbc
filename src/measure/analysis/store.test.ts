import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../platform/testing.js';
import type { Db } from '../../platform/db.js';
import { ensureOrg } from '../../platform/auth.js';
import type { Actor } from '../../platform/audit.js';
import { getIncident, systemActor } from '../../incidents/service.js';
import { parseScenario } from '../lab/scenario.js';
import { runLab } from '../lab/run.js';
import { aggregateAnomalies, blockedDomainsOverTime, exportRaw, getMeasurement, importJsonl, listMeasurements } from './store.js';
import { attachMeasurements, openBlockingIncidents } from './registry.js';

/** Measurements produced by the lab: one per verdict family. */
let jsonl = '';
beforeAll(async () => {
  const scenario = parseScenario(
    [
      'name: store',
      'sites:',
      '  - { name: fine, expect: ok }',
      '  - { name: fine-https, scheme: https, expect: ok }',
      '  - { name: nx, censor: { dns: nxdomain }, expect: dns }',
      '  - { name: bp, censor: { http: "blockpage:id-trustpositif" }, expect: http-blockpage }',
      '  - { name: iran, censor: { dns: chosen, dns_ip: 146.112.61.106 }, expect: dns, note: an unscoped block IP (cl.dns_prod_opendns_1) }',
      '  - { name: gone, origin: { down: refuse }, expect: down }',
    ].join('\n'),
  );
  const r = await runLab(scenario);
  expect(r.wrong).toBe(0);
  // pretend these came from a probe in Cameroon on AS30722
  jsonl = r.measurements.map((m) => JSON.stringify({ ...m, probe_cc: 'CM', probe_asn: 'AS30722' })).join('\n') + '\n';
}, 60_000);

describe.each(testBackends())('measurement store on %s', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
    await db.transaction((tx) => ensureOrg(tx, 'Test Org'));
  });
  afterAll(async () => db?.close());

  it('imports, stores raw gzip + sha256, and exports byte-identical lines', async () => {
    const r = await importJsonl(db, jsonl, 'lab.jsonl', { actor: await systemActor(db) });
    expect(r).toMatchObject({ lines: 6, imported: 6, duplicates: 0, problems: [] });
    const out = await exportRaw(db);
    expect(out.sort()).toEqual(jsonl.trim().split('\n').sort());
    // importing again is idempotent (resume)
    const again = await importJsonl(db, jsonl, 'lab.jsonl', { actor: await systemActor(db) });
    expect(again).toMatchObject({ imported: 0, duplicates: 6 });
  });

  it('stores verdicts recomputed from raw data, equal to those written', async () => {
    const { items, total } = await listMeasurements(db, { country: 'CM', limit: 100 });
    expect(total).toBe(6);
    const written = new Map(jsonl.trim().split('\n').map((l) => {
      const m = JSON.parse(l) as { input: string; test_keys: { x_stackwatch: { verdict: string } } };
      return [m.input, m.test_keys.x_stackwatch.verdict];
    }));
    for (const it of items) expect(it.verdict).toBe(written.get(it.input!));
    const one = await getMeasurement(db, items[0]!.id);
    expect(JSON.parse(one!.raw).input).toBe(items[0]!.input);
  });

  it('rejects bad lines with their line number and field, keeps the good ones', async () => {
    const good = jsonl.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.input === 'http://fine.lab.test/')!;
    const text = [
      '{not json',
      JSON.stringify({ ...good, probe_cc: 'Cameroon', report_id: 'x1' }),
      JSON.stringify({ ...good, measurement_start_time: '2024-01-01T00:00:00Z', report_id: 'x2' }),
      JSON.stringify({ ...good, report_id: 'other-report' }),
    ].join('\n');
    const r = await importJsonl(db, text, 'bad.jsonl', { actor: await systemActor(db) });
    expect(r.imported).toBe(1);
    expect(r.problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(r.problems[1]!.message).toMatch(/probe_cc/);
    expect(r.problems[2]!.message).toMatch(/measurement_start_time/);
  });

  it('stores every distinct measurement of one URL in one report, skips identical ones and says why', async () => {
    const actor = await systemActor(db);
    const base = JSON.parse(jsonl.trim().split('\n').find((l) => l.includes('"http://fine.lab.test/"'))!) as Record<string, unknown>;
    // three measurements of the same URL, same report id and start time, different content (an OONI re-run)
    const variants = [1.5, 2.5, 3.5].map((rt) => JSON.stringify({ ...base, report_id: 'same-report', probe_cc: 'ZZ', test_runtime: rt }));
    const text = [...variants, variants[0]!].join('\n');
    const r = await importJsonl(db, text, 'rerun.jsonl', { actor });
    expect(r).toMatchObject({ lines: 4, imported: 3, duplicates: 1 });
    expect(r.skipped).toEqual([{ line: 4, message: 'identical to line 1 of this import (same SHA-256)' }]);
    const again = await importJsonl(db, variants[1]!, 'rerun.jsonl', { actor });
    expect(again.imported).toBe(0);
    expect(again.skipped[0]!.message).toMatch(/already stored: a measurement with the same content/);
    expect((await listMeasurements(db, { country: 'ZZ' })).total).toBe(3);
    // each import batch is in the audit log, in the importer's organisation
    const audited = await db.query<{ n: number }>(`select count(*)::int n from audit_log where action = 'measure.import' and org_id = $1`, [actor.orgId]);
    expect(audited.rows[0]!.n).toBeGreaterThanOrEqual(3);
  });

  it('measurements belong to an organisation: others neither list nor download them, unless public', async () => {
    const owner = await systemActor(db);
    const otherOrg = await db.transaction((tx) => ensureOrg(tx, 'Other Org'));
    const other: Actor = { userId: null, label: 'other', orgId: otherOrg, role: 'analyst', scopes: null };
    const mine = (await listMeasurements(db, { orgId: owner.orgId, country: 'ZZ' })).items[0]!;
    expect(await getMeasurement(db, mine.id, owner.orgId)).not.toBeNull();
    expect(await getMeasurement(db, mine.id, otherOrg)).toBeNull();
    expect((await listMeasurements(db, { orgId: otherOrg })).total).toBe(0);
    expect(await aggregateAnomalies(db, ['country'], { orgId: otherOrg })).toEqual([]);
    // the same file imported by the other organisation is its own copy; public ones are readable by everyone
    const base = JSON.parse(jsonl.trim().split('\n')[0]!) as Record<string, unknown>;
    const pub = JSON.stringify({ ...base, probe_cc: 'DE', report_id: 'published-by-ooni' });
    expect((await importJsonl(db, pub, 'ooni.jsonl', { actor: other, public: true })).imported).toBe(1);
    const seen = (await listMeasurements(db, { orgId: owner.orgId, country: 'DE' })).items;
    expect(seen).toHaveLength(1);
    expect(seen[0]!.public).toBe(true);
    expect((await getMeasurement(db, seen[0]!.id, owner.orgId))!.raw).toBe(pub);
    expect((await importJsonl(db, pub, 'ooni.jsonl', { actor: owner })).imported).toBe(1);
    expect(await getMeasurement(db, '123456789012345678901234567890123456', owner.orgId)).toBeNull();
  });

  it('aggregates anomalies by country, ASN, domain and day', async () => {
    const byCountry = (await aggregateAnomalies(db, ['country', 'asn'])).filter((r) => r.country === 'CM');
    expect(byCountry).toHaveLength(1);
    expect(byCountry[0]).toMatchObject({ country: 'CM', asn: 30722, measurements: 7, anomalies: 3, confirmed: 2, down: 1 });
    const byDomain = await aggregateAnomalies(db, ['domain', 'day'], { country: 'CM' });
    const nx = byDomain.find((r) => r.domain === 'nx.lab.test')!;
    expect(nx.byKind).toEqual({ dns: 1 });
    const series = await blockedDomainsOverTime(db, { country: 'CM' });
    expect(series.length).toBeGreaterThanOrEqual(1);
    expect(series.reduce((n, s) => n + s.blockedDomains, 0)).toBe(3);
  });

  it('opens website-blocking incidents from confirmed blocks and attaches the evidence, idempotently', async () => {
    const actor = await systemActor(db);
    const opened = await openBlockingIncidents(db, actor, { country: 'CM' });
    expect(opened.map((o) => o.domain)).toEqual(['bp.lab.test', 'iran.lab.test']);
    expect(opened.every((o) => o.created)).toBe(true);
    const inc = await getIncident(db, actor, opened[0]!.incidentId);
    expect(inc).toMatchObject({ type: 'blocking.website', country: 'CM', status: 'draft' });
    const again = await openBlockingIncidents(db, actor, { country: 'CM' });
    expect(again.map((o) => o.incidentId)).toEqual(opened.map((o) => o.incidentId));
    expect(again.every((o) => !o.created)).toBe(true);
    const nx = (await listMeasurements(db, { domain: 'nx.lab.test' })).items[0]!;
    const a = await attachMeasurements(db, actor, opened[0]!.incidentId, [nx.id, '00000000-0000-0000-0000-000000000000']);
    expect(a).toEqual({ attached: 1, already: 0, missing: ['00000000-0000-0000-0000-000000000000'] });
    expect((await attachMeasurements(db, actor, opened[0]!.incidentId, [nx.id])).already).toBe(1);
  });
});
