/**
 * Desk benchmark. Run: `npx tsx bench/desk.ts` (about a minute). Embedded PostgreSQL (PGlite, in memory) unless
 * DATABASE_URL is set. Three figures, each beside a baseline measured in the same run:
 *
 *  1. JavaScript-less submissions with a 1 MB attachment, sealed on the server (receipt Argon2id, EXIF strip,
 *     secretbox, sealed boxes to every recipient, one transaction) — against storing the same bytes unsealed
 *     (one insert of the plain narrative and file). The ratio is the cost of sealing.
 *  2. The responders' queue (first page, unanswered first, by urgency and age, with service-target state) with
 *     DESK_BENCH_CASES open cases (default 10,000): p50/p99 — against an unordered first page of the same table.
 *  3. Checking a receipt (Argon2id + BLAKE2b + opening the reporter's key) — against the sign-in's Argon2id verify.
 *  4. Proof of work for the /report JavaScript path (SHA-256 hashcash in libsodium's WebAssembly, the code the browser
 *     runs): hashes per second and the mean time to a stamp at DESK_BENCH_POW_BITS (default 16, 18, 20) over
 *     DESK_BENCH_POW_STAMPS tokens each (default 8) — against one receipt derivation (Argon2id, figure 3) on this
 *     machine. A slow laptop or phone is about 3–5× slower than a server core; Tor adds nothing to this (it is local).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { openDb } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { bootstrapAdmin, createUser, hashPassword, systemActor } from '../src/platform/auth.js';
import { verify } from '@node-rs/argon2';
import { b64, powSolve, sodiumReady } from '../src/desk/crypto.js';
import { listCases, openWithReceipt, setEscrowKey, setResponderKey, submitPlain } from '../src/desk/service.js';
import { newResponderKey } from '../src/desk/crypto.js';
import { DeskGuard } from '../src/desk/guard.js';

const N_SUB = Number(process.env.DESK_BENCH_SUBMISSIONS ?? 20);
const N_CASES = Number(process.env.DESK_BENCH_CASES ?? 10_000);
const N_QUEUE = Number(process.env.DESK_BENCH_QUEUE_READS ?? 200);
const N_RECEIPT = Number(process.env.DESK_BENCH_RECEIPTS ?? 20);

const pct = (xs: number[], q: number) => {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.ceil(q * a.length) - 1)]!;
};
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

const db = await openDb(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: 'memory://' });
await migrate(db);
await bootstrapAdmin(db, { email: 'admin@bench.local', password: 'bench password 1234', orgName: 'Bench' });
const sys = await systemActor(db);
const s = await sodiumReady();
await setEscrowKey(db, sys, b64(s, s.crypto_box_keypair().publicKey));
for (let i = 0; i < 3; i++) {
  const u = await createUser(db, sys, { email: `r${i}@bench.local`, name: `R${i}`, role: 'responder', password: 'bench password 1234' });
  const k = newResponderKey(s, `passphrase number ${i}`, { opslimit: 2, memlimit: 8 * 1024 * 1024 });
  await setResponderKey(db, { userId: u.id, label: u.email, orgId: sys.orgId, role: 'responder', scopes: null }, { publicKey: b64(s, k.publicKey), wrappedPrivateKey: b64(s, k.wrapped), salt: b64(s, k.salt), opslimit: k.opslimit, memlimit: k.memlimit });
}
console.log(`desk benchmark on ${db.kind}; recipients: 3 responders + escrow\n`);

// 1. Sealed submissions vs unsealed storage of the same bytes.
const file = new Uint8Array(randomBytes(1024 * 1024));
file.set([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10], 0); // a JPEG start with an APP1 segment to strip
file.set([0xff, 0xda], 18);
const routing = { category: 'account_hacked' as const, country: 'KE', urgency: 'immediate' as const, safeNow: 'yes' as const, language: 'en' as const };
const narrative = 'x'.repeat(2000);
await db.exec('create table bench_plain (id uuid primary key, narrative text, contact text, file bytea, at timestamptz)');
const tPlain: number[] = [];
for (let i = 0; i < N_SUB; i++) {
  const t = performance.now();
  await db.transaction(async (tx) => {
    await tx.query('insert into bench_plain values ($1,$2,$3,$4,now())', [randomUUID(), narrative, 'signal +000', Buffer.from(file)]);
  });
  tPlain.push(performance.now() - t);
}
const tSealed: number[] = [];
let lastReceipt = '';
for (let i = 0; i < N_SUB; i++) {
  const t = performance.now();
  const r = await submitPlain(db, sys.orgId, routing, { narrative, contact: 'signal +000', contactPreference: 'contact_given' }, [{ name: 'photo.jpg', type: 'image/jpeg', bytes: file }]);
  tSealed.push(performance.now() - t);
  lastReceipt = r.receipt;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// The sealing work alone, in memory (no database): receipt Argon2id + strip + seal, against copying the bytes.
const { sealReport, generateReceipt, newSalt, deriveReporter } = await import('../src/desk/crypto.js');
const { stripMetadata } = await import('../src/desk/sanitize.js');
const rcp = (await import('../src/desk/service.js')).recipients;
const active = await rcp(db, sys.orgId);
const tMemSeal: number[] = [];
const tMemCopy: number[] = [];
for (let i = 0; i < N_SUB; i++) {
  let t = performance.now();
  const rep = deriveReporter(s, generateReceipt(s), newSalt(s));
  sealReport(s, active, rep.publicKey, { narrative, contact: 'signal +000', contactPreference: 'contact_given' }, [{ name: 'photo.jpg', type: 'image/jpeg', bytes: stripMetadata(file).bytes }]);
  tMemSeal.push(performance.now() - t);
  t = performance.now();
  Buffer.from(file).toString('base64').length;
  tMemCopy.push(performance.now() - t);
}
console.log('1. JavaScript-less submission with a 1 MB attachment');
console.log(`   sealed on arrival:     ${(1000 / mean(tSealed)).toFixed(1)} submissions/s  (mean ${fmt(mean(tSealed))}, p99 ${fmt(pct(tSealed, 0.99))})`);
console.log(`   baseline, unsealed:    ${(1000 / mean(tPlain)).toFixed(1)} submissions/s  (mean ${fmt(mean(tPlain))})`);
console.log(`   cost of sealing:       ${(mean(tSealed) / mean(tPlain)).toFixed(2)}× the unsealed write (includes one receipt Argon2id)`);
console.log(`   sealing alone, in memory: mean ${fmt(mean(tMemSeal))} (of which the receipt Argon2id is most); copying the bytes once: ${fmt(mean(tMemCopy))}\n`);

// 2. The queue with N_CASES open cases.
await db.query(
  `insert into desk_cases (id, org_id, ref, category, country, urgency, safe_now, sealed_by, status, received_at, first_reply_at)
   select gen_random_uuid(), $1, 1000 + g, (array['threat_harassment','doxxing','account_hacked','account_suspended','internet_cut'])[1 + g % 5], 'CM',
     (array['immediate','days','weeks'])[1 + g % 3], 'yes', 'server', (array['new','in_progress','waiting'])[1 + g % 3],
     now() - (g || ' minutes')::interval, case when g % 4 = 0 then null else now() - ((g / 2) || ' minutes')::interval end
   from generate_series(1, $2::int) g`,
  [sys.orgId, N_CASES],
);
const responder = { ...sys, role: 'responder' as const, userId: null };
const tQueue: number[] = [];
for (let i = 0; i < N_QUEUE; i++) {
  const t = performance.now();
  await listCases(db, responder, { open: true, page: 1, pageSize: 50 });
  tQueue.push(performance.now() - t);
}
const tBase: number[] = [];
for (let i = 0; i < N_QUEUE; i++) {
  const t = performance.now();
  await db.query('select * from desk_cases where org_id = $1 limit 50', [sys.orgId]);
  tBase.push(performance.now() - t);
}
console.log(`2. Responders' queue, first page of ${N_CASES.toLocaleString('en')} open cases (+${N_SUB} real ones), ${N_QUEUE} reads`);
console.log(`   queue (ordered, with counts and SLA state): p50 ${fmt(pct(tQueue, 0.5))}, p99 ${fmt(pct(tQueue, 0.99))}`);
console.log(`   baseline, unordered first page:            p50 ${fmt(pct(tBase, 0.5))}, p99 ${fmt(pct(tBase, 0.99))}\n`);

// 3. Receipt check vs sign-in Argon2id.
const guard = new DeskGuard();
const tReceipt: number[] = [];
for (let i = 0; i < N_RECEIPT; i++) {
  const t = performance.now();
  const oc = await openWithReceipt(db, lastReceipt, guard, 'bench');
  tReceipt.push(performance.now() - t);
  oc.reportKey.fill(0);
}
const hash = await hashPassword('bench password 1234');
const tLogin: number[] = [];
for (let i = 0; i < N_RECEIPT; i++) {
  const t = performance.now();
  await verify(hash, 'bench password 1234');
  tLogin.push(performance.now() - t);
}
console.log(`3. Receipt check (Argon2id 19 MiB t=2 in libsodium WebAssembly + lookup + key opening), ${N_RECEIPT} checks`);
console.log(`   receipt check:              p50 ${fmt(pct(tReceipt, 0.5))}, p99 ${fmt(pct(tReceipt, 0.99))}`);
console.log(`   baseline, sign-in verify:   p50 ${fmt(pct(tLogin, 0.5))}, p99 ${fmt(pct(tLogin, 0.99))}  (@node-rs/argon2, native, same parameters)`);
console.log(`   ratio: ${(pct(tReceipt, 0.5) / pct(tLogin, 0.5)).toFixed(2)}×\n`);

// 4. Proof of work: what a reporter's browser spends per submission at each difficulty.
const POW_BITS = (process.env.DESK_BENCH_POW_BITS ?? '16,18,20').split(',').map(Number);
const N_STAMPS = Number(process.env.DESK_BENCH_POW_STAMPS ?? 8);
console.log(`4. Proof of work (SHA-256 hashcash, libsodium WebAssembly), ${N_STAMPS} stamps per difficulty`);
for (const bits of POW_BITS) {
  let hashes = 0;
  const t = performance.now();
  for (let i = 0; i < N_STAMPS; i++) hashes += parseInt(powSolve(s, guard.formToken(Date.now()), bits), 36) + 1;
  const ms = performance.now() - t;
  console.log(`   ${bits} bits: mean ${fmt(ms / N_STAMPS)} per stamp (expected 2^${bits} = ${(2 ** bits).toLocaleString('en')} hashes; ${Math.round((hashes / ms) * 1000).toLocaleString('en')} hashes/s)`);
}
console.log(`   baseline, one receipt derivation (figure 3): ${fmt(pct(tReceipt, 0.5))}`);
await db.close();
