import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { openDb } from '../../platform/db.js';
import { commands } from './cli.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/shutdowns');
const dir = mkdtempSync(join(tmpdir(), 'sw-import-cli-'));

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, text: () => text };
}

async function run(words: string[], argv: string[]) {
  const cmd = commands.find((c) => c.path.join(' ') === words.join(' '));
  if (!cmd) throw new Error(`no command ${words.join(' ')}`);
  const out = sink();
  const err = sink();
  const code = await cmd.run(argv, { stdout: out.stream, stderr: err.stream, env: { STACKWATCH_DATA_DIR: join(dir, 'data') } });
  return { code, out: out.text(), err: err.text() };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import CLI', () => {
  it('registers `import stop` and `import ioda-outages`', () => {
    expect(commands.map((c) => c.path)).toEqual([
      ['import', 'stop'],
      ['import', 'ioda-outages'],
    ]);
  });

  it('rejects bad arguments with usage (exit 2)', async () => {
    const r = await run(['import', 'stop'], []);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/expected exactly one <file>/);
    const b = await run(['import', 'stop'], ['x.xlsx', '--batch-size', 'lots']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--batch-size must be a whole number/);
    const u = await run(['import', 'stop'], ['x.xlsx', '--frobnicate']);
    expect(u.code).toBe(2);
  });

  it('imports an IODA file into the data directory and prints the summary and grouped flags', async () => {
    // The first 300 outages of the real file (kept small: this test writes to an on-disk database).
    const lines = readFileSync(join(DATA, 'ioda-investigated-outages-2018-2022.csv'), 'utf8').split('\n');
    const file = join(dir, 'ioda-300.csv');
    writeFileSync(file, lines.slice(0, 301).join('\n'));
    const r = await run(['import', 'ioda-outages'], [file, '--batch-size', '100']);
    expect(r.err).toMatch(/import ioda-outages .* 300\/300 100%/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rows read\s+imported\s+merged\s+unchanged\s+flagged/);
    // No STOP loaded: nothing to merge into, but four series of consecutive daily records (50 rows) become one incident each.
    expect(r.out).toMatch(/^300\s+249\s+50\s+0\s+\d+\s+1$/m);
    expect(r.out).toMatch(/^4 series of consecutive daily records became one incident each/m);
    expect(r.out).toMatch(/^time_reversed\s+\d+\s+row \d+: end /m);
    expect(r.out).toMatch(/^country_unknown\s+1\s+row \d+: "European Union" is not a country/m);

    const again = await run(['import', 'ioda-outages'], [file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ rowsRead: 300, imported: 0, unchanged: 299, skipped: 1 });

    const db = await openDb({ dataDir: join(dir, 'data') });
    try {
      const orgs = await db.query<{ name: string }>('select name from orgs');
      expect(orgs.rows).toEqual([{ name: 'Stackwatch' }]);
      const n = await db.query<{ n: number }>(`select count(*)::int as n from incidents where origin = 'ioda'`);
      expect(n.rows[0]!.n).toBe(249 + 4); // 249 rows of their own, 4 series (50 daily rows as their evidence)
      const audit = await db.query<{ actor_label: string; action: string }>('select actor_label, action from audit_log order by id');
      expect(audit.rows).toEqual([
        { actor_label: 'cli', action: 'import.ioda' },
        { actor_label: 'cli', action: 'import.ioda' },
      ]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('reports a malformed file and exits 1', async () => {
    const bad = join(dir, 'bad.xlsx');
    writeFileSync(bad, 'this is not a workbook');
    const r = await run(['import', 'stop'], [bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.xlsx: not a readable \.xlsx workbook/);
    expect(r.err).toMatch(/Nothing was written/);
  });
});
