import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/platform/db.js';

/**
 * The real thing: `stackwatch import` killed with SIGKILL in the middle of an import on the embedded database, then
 * run again. Nothing may be half-written, the data directory must open again, and the re-run must end where an
 * uninterrupted import ends.
 */
const BIN = join(__dirname, '..', '..', 'bin', 'stackwatch.js');
const FILE = join(__dirname, '..', '..', 'seed', 'shutdowns', 'ioda-investigated-outages-2018-2022.csv');

async function counts(dir: string) {
  const db = await openDb({ dataDir: dir });
  try {
    const q = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;
    return {
      incidents: await q('select count(*)::int n from incidents'),
      history: await q("select count(*)::int n from incident_history where action = 'import'"),
      // every incident of the import has exactly one history row: a half-written batch would break this
      orphans: await q("select count(*)::int n from incidents i where not exists (select 1 from incident_history h where h.incident_id = i.id)"),
    };
  } finally {
    await db.close();
  }
}

describe('an import killed midway', () => {
  it('leaves whole batches only, and the re-run completes it', async () => {
    const killed = mkdtempSync(join(tmpdir(), 'sw-kill-'));
    const clean = mkdtempSync(join(tmpdir(), 'sw-clean-'));
    try {
      const env = { ...process.env, STACKWATCH_DATA_DIR: killed };
      spawnSync(process.execPath, [BIN, 'migrate'], { env });
      const child = spawn(process.execPath, [BIN, 'import', 'ioda-outages', FILE, '--batch-size', '5'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      // Small batches make the import take a few seconds; kill it shortly after the first batch is committed.
      let exited = false;
      child.on('exit', () => (exited = true));
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (/\d+\/1704/.test(out)) {
            clearInterval(timer);
            setTimeout(() => {
              if (exited) reject(new Error(`the import finished before it could be killed:\n${out.slice(-500)}`));
              child.kill('SIGKILL');
              resolve();
            }, 700);
          }
        }, 10);
        child.on('exit', (code, sig) => {
          if (sig !== 'SIGKILL') {
            clearInterval(timer);
            reject(new Error(`the import ended (${code}) before it could be killed:\n${out.slice(-500)}`));
          }
        });
      });
      await new Promise((r) => child.once('exit', r));
      const partial = await counts(killed);
      expect(partial.incidents).toBeGreaterThan(0);
      expect(partial.incidents).toBeLessThan(1702);
      expect(partial.orphans).toBe(0);
      expect(partial.history).toBe(partial.incidents);

      const rerun = spawnSync(process.execPath, [BIN, 'import', 'ioda-outages', FILE, '--quiet'], { env, encoding: 'utf8' });
      expect(rerun.status, rerun.stderr).toBe(0);
      const full = spawnSync(process.execPath, [BIN, 'import', 'ioda-outages', FILE, '--quiet'], { env: { ...process.env, STACKWATCH_DATA_DIR: clean }, encoding: 'utf8' });
      expect(full.status, full.stderr).toBe(0);
      const a = await counts(killed);
      const b = await counts(clean);
      expect(a).toEqual(b);
      expect(a.orphans).toBe(0);
    } finally {
      rmSync(killed, { recursive: true, force: true });
      rmSync(clean, { recursive: true, force: true });
    }
  }, 240_000);
});
