import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../platform/testing.js';
import { bootstrapAdmin, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';
import type { Actor } from '../platform/audit.js';
import { cachedRead, filterScope, listIncidents, listScope, noteIncidentCreated, queryMayMatch, setPageView, type CreatedIncident } from './store.js';
import { IncidentFilterSchema } from './model.js';
import { createIncident, getIncident, statsByCountry } from './service.js';

const f = (q: Record<string, string> = {}) => IncidentFilterSchema.parse(q);

describe.each(testBackends())('cached registry reads on %s', (backend) => {
  let db: Db;
  let actor: Actor;
  beforeAll(async () => {
    db = await backend.open();
    await bootstrapAdmin(db, { email: 'admin@example.org', password: 'a long admin password' });
    actor = await systemActor(db);
  });
  afterAll(async () => db?.close());

  it('never serves a list or a statistic older than the last write', async () => {
    expect(db.registryGeneration).not.toBeNull();
    expect((await listIncidents(db, actor, f({ country: 'SD' }))).total).toBe(0);
    expect(await statsByCountry(db, actor, { status: 'all' })).toEqual([]);
    await createIncident(db, actor, { type: 'shutdown.full', title: 'Sudan blackout', country: 'SD', startAt: '2021-10-25', tlp: 'TLP:CLEAR' });
    expect((await listIncidents(db, actor, f({ country: 'SD' }))).total).toBe(1);
    expect((await statsByCountry(db, actor, { status: 'all' }))[0]).toMatchObject({ country: 'SD', count: 1 }); // a draft: counted only when asked for every status
    // a write in plain SQL (as an importer does) moves the generation too
    await db.query("update incidents set title = 'Sudan: nationwide blackout after the coup' where country = 'SD'");
    expect((await listIncidents(db, actor, f({ country: 'SD' }))).items[0]!.title).toBe('Sudan: nationwide blackout after the coup');
  });

  it('a new incident drops only the cached results it can change, and a read that starts after it sees it', async () => {
    await createIncident(db, actor, { type: 'shutdown.full', title: 'Iraq exam shutdown', country: 'IQ', startAt: '2019-06-01', endAt: '2019-06-02', tlp: 'TLP:GREEN', status: 'verified' });
    const iraq = await listIncidents(db, actor, f({ country: 'IQ' }));
    const verified = await statsByCountry(db, actor, {});
    const search = await listIncidents(db, actor, f({ q: 'exam' }));
    const period = await listIncidents(db, actor, f({ from: '2019-01-01', to: '2019-12-31' }));
    const all = await listIncidents(db, actor, f());
    const gen = db.registryGeneration;
    // An in-flight read of a result the write changes: a read that begins once the write is answered must not join it.
    const inFlight = listIncidents(db, actor, f({ country: 'TG' }));
    const made = await createIncident(db, actor, { type: 'shutdown.regional', title: 'Togo protest shutdown', country: 'TG', area: 'Lomé', startAt: '2022-06-10', tlp: 'TLP:GREEN' });
    expect(db.registryGeneration).toBe(gen); // described to the caches, not a move of the generation
    const after = await listIncidents(db, actor, f({ country: 'TG' }));
    expect(after.items.map((i) => i.id)).toContain(made.id);
    await inFlight;
    // kept: another country, a statistic of verified incidents (the new one is a draft), a search it cannot match, a period it is not active in
    expect(await listIncidents(db, actor, f({ country: 'IQ' }))).toBe(iraq);
    expect(await statsByCountry(db, actor, {})).toBe(verified);
    expect(await listIncidents(db, actor, f({ q: 'exam' }))).toBe(search);
    expect(await listIncidents(db, actor, f({ from: '2019-01-01', to: '2019-12-31' }))).toBe(period);
    // dropped: the unfiltered list, a matching search, a period it is active in
    const allAfter = await listIncidents(db, actor, f());
    expect(allAfter).not.toBe(all);
    expect(allAfter.total).toBe(all.total + 1);
    expect((await listIncidents(db, actor, f({ q: 'protest' }))).items.map((i) => i.id)).toContain(made.id);
    expect((await listIncidents(db, actor, f({ q: 'Togo' }))).total).toBe(1);
    expect((await listIncidents(db, actor, f({ from: '2022-06-01', to: '2022-06-30' }))).items.map((i) => i.id)).toContain(made.id);
    expect((await getIncident(db, actor, made.id)).title).toBe('Togo protest shutdown');
  });

  it('a new incident that sorts after a full page adds one to its total and leaves its items', async () => {
    const q = f({ pageSize: '2' });
    const before = await listIncidents(db, actor, q);
    expect(before.items.length).toBe(2);
    const older = await createIncident(db, actor, { type: 'blocking.service', title: 'Old blocking', country: 'TR', startAt: '2001-01-01', tlp: 'TLP:GREEN' });
    const patched = await listIncidents(db, actor, q);
    expect(patched.total).toBe(before.total + 1);
    expect(patched.items).toBe(before.items);
    // the same as computed afresh (a write in plain SQL moves the generation)
    await db.query('update incidents set version = version where false');
    const fresh = await listIncidents(db, actor, q);
    expect(fresh).not.toBe(patched);
    expect(fresh).toEqual(patched);
    // one that sorts before the last item changes the page: computed afresh
    const newer = await createIncident(db, actor, { type: 'blocking.service', title: 'New blocking', country: 'TR', startAt: '2030-01-01', tlp: 'TLP:GREEN' });
    const page = await listIncidents(db, actor, q);
    expect(page.items[0]!.id).toBe(newer.id);
    expect(page.total).toBe(before.total + 2);
    expect(page.items.map((i) => i.id)).not.toContain(older.id);
  });

  it('a page being read while an incident is created: a read after the create counts it, once', async () => {
    const reference = (await listIncidents(db, actor, f({ pageSize: '4' }))).total;
    const inFlight = listIncidents(db, actor, f({ pageSize: '3' }));
    const older = await createIncident(db, actor, { type: 'blocking.service', title: 'Older blocking', country: 'TR', startAt: '2000-01-01', tlp: 'TLP:GREEN' });
    const after = await listIncidents(db, actor, f({ pageSize: '3' }));
    expect(after.total).toBe(reference + 1);
    expect(after.items.map((i) => i.id)).not.toContain(older.id);
    expect([reference, reference + 1]).toContain((await inFlight).total);
    await createIncident(db, actor, { type: 'blocking.service', title: 'Oldest blocking', country: 'TR', startAt: '1999-01-01', tlp: 'TLP:GREEN' });
    expect((await listIncidents(db, actor, f({ pageSize: '3' }))).total).toBe(reference + 2);
  });

  it('a TLP:RED incident drops the cached lists of its recipients only, and no one else sees it', async () => {
    const recipient: Actor = { userId: '00000000-0000-4000-8000-000000000001', label: 'r', orgId: '00000000-0000-4000-8000-000000000002', role: 'viewer', scopes: null };
    const stranger: Actor = { ...recipient, userId: '00000000-0000-4000-8000-000000000003' };
    const seenByStranger = await listIncidents(db, stranger, f({ country: 'NE' }));
    expect((await listIncidents(db, recipient, f({ country: 'NE' }))).total).toBe(0);
    const red = await createIncident(db, actor, { type: 'shutdown.full', title: 'Niger coup shutdown', country: 'NE', startAt: '2023-07-26', tlp: 'TLP:RED', redRecipients: [recipient.userId!] });
    expect((await listIncidents(db, recipient, f({ country: 'NE' }))).items.map((i) => i.id)).toEqual([red.id]);
    expect(await listIncidents(db, stranger, f({ country: 'NE' }))).toBe(seenByStranger);
    expect(seenByStranger.total).toBe(0);
  });

  it.runIf(backend.name === 'postgres')('drops cached reads when another process writes', async () => {
    const other = await backend.openAnother!(db);
    try {
      expect((await listIncidents(db, actor, f({ country: 'BY' }))).total).toBe(0);
      await createIncident(other, await systemActor(other), { type: 'shutdown.full', title: 'Belarus election shutdown', country: 'BY', startAt: '2020-08-09', tlp: 'TLP:CLEAR' });
      // the notification from the other connection arrives within milliseconds
      let total = 0;
      for (let i = 0; i < 50 && total === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        total = (await listIncidents(db, actor, f({ country: 'BY' }))).total;
      }
      expect(total).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('cache scopes', () => {
  const created = (over: Partial<CreatedIncident> = {}): CreatedIncident => ({
    id: '00000000-0000-4000-8000-0000000000aa', orgId: 'org-a', tlp: 'TLP:GREEN', createdBy: 'user-a', redRecipients: [], country: 'IN', type: 'shutdown.regional',
    status: 'draft', origin: 'manual', endState: 'unknown', startAt: '2019-08-05T00:00:00.000Z', activeUntil: '2019-08-05T23:59:59.999Z', tags: [],
    searchText: 'Kashmir shutdown Jammu and Kashmir IN India Inde India', xact: '1000', ...over,
  });
  const reader: Actor = { userId: 'user-b', label: 'b', orgId: 'org-b', role: 'viewer' };
  it('full-text: plain words only when one occurs; anything else may match', () => {
    expect(queryMayMatch('kashmir', 'Jammu and Kashmir')).toBe(true);
    expect(queryMayMatch('Tigray', 'Jammu and Kashmir')).toBe(false);
    expect(queryMayMatch('Tigray or Kashmir', 'Jammu and Kashmir')).toBe(true);
    expect(queryMayMatch('-Tigray', 'Jammu and Kashmir')).toBe(true); // a negation matches what lacks the word
    expect(queryMayMatch('"Tigray region"', 'Jammu and Kashmir')).toBe(true);
    expect(queryMayMatch('Tigré', 'Jammu and Kashmir')).toBe(true);
  });
  it('a list filter: TLP, country, type family, status, period and search', () => {
    expect(filterScope(reader, {})(created())).toBe(true);
    expect(filterScope(reader, {})(created({ tlp: 'TLP:AMBER' }))).toBe(false);
    expect(filterScope(reader, {})(created({ tlp: 'TLP:AMBER', orgId: 'org-b' }))).toBe(true);
    expect(filterScope(reader, {})(created({ tlp: 'TLP:RED' }))).toBe(false);
    expect(filterScope(reader, {})(created({ tlp: 'TLP:RED', redRecipients: ['user-b'] }))).toBe(true);
    expect(filterScope(reader, { country: 'PK' })(created())).toBe(false);
    expect(filterScope(reader, { type: 'shutdown' })(created())).toBe(true);
    expect(filterScope(reader, { type: 'blocking' })(created())).toBe(false);
    expect(filterScope(reader, { status: 'verified' })(created())).toBe(false);
    expect(filterScope(reader, { from: '2019-08-06T00:00:00Z' })(created())).toBe(false);
    expect(filterScope(reader, { from: '2019-08-06T00:00:00Z' })(created({ activeUntil: null }))).toBe(true); // ongoing without bound
    expect(filterScope(reader, { to: '2019-08-04T00:00:00Z' })(created())).toBe(false);
    expect(filterScope(reader, { from: '2019-01-01T00:00:00Z', to: '2019-12-31T00:00:00Z' })(created())).toBe(true);
    expect(filterScope(reader, { q: 'Tigray' })(created())).toBe(false);
    expect(filterScope(reader, { q: 'india' })(created())).toBe(true);
  });
  it("a page whose snapshot saw the write keeps it, unless the new incident is TLP:RED (its visibility comes from a list read apart)", () => {
    const q = f({ pageSize: '1' });
    // a page read in a snapshot where transaction 1000 had committed (xmin 1001)
    const page = () => setPageView({ items: Buffer.from('[]'), total: 5, count: 1, lastStartAt: '2020-01-01T00:00:00.000Z' }, { snapshot: '1001:1001:', applied: [] });
    const scope = listScope(reader, q);
    expect(scope(created(), { v: page(), before: false })).toBe(false);
    const red = created({ tlp: 'TLP:RED', redRecipients: ['user-b'] });
    expect(scope(red, { v: page(), before: false })).toBe(true); // dropped: read again, so the creator sees it
    // computed before the write began: its RED list was too, so the page is derived (one more in the total)
    expect(scope(red, { v: page(), before: true })).toMatchObject({ now: { total: 6 } });
  });

  it('a result without a scope is dropped by every change', async () => {
    const fake = { registryGeneration: 0, query: async () => ({ rows: [] }) };
    let runs = 0;
    const read = () => cachedRead(fake, reader, 'k', async () => ++runs);
    expect(await read()).toBe(1);
    expect(await read()).toBe(1);
    noteIncidentCreated(fake, created(), 1);
    expect(await read()).toBe(2);
  });
});
