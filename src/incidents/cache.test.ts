import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../platform/testing.js';
import { bootstrapAdmin, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';
import type { Actor } from '../platform/audit.js';
import { listIncidents } from './store.js';
import { IncidentFilterSchema } from './model.js';
import { createIncident, statsByCountry } from './service.js';

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
