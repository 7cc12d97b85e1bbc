import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, withRequestTicket, withWritePriority, type Db } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { bootstrapAdmin } from '../platform/auth.js';
import { silentLogger } from '../platform/log.js';
import { buildApp } from '../app.js';
import { TestClient } from '../platform/testing.js';

/** Issue #8 point 7 in the suite: on the embedded database, writes complete while many reads are waiting. */
describe('the embedded database under concurrent reads', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb({ dataDir: 'memory://', writeLeadMs: 250 });
    await migrate(db);
  });
  afterAll(async () => db?.close());

  const LEAD = 250; // the default write lead (ms)
  /** Holds the one connection in a transaction until the returned function is called. */
  const holdConnection = () =>
    new Promise<() => void>((held) => {
      void db.transaction(() => new Promise<void>((done) => held(done)));
    });
  const heavyRead = (i: number) => db.query('select count(*)::int n, $1::int i from generate_series(1, 20000) g where g % 7 = 0', [i]);

  it('runs a write request before the reads queued up to the write lead ahead of it, and reads before writes that came later', async () => {
    const order: string[] = [];
    const reads = Array.from({ length: 40 }, (_, i) => heavyRead(i).then(() => order.push(`r${i}`)));
    // A write request: a read of its own, then a transaction, as a route does.
    const write = withWritePriority(async () => {
      await db.query("select value from settings where key = 'load-test'");
      await db.transaction((tx) => tx.query("insert into settings (key, value) values ('load-test', '1'::jsonb) on conflict (key) do update set value = excluded.value"));
    }).then(() => order.push('w'));
    await Promise.all([...reads, write]);
    // At most the read that held the connection and the one let through between writes go first.
    expect(order.indexOf('w')).toBeLessThanOrEqual(2);

    // Busy writers do not starve readers: a write that arrives more than the write lead after a waiting read goes
    // after it, however many writes there are.
    const order2: string[] = [];
    const release = await holdConnection();
    const reads2 = Array.from({ length: 3 }, (_, i) => heavyRead(i).then(() => order2.push('r')));
    await new Promise((r) => setTimeout(r, LEAD + 60));
    const writes = Array.from({ length: 30 }, (_, i) =>
      withWritePriority(() => db.query("insert into settings (key, value) values ($1, '1'::jsonb) on conflict (key) do nothing", [`w${i}`])).then(() => order2.push('w')),
    );
    release();
    await Promise.all([...writes, ...reads2]);
    expect(order2.slice(0, 3)).toEqual(['r', 'r', 'r']);
    expect(order2.filter((x) => x === 'w')).toHaveLength(30);
  });

  it("runs a request's later statements before requests that arrived after it", async () => {
    const order: string[] = [];
    const release = await holdConnection();
    const request = withRequestTicket(async () => {
      await heavyRead(0);
      await heavyRead(1); // queued again, but with the place of the request's arrival
    }).then(() => order.push('request'));
    await new Promise((r) => setTimeout(r, 5));
    const later = Array.from({ length: 10 }, (_, i) => heavyRead(i).then(() => order.push('later')));
    release();
    await Promise.all([request, ...later]);
    expect(order[0]).toBe('request');
  });

  it('completes writes through the API while 40 readers keep it busy', async () => {
    const admin = await bootstrapAdmin(db, { email: 'admin@example.org', password: 'a long admin password 1' });
    expect(admin.created).toBe(true);
    const app = buildApp({ db, log: silentLogger });
    const c = new TestClient(app);
    expect((await c.login('admin@example.org', 'a long admin password 1')).status).toBe(200);
    let stop = false;
    let readsDone = 0;
    const reader = async (k: number) => {
      while (!stop) {
        const r = await c.call('GET', `/api/incidents?q=${k % 2 ? 'election' : 'protest'}&page=${1 + (readsDone % 5)}`);
        expect(r.status).toBe(200);
        await r.text();
        readsDone++;
      }
    };
    const readers = Array.from({ length: 40 }, (_, k) => reader(k));
    const writeMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = await c.json('POST', '/api/incidents', { type: 'shutdown.regional', title: `Election shutdown ${i}`, country: 'IN', startAt: '2019-08-05', tlp: 'TLP:GREEN' });
      expect(r.status).toBe(201);
      writeMs.push(performance.now() - t0);
    }
    stop = true;
    await Promise.all(readers);
    expect(readsDone).toBeGreaterThan(10);
    const total = (await db.query<{ n: number }>("select count(*)::int n from incidents where title like 'Election shutdown %'")).rows[0]!.n;
    expect(total).toBe(10);
  }, 120_000);
});
