/**
 * Desk sub-commands (run with the server stopped when the database is the embedded one):
 *   stackwatch desk escrow-key [--org NAME]                       make the organisation's escrow key pair; prints the
 *                                                                  private key ONCE (keep it offline), stores the public
 *   stackwatch desk recover --ref N --key-file FILE --out DIR [--org NAME]
 *                                                                  open one case with the escrow private key (recovery
 *                                                                  when a responder left or forgot the passphrase);
 *                                                                  run it on an offline machine with a copy of the data
 *   stackwatch desk jobs [--now ISO]                               run the service-target, grant-deadline and retention
 *                                                                  jobs once
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandArgs, UsageError, type CliCommand } from '../core/cli-kit.js';
import { AppError } from '../core/errors.js';
import { openFromEnv } from '../platform/cli.js';
import { ensureOrg, firstOrgId, systemActor } from '../platform/auth.js';
import type { Db } from '../platform/db.js';
import { b64, bytesText, decrypt, openSealed, sodiumReady, unb64, unpackFile } from './crypto.js';
import { grantDeadlines, retentionTick, setEscrowKey, slaTick } from './service.js';

async function orgId(db: Db, name?: string): Promise<string> {
  if (name) {
    const r = (await db.query<{ id: string }>('select id from orgs where name = $1', [name])).rows[0];
    if (!r) throw new UsageError(`No organisation named "${name}".`);
    return r.id;
  }
  return (await firstOrgId(db)) ?? (await db.transaction((tx) => ensureOrg(tx, 'Stackwatch')));
}

async function guard(stderr: NodeJS.WritableStream, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError || e instanceof AppError) {
      stderr.write(`error: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

export const commands: CliCommand[] = [
  {
    path: ['desk', 'escrow-key'],
    summary: 'Make the organisation\'s escrow key pair (prints the private key once; keep it offline)',
    usage: 'stackwatch desk escrow-key [--org NAME]',
    run: (argv, ctx) =>
      guard(ctx.stderr, async () => {
        const { values } = parseCommandArgs(argv, { org: { type: 'string' } }, false);
        const db = await openFromEnv(ctx.env);
        try {
          const s = await sodiumReady();
          const kp = s.crypto_box_keypair();
          const org = await orgId(db, values.org);
          const actor = { ...(await systemActor(db)), orgId: org, label: 'system (desk escrow-key)' };
          const { id } = await setEscrowKey(db, actor, b64(s, kp.publicKey));
          ctx.stdout.write(
            `Escrow key ${id} registered. Every new report is now also sealed to it.\n` +
              `PRIVATE KEY (shown once; print it or store it on an offline medium, never on this server):\n${b64(s, kp.privateKey)}\n`,
          );
          s.memzero(kp.privateKey);
          return 0;
        } finally {
          await db.close();
        }
      }),
  },
  {
    path: ['desk', 'recover'],
    summary: 'Open one case with the escrow private key and write its content to a folder (offline recovery)',
    usage: 'stackwatch desk recover --ref N --key-file FILE --out DIR [--org NAME]',
    run: (argv, ctx) =>
      guard(ctx.stderr, async () => {
        const { values } = parseCommandArgs(argv, { ref: { type: 'string' }, 'key-file': { type: 'string' }, out: { type: 'string' }, org: { type: 'string' } }, false);
        if (!values.ref || !/^\d+$/.test(values.ref)) throw new UsageError('--ref must be the case number');
        if (!values['key-file']) throw new UsageError('--key-file is required (a file holding the escrow private key, base64)');
        if (!values.out) throw new UsageError('--out is required (a folder for the recovered files)');
        const s = await sodiumReady();
        let sk: Uint8Array;
        try {
          sk = unb64(s, readFileSync(values['key-file'], 'utf8').trim());
        } catch {
          throw new UsageError('--key-file does not hold a base64 private key');
        }
        const pk = s.crypto_scalarmult_base(sk);
        const db = await openFromEnv(ctx.env);
        try {
          const org = await orgId(db, values.org);
          const c = (await db.query<{ id: string; destroyed_at: Date | null }>('select id, destroyed_at from desk_cases where org_id = $1 and ref = $2', [org, Number(values.ref)])).rows[0];
          if (!c) throw new UsageError(`No case #${values.ref}.`);
          if (c.destroyed_at) throw new UsageError(`The sealed content of case #${values.ref} was destroyed.`);
          const keys = await db.query<{ purpose: string; sealed_key: Uint8Array; public_key: Uint8Array }>(
            `select ck.purpose, ck.sealed_key, k.public_key from desk_case_keys ck join desk_keys k on k.id = ck.key_id where ck.case_id = $1 and ck.recipient = 'escrow'`,
            [c.id],
          );
          const open: Record<string, Uint8Array> = {};
          for (const k of keys.rows) {
            if (Buffer.compare(Buffer.from(k.public_key), Buffer.from(pk)) !== 0) continue;
            open[k.purpose] = openSealed(s, new Uint8Array(k.sealed_key), pk, sk);
          }
          if (!open.report) throw new UsageError('This escrow key does not open the case (it was sealed to another escrow key).');
          mkdirSync(values.out, { recursive: true });
          const items = await db.query<{ id: string; kind: string; purpose: string; at: Date; ciphertext: Uint8Array }>('select id, kind, purpose, at, ciphertext from desk_items where case_id = $1 order by seq', [c.id]);
          let n = 0;
          for (const it of items.rows) {
            const key = open[it.purpose];
            if (!key) continue;
            const plain = decrypt(s, key, new Uint8Array(it.ciphertext));
            const stem = `${String(++n).padStart(3, '0')}-${it.kind}`;
            if (it.kind === 'attachment') {
              const f = unpackFile(plain);
              writeFileSync(join(values.out, `${stem}-${f.name.replace(/[^\w.-]/g, '_')}`), f.bytes);
            } else writeFileSync(join(values.out, `${stem}.json`), bytesText(plain));
          }
          for (const k of Object.values(open)) s.memzero(k);
          s.memzero(sk);
          ctx.stdout.write(`Recovered ${n} item(s) of case #${values.ref} into ${values.out}. Destroy this copy when you are done.\n`);
          return 0;
        } finally {
          await db.close();
        }
      }),
  },
  {
    path: ['desk', 'jobs'],
    summary: 'Run the desk jobs once: service targets, grant deadlines, retention',
    usage: 'stackwatch desk jobs [--now ISO-8601]',
    run: (argv, ctx) =>
      guard(ctx.stderr, async () => {
        const { values } = parseCommandArgs(argv, { now: { type: 'string' } }, false);
        const now = values.now ? new Date(values.now) : new Date();
        if (Number.isNaN(now.getTime())) throw new UsageError('--now must be an ISO 8601 date-time');
        const db = await openFromEnv(ctx.env);
        try {
          const sla = await slaTick(db, now);
          const grants = await grantDeadlines(db, now);
          const ret = await retentionTick(db, now);
          ctx.stdout.write(`service targets: ${sla.warned} warned, ${sla.escalated} escalated; grants: ${grants.dueSoon} due soon, ${grants.overdue} overdue; retention: ${ret.destroyed} destroyed, ${ret.held} on legal hold\n`);
          return 0;
        } finally {
          await db.close();
        }
      }),
  },
];
