import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/**
 * Applies `migrations/*.sql` in name order, each in its own transaction, once. Numbering: 0001–0099 the spine
 * (platform + incidents), 0100–0199 measure, 0200–0299 outages, 0300– ledger, 0400– desk.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`);
  const done = new Set((await db.query<{ name: string }>('select name from schema_migrations')).rows.map((r) => r.name));
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const f of files) {
    if (done.has(f)) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    await db.transaction(async (tx) => {
      // Statements are separated by lines holding only `-- statement` or by `;` at line end.
      for (const stmt of splitStatements(text)) await tx.query(stmt);
      await tx.query('insert into schema_migrations (name) values ($1)', [f]);
    });
    applied.push(f);
  }
  return applied;
}

/** Splits a migration on semicolons that end a line, outside dollar-quoted bodies. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let buf = '';
  let inDollar = false;
  for (const line of text.split('\n')) {
    const dollars = (line.match(/\$\$/g) ?? []).length;
    if (dollars % 2 === 1) inDollar = !inDollar;
    buf += line + '\n';
    if (!inDollar && /;\s*(--.*)?$/.test(line)) {
      const s = buf.trim();
      if (s.replace(/--.*$/gm, '').trim()) out.push(s);
      buf = '';
    }
  }
  if (buf.replace(/--.*$/gm, '').trim()) out.push(buf.trim());
  return out;
}
