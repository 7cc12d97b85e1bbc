/**
 * Issue #7, reproduced as tests: organisations are walls for their admins, sign-in protection holds under parallel
 * attack, reading shared data never grants writing it, and hostile input gets a clear 4xx (or 503), never a 500.
 * Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL (where the parallel requests really run in parallel).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, TestClient } from '../../src/platform/testing.js';
import { buildApp } from '../../src/app.js';
import { silentLogger } from '../../src/platform/log.js';
import { ACCOUNT_MAX_FAILURES, bootstrapAdmin, createUser, login, MAX_FAILED_LOGINS, systemActor, updateUser } from '../../src/platform/auth.js';
import type { Actor } from '../../src/platform/audit.js';
import type { Db } from '../../src/platform/db.js';
import { totpCode } from '../../src/platform/totp.js';
import { attachEvidence, createIncident, linkLaw } from '../../src/incidents/service.js';
import { isRealDate } from '../../src/core/dates.js';

const PW = 'correct horse battery staple';

describe.each(testBackends())('security walls on %s', (backend) => {
  let db: Db;
  let app: ReturnType<typeof buildApp>;
  const mk = () => new TestClient({ request: (p, i) => app.request(p, i) });
  const adminA = mk();
  const adminB = mk();
  const analystA = mk();
  const analystB = mk();
  const ids: Record<string, string> = {};
  let actorB: Actor;

  beforeAll(async () => {
    db = await backend.open();
    // app.request() has no socket: its address reads as 'local'. Trusting 'local' as a proxy lets the tests speak
    // from several client addresses through X-Forwarded-For, as a real reverse proxy would.
    app = buildApp({ db, log: silentLogger, trustedProxies: ['local'] });
    await bootstrapAdmin(db, { email: 'admin@a.example', password: PW, orgName: 'Org A' });
    const cli = { ...(await systemActor(db)), label: 'cli' };
    for (const [email, role, orgName] of [
      ['analyst@a.example', 'analyst', 'Org A'], ['named@a.example', 'viewer', 'Org A'], ['admin@b.example', 'admin', 'Org B'], ['analyst@b.example', 'analyst', 'Org B'],
      ['victim@a.example', 'viewer', 'Org A'], ['totp@a.example', 'viewer', 'Org A'], ['pw@a.example', 'viewer', 'Org A'],
    ] as const) {
      ids[email] = (await createUser(db, cli, { email, name: email, role, password: PW, orgName })).id;
    }
    ids['admin@a.example'] = (await db.query<{ id: string }>("select id from users where email = 'admin@a.example'")).rows[0]!.id;
    for (const [c, e] of [[adminA, 'admin@a.example'], [adminB, 'admin@b.example'], [analystA, 'analyst@a.example'], [analystB, 'analyst@b.example']] as const) {
      expect((await c.login(e, PW)).status).toBe(200);
    }
    actorB = { userId: ids['analyst@b.example']!, label: 'analyst@b.example', orgId: (await db.query<{ org_id: string }>('select org_id from users where id = $1', [ids['analyst@b.example']])).rows[0]!.org_id, role: 'analyst', scopes: null };
  }, 120_000);
  afterAll(async () => db?.close());

  describe('organisations are walls', () => {
    it('an admin lists, adds, changes and resets only users of their own organisation', async () => {
      const list = await adminB.json('GET', '/api/admin/users');
      expect(list.body.items.map((u: { email: string }) => u.email).sort()).toEqual(['admin@b.example', 'analyst@b.example']);
      expect((await adminB.json('GET', '/api/admin/orgs')).body.items.map((o: { name: string }) => o.name)).toEqual(['Org B']);
      // Cannot plant a user in Org A, nor create a new organisation.
      expect((await adminB.json('POST', '/api/admin/users', { email: 'mole@b.example', role: 'analyst', password: PW, orgName: 'Org A' })).status).toBe(403);
      expect((await adminB.json('POST', '/api/admin/users', { email: 'mole2@b.example', role: 'analyst', password: PW, orgName: 'Brand New' })).status).toBe(403);
      // Another organisation's users do not exist for them: no reset, no demotion, no disabling.
      for (const patch of [{ password: 'taken over password 1' }, { role: 'viewer' }, { disabled: true }]) {
        expect((await adminB.json('PATCH', `/api/admin/users/${ids['admin@a.example']}`, patch)).status).toBe(404);
      }
      expect((await mk().login('admin@a.example', PW)).status).toBe(200);
    });

    it('never demotes or disables the last admin of an organisation', async () => {
      const other = (await adminB.json('POST', '/api/admin/users', { email: 'admin2@b.example', role: 'admin', password: PW })).body;
      const c = mk();
      expect((await c.login('admin2@b.example', PW)).status).toBe(200);
      expect((await c.json('PATCH', `/api/admin/users/${ids['admin@b.example']}`, { role: 'viewer' })).status).toBe(200);
      // admin2 is now the last admin; admin@b (a viewer now) cannot act, and admin2 cannot demote itself.
      expect((await c.json('PATCH', `/api/admin/users/${other.id}`, { role: 'viewer' })).status).toBe(400);
      // Restore; then two admins demoting each other at once leave one admin.
      expect((await c.json('PATCH', `/api/admin/users/${ids['admin@b.example']}`, { role: 'admin' })).status).toBe(200);
      expect((await adminB.login('admin@b.example', PW)).status).toBe(200);
      const [r1, r2] = await Promise.all([
        adminB.json('PATCH', `/api/admin/users/${other.id}`, { disabled: true }),
        c.json('PATCH', `/api/admin/users/${ids['admin@b.example']}`, { disabled: true }),
      ]);
      // One wins; the other is refused (409: last admin; or 401 when its own account was disabled first).
      const statuses = [r1.status, r2.status].sort();
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const admins = await db.query<{ n: number }>("select count(*)::int n from users u join orgs o on o.id = u.org_id where o.name = 'Org B' and role = 'admin' and not disabled");
      expect(admins.rows[0]!.n).toBe(1);
      // The operator (CLI) restores both for the next tests.
      const cli = { ...(await systemActor(db)), label: 'cli' };
      await updateUser(db, cli, ids['admin@b.example']!, { disabled: false });
      await updateUser(db, cli, other.id, { disabled: false });
      expect((await adminB.login('admin@b.example', PW)).status).toBe(200);
    });

    it("files actions on a user under the user's organisation, and a reset by an admin revokes the user's tokens", async () => {
      const victim = mk();
      expect((await victim.login('victim@a.example', PW)).status).toBe(200);
      const tok = await victim.json('POST', '/api/tokens', { name: 'probe', scopes: ['incidents:read'] });
      expect(tok.status).toBe(201);
      // An admin's API token (scoped) cannot revoke other people's tokens; another organisation's admin cannot either.
      const adminTok = await adminA.json('POST', '/api/tokens', { name: 'ops', scopes: ['incidents:read', 'audit:read'] });
      const bot = mk();
      bot.bearer = adminTok.body.secret;
      expect((await bot.json('DELETE', `/api/tokens/${tok.body.token.id}`)).status).toBe(404);
      expect((await adminB.json('DELETE', `/api/tokens/${tok.body.token.id}`)).status).toBe(404);
      const probe = mk();
      probe.bearer = tok.body.secret;
      expect((await probe.json('GET', '/api/incidents')).status).toBe(200);
      expect((await adminA.json('PATCH', `/api/admin/users/${ids['victim@a.example']}`, { password: 'reset by the admin 1' })).status).toBe(200);
      expect((await probe.json('GET', '/api/incidents')).status).toBe(401);
      const log = await adminA.json('GET', '/api/admin/audit?entityType=user&pageSize=200');
      const entry = log.body.items.find((e: { action: string; entityId: string }) => e.action === 'user.update' && e.entityId === ids['victim@a.example']);
      expect(entry.after).toMatchObject({ passwordChanged: true, tokensRevoked: true });
      // Nothing about Org A in Org B's log, nothing about Org B's users in Org A's log.
      expect(JSON.stringify((await adminB.json('GET', '/api/admin/audit?pageSize=500')).body)).not.toContain('a.example');
    });
  });

  describe('sign-in protection', () => {
    it(`locks after exactly ${MAX_FAILED_LOGINS} parallel wrong passwords from one address, for that address only`, async () => {
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => login(db, 'named@a.example', 'wrong password!!', undefined, new Date(), '198.51.100.7')));
      expect(results.every((r) => r.status === 'rejected' && (r.reason as { status: number }).status === 401)).toBe(true);
      const row = (await db.query<{ failures: number }>('select failures from login_failures where user_id = $1 and addr = $2', [ids['named@a.example'], '198.51.100.7'])).rows[0];
      // Exactly MAX_FAILED_LOGINS attempts were let through to the password check; the other 35 were refused before it.
      expect(row?.failures).toBe(MAX_FAILED_LOGINS);
      const acct = (await db.query<{ failed_logins: number }>('select failed_logins from users where id = $1', [ids['named@a.example']])).rows[0];
      expect(acct?.failed_logins).toBe(MAX_FAILED_LOGINS);
      // The right password from that address is refused, with the answer of a wrong password (no 423).
      const locked = await mk().call('POST', '/api/auth/login', { email: 'named@a.example', password: PW }, { 'x-forwarded-for': '198.51.100.7' });
      const unknown = await mk().call('POST', '/api/auth/login', { email: 'nobody@a.example', password: PW }, { 'x-forwarded-for': '198.51.100.7' });
      expect(locked.status).toBe(401);
      expect(await locked.json()).toEqual(await unknown.json());
      // The owner, elsewhere, still signs in: the lock-out cannot be used to keep them out.
      expect((await mk().call('POST', '/api/auth/login', { email: 'named@a.example', password: PW }, { 'x-forwarded-for': '203.0.113.20' })).status).toBe(200);
    });

    it(`lets ${MAX_FAILED_LOGINS - 1} wrong passwords pass without a lock, and locks the whole account after ${ACCOUNT_MAX_FAILURES} from many addresses`, async () => {
      for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) await expect(login(db, 'pw@a.example', 'wrong password!!', undefined, new Date(), '192.0.2.1')).rejects.toMatchObject({ status: 401 });
      await expect(login(db, 'pw@a.example', PW, undefined, new Date(), '192.0.2.1')).resolves.toMatchObject({ user: { email: 'pw@a.example' } });
      const spread = Array.from({ length: ACCOUNT_MAX_FAILURES + 10 }, (_, i) => login(db, 'pw@a.example', 'wrong password!!', undefined, new Date(), `10.9.${i >> 8}.${i & 255}`));
      await Promise.allSettled(spread);
      expect((await db.query<{ failed_logins: number }>('select failed_logins from users where id = $1', [ids['pw@a.example']])).rows[0]?.failed_logins).toBe(ACCOUNT_MAX_FAILURES);
      await expect(login(db, 'pw@a.example', PW, undefined, new Date(), '192.0.2.99')).rejects.toMatchObject({ status: 401 });
      // An admin's reset lifts it.
      expect((await adminA.json('PATCH', `/api/admin/users/${ids['pw@a.example']}`, { password: 'reset after an attack 1' })).status).toBe(200);
      await expect(login(db, 'pw@a.example', 'reset after an attack 1', undefined, new Date(), '192.0.2.99')).resolves.toBeTruthy();
    });

    it('believes X-Forwarded-For only from a trusted proxy', async () => {
      const direct = buildApp({ db, log: silentLogger }); // no trusted proxy
      const codes: number[] = [];
      for (let i = 0; i < 21; i++) {
        const r = await direct.request('http://localhost/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}` }, body: JSON.stringify({ email: 'nobody@x.example', password: 'x' }) });
        codes.push(r.status);
      }
      expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
      expect(codes[20]).toBe(429);
    });

    it('needs the password and a current code to set up or replace the second factor; codes count and cannot be replayed', async () => {
      const c = mk();
      expect((await c.login('totp@a.example', PW)).status).toBe(200);
      expect((await c.json('POST', '/api/auth/totp/setup', {})).status).toBe(400);
      const setup = await c.json('POST', '/api/auth/totp/setup', { currentPassword: PW });
      expect(setup.status).toBe(200);
      const code = totpCode(setup.body.secret);
      expect((await c.json('POST', '/api/auth/totp/enable', { code })).status).toBe(200);
      // Replacing it with only the session (and even the password) is refused without a fresh code.
      expect((await c.json('POST', '/api/auth/totp/setup', { currentPassword: PW })).body.error.field).toBe('code');
      expect((await c.json('POST', '/api/auth/totp/setup', { currentPassword: PW, code })).body.error.field).toBe('code'); // replayed
      // Sign-in: the code that was used is refused (replay); wrong codes count towards the lock-out.
      const addr = { 'x-forwarded-for': '198.51.100.50' };
      expect((await mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: code }, addr)).status).toBe(401);
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) await mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: '000000' }, addr);
      const next = totpCode(setup.body.secret, Date.now() + 30_000);
      expect((await mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: next }, addr)).status).toBe(401);
      // From another address the owner signs in with a fresh code, once.
      const other = { 'x-forwarded-for': '198.51.100.51' };
      expect((await mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: next }, other)).status).toBe(200);
      expect((await mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: next }, other)).status).toBe(401);
      // Two sign-ins racing with the same fresh code: exactly one gets in.
      await db.query('update users set totp_last_step = totp_last_step - 1 where id = $1', [ids['totp@a.example']]); // "next" is unused again
      const race = await Promise.all([0, 1, 2, 3].map((i) => mk().call('POST', '/api/auth/login', { email: 'totp@a.example', password: PW, totp: next }, { 'x-forwarded-for': `198.51.100.${70 + i}` })));
      const codes = race.map((r) => r.status).sort();
      expect(codes).toEqual([200, 401, 401, 401]);
    });

    it('counts wrong current passwords on password change like sign-in failures', async () => {
      const c = mk();
      expect((await c.login('analyst@a.example', PW)).status).toBe(200);
      const h = { 'x-forwarded-for': '198.51.100.60' };
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
        expect((await c.call('POST', '/api/auth/password', { currentPassword: `guess number ${i}`, newPassword: 'a new long password 9' }, h)).status).toBe(400);
      }
      // The right current password is refused now, from this address.
      expect((await c.call('POST', '/api/auth/password', { currentPassword: PW, newPassword: 'a new long password 9' }, h)).status).toBe(400);
      expect((await mk().login('analyst@a.example', PW)).status).toBe(200);
    });
  });

  describe('reading shared data never grants writing it', () => {
    it("refuses another organisation's writes to a shared incident and law, through every path", async () => {
      const inc = await analystA.json('POST', '/api/incidents', { type: 'shutdown.full', title: 'Shared green incident', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:GREEN' });
      const law = await analystA.json('POST', '/api/laws', { country: 'CM', title: 'Shared law of A', status: 'passed' });
      expect((await analystB.json('GET', `/api/incidents/${inc.body.id}`)).status).toBe(200);
      expect((await analystB.json('POST', `/api/incidents/${inc.body.id}/evidence`, { kind: 'measurement', ref: 'x' })).status).toBe(403);
      expect((await analystB.json('POST', `/api/incidents/${inc.body.id}/sources`, { url: 'https://example.org/x' })).status).toBe(403);
      expect((await analystB.json('PATCH', `/api/incidents/${inc.body.id}`, { version: 1, title: 'Taken over' })).status).toBe(403);
      expect((await analystB.json('POST', `/api/laws/${law.body.id}/incidents`, { incidentId: inc.body.id })).status).toBe(403);
      expect((await analystA.json('POST', `/api/laws/${law.body.id}/incidents`, { incidentId: inc.body.id })).status).toBe(200);
      expect((await analystB.json('DELETE', `/api/laws/${law.body.id}/incidents/${inc.body.id}`)).status).toBe(403);
      // The service every wing calls (measurements, outage events) refuses too.
      await expect(attachEvidence(db, actorB, inc.body.id, { kind: 'measurement', ref: 'via-wing' })).rejects.toMatchObject({ status: 403 });
      await expect(linkLaw(db, actorB, law.body.id, inc.body.id, false)).rejects.toMatchObject({ status: 403 });
      expect((await db.query('select 1 from incident_evidence where incident_id = $1', [inc.body.id])).rows).toEqual([]);
    });

    it("does not reveal another organisation's hidden incident through an origin key", async () => {
      const hidden = await analystA.json('POST', '/api/incidents', { type: 'shutdown.full', title: 'Hidden amber', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:AMBER', originKey: 'shared-key-1' });
      expect(hidden.status).toBe(201);
      const mine = await analystB.json('POST', '/api/incidents', { type: 'shutdown.full', title: 'B own record', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:GREEN', originKey: 'shared-key-1' });
      expect(mine.status).toBe(201);
      expect(mine.body.id).not.toBe(hidden.body.id);
      expect(JSON.stringify(mine.body)).not.toContain('Hidden amber');
      // Idempotent per organisation.
      const again = await analystB.json('POST', '/api/incidents', { type: 'shutdown.full', title: 'B own record', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:GREEN', originKey: 'shared-key-1' });
      expect(again.body.id).toBe(mine.body.id);
    });
  });

  describe('hostile input', () => {
    const base = { type: 'shutdown.full', title: 'Input test', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:CLEAR' };
    it('refuses NUL bytes in any text field and the search, naming the field', async () => {
      expect((await analystA.json('POST', '/api/incidents', { ...base, title: 'a\u0000b' })).body.error.field).toBe('title');
      expect((await analystA.json('POST', '/api/incidents', { ...base, actors: [{ name: 'x\u0000', role: 'ordered_by' }] })).body.error.field).toBe('actors.0.name');
      const q = await analystA.json('GET', '/api/incidents?q=%00');
      expect([q.status, q.body.error.field]).toEqual([400, 'q']);
      expect((await analystA.json('POST', '/api/laws', { country: 'CM', title: 'law\u0000', status: 'passed' })).status).toBe(400);
    });

    it('refuses years 0000 and ≥ 10000 and impossible dates instead of moving them', async () => {
      for (const startAt of ['0000-01-01', '10000-01-01', '2024-02-30', '2023-02-29', '2024-13-01', '2024-04-31T10:00:00Z', '2024-01-01T24:00:00Z']) {
        const r = await analystA.json('POST', '/api/incidents', { ...base, startAt });
        expect([startAt, r.status, r.body.error.field]).toEqual([startAt, 400, 'startAt']);
      }
      expect(isRealDate('2024-02-29')).toBe(true);
      expect(isRealDate('1900-02-29')).toBe(false);
      expect(isRealDate('2000-02-29')).toBe(true);
      expect((await analystA.json('GET', '/api/incidents?from=2024-02-30')).status).toBe(400);
    });

    it('answers 36-character ids that are not UUIDs with 404, never 500', async () => {
      const bad = '-'.repeat(36);
      const bad2 = 'g'.repeat(8) + '-' + 'g'.repeat(4) + '-' + 'g'.repeat(4) + '-' + 'g'.repeat(4) + '-' + 'g'.repeat(12);
      for (const id of [bad, bad2]) {
        expect((await analystA.json('GET', `/api/incidents/${id}`)).status).toBe(404);
        expect((await analystA.json('GET', `/api/incidents/${id}/history`)).status).toBe(404);
        expect((await analystA.json('GET', `/api/laws/${id}`)).status).toBe(404);
        expect((await adminA.json('PATCH', `/api/admin/users/${id}`, { name: 'x' })).status).toBe(404);
        expect((await adminA.json('DELETE', `/api/tokens/${id}`)).status).toBe(404);
        expect((await analystA.json('POST', `/api/incidents/${id}/evidence`, { kind: 'measurement', ref: 'x' })).status).toBe(404);
      }
    });

    it('refuses deeply nested JSON with a 400', async () => {
      const inc = await analystA.json('POST', '/api/incidents', base);
      const nested = (depth: number) => `{"kind":"measurement","ref":"deep-${depth}","data":${'{"d":'.repeat(depth)}{}${'}'.repeat(depth)}}`;
      for (const depth of [40, 5000, 100_000]) {
        const deep = await analystA.call('POST', `/api/incidents/${inc.body.id}/evidence`, nested(depth));
        expect([depth, deep.status]).toEqual([depth, 400]);
      }
      // A few levels are fine.
      expect((await analystA.call('POST', `/api/incidents/${inc.body.id}/evidence`, nested(5))).status).toBe(201);
      const raw = '['.repeat(200_000) + ']'.repeat(200_000);
      expect((await analystA.call('POST', `/api/incidents/${inc.body.id}/evidence`, raw)).status).toBe(400);
    });

    it('refuses a period that ends before it starts with a 400 naming the field, not a 500', async () => {
      const res = await analystA.call('GET', '/api/incidents?from=2022-01-01&to=2016-12-31');
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field?: string } }).error.field).toBe('to');
    });

    it('answers concurrent creates with the same origin key, and users with the same e-mail, with 409 — not 500', async () => {
      const creates = await Promise.all(Array.from({ length: 6 }, () => analystA.json('POST', '/api/incidents', { ...base, originKey: 'race-key' })));
      for (const r of creates) expect([201, 409]).toContain(r.status);
      expect((await db.query("select count(*)::int n from incidents where origin_key = 'race-key'")).rows[0]).toEqual({ n: 1 });
      const users = await Promise.all(Array.from({ length: 4 }, () => adminA.json('POST', '/api/admin/users', { email: 'twin@a.example', role: 'viewer', password: PW })));
      expect(users.map((u) => u.status).sort()).toEqual([201, 409, 409, 409]);
    });

    it('answers 503 with a clear message when the database cannot write, and still serves reads', async () => {
      await db.exec(`create function sw_test_disk_full() returns trigger language plpgsql as $$ begin raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end $$;
        create trigger sw_test_disk_full before insert or update on incidents for each row execute function sw_test_disk_full();`);
      try {
        const w = await analystA.json('POST', '/api/incidents', { ...base, title: 'Written on a full disk' });
        expect(w.status).toBe(503);
        expect(w.body.error.message).toMatch(/cannot store/);
        expect((await analystA.json('GET', '/api/incidents')).status).toBe(200);
      } finally {
        await db.exec('drop trigger sw_test_disk_full on incidents; drop function sw_test_disk_full();');
      }
    });
  });

  it('creates incidents for the operator in any organisation it can read (system jobs keep working)', async () => {
    const sys = await systemActor(db);
    const inc = await createIncident(db, sys, { type: 'shutdown.full', title: 'System made', country: 'CM', startAt: '2020-01-01', tlp: 'TLP:CLEAR' });
    await expect(attachEvidence(db, sys, inc.id, { kind: 'outage_event', ref: 'sys-1' })).resolves.toMatchObject({ created: true });
  });
});
