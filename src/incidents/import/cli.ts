import { randomUUID } from 'node:crypto';
import { Progress, UsageError, parseCommandArgs, table, type CliCommand, type CliContext } from '../../core/cli-kit.js';
import { openDb, type Db } from '../../platform/db.js';
import { migrate } from '../../platform/migrate.js';
import type { ImportOptions, ImportSummary } from './model.js';
import { ImportFileError, importIodaOutages, importStop, loadHistory } from './service.js';

export { loadHistory };

/** The organisation imports belong to: the first one created, or a new "Stackwatch" organisation. */
export async function defaultOrgId(db: Db): Promise<string> {
  const r = await db.query<{ id: string }>('select id from orgs order by created_at, name limit 1');
  if (r.rows[0]) return r.rows[0].id;
  const id = randomUUID();
  await db.query(`insert into orgs (id, name) values ($1, 'Stackwatch') on conflict (name) do nothing`, [id]);
  const again = await db.query<{ id: string }>(`select id from orgs where name = 'Stackwatch'`);
  return again.rows[0]!.id;
}

/** Summary table, then the flag reasons grouped by code with counts and a few examples. */
export function formatSummary(s: ImportSummary): string {
  let out = table(
    ['rows read', 'imported', 'merged', 'unchanged', 'flagged', 'flagged only (not written)'],
    [[s.rowsRead, s.imported, s.merged, s.unchanged, s.flagged, s.skipped]],
  );
  if (s.series) out += `\n${s.series} series of consecutive daily records became one incident each (their rows count as merged).\n`;
  if (s.likelyDuplicates) out += `\n${s.likelyDuplicates} new incidents have likely duplicates in the registry: review them in the console or with GET /api/duplicates.\n`;
  const sheets = Object.entries(s.perSheet);
  if (sheets.length > 1) out += `\n${table(['sheet', 'rows'], sheets.map(([k, v]) => [k, v]))}`;
  if (s.flags.length) {
    const groups = new Map<string, { n: number; example: string }>();
    for (const f of s.flags) {
      const g = groups.get(f.code);
      if (g) g.n++;
      else groups.set(f.code, { n: 1, example: `${f.sheet ? `${f.sheet} ` : ''}row ${f.row}: ${f.reason}` });
    }
    out += `\n${table(
      ['flag', 'rows', 'example'],
      [...groups.entries()].sort((a, b) => b[1].n - a[1].n).map(([code, g]) => [code, g.n, g.example.length > 110 ? `${g.example.slice(0, 109)}…` : g.example]),
    )}`;
  }
  return out;
}

const OPTIONS = {
  'batch-size': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function importCommand(
  words: string[],
  summary: string,
  what: string,
  fn: (db: Db, file: string, opts: ImportOptions) => Promise<ImportSummary>,
): CliCommand {
  const usage = `stackwatch ${words.join(' ')} <file> [--batch-size N] [--quiet] [--json]\n  ${what}`;
  return {
    path: words,
    summary,
    usage,
    async run(argv: string[], ctx: CliContext): Promise<number> {
      let file: string;
      let batchSize: number | undefined;
      let values;
      try {
        const parsed = parseCommandArgs(argv, OPTIONS);
        values = parsed.values;
        if (values.help) {
          ctx.stdout.write(`${usage}\n`);
          return 0;
        }
        if (parsed.positionals.length !== 1) throw new UsageError(`expected exactly one <file>, got ${parsed.positionals.length}`);
        file = parsed.positionals[0]!;
        if (values['batch-size'] !== undefined) {
          batchSize = Number(values['batch-size']);
          if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) throw new UsageError('--batch-size must be a whole number from 1 to 10000');
        }
      } catch (e) {
        if (e instanceof UsageError) {
          ctx.stderr.write(`error: ${e.message}\nusage: ${usage}\n`);
          return 2;
        }
        throw e;
      }
      let db: Db | undefined;
      try {
        db = await openDb({ databaseUrl: ctx.env.DATABASE_URL, dataDir: ctx.env.STACKWATCH_DATA_DIR ?? './data' });
        await migrate(db);
        const orgId = await defaultOrgId(db);
        const progress = new Progress(ctx.stderr, words.join(' '), 0, Boolean(values.quiet) || Boolean(values.json));
        const result = await fn(db, file, {
          orgId,
          actorLabel: ctx.env.STACKWATCH_ACTOR ?? 'cli',
          ...(batchSize ? { batchSize } : {}),
          onProgress: (done, total) => {
            progress.setTotal(total);
            progress.update(done);
          },
        });
        progress.done();
        ctx.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatSummary(result));
        return 0;
      } catch (e) {
        if (e instanceof ImportFileError) {
          ctx.stderr.write(`error: ${file}: ${e.message}\nNothing was written.\n`);
          return 1;
        }
        ctx.stderr.write(`error: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await db?.close();
      }
    },
  };
}

/** `stackwatch import stop <file>` and `stackwatch import ioda-outages <file>`. */
export const commands: CliCommand[] = [
  importCommand(
    ['import', 'stop'],
    'Import the Access Now #KeepItOn STOP workbook (.xlsx, every sheet) into the incident registry',
    'Re-running changes nothing; an interrupted import completes on the next run.',
    importStop,
  ),
  importCommand(
    ['import', 'ioda-outages'],
    "Import IODA's investigated-outages CSV; outages matching a STOP shutdown become evidence on it",
    'Import STOP first so that matching outages attach to its shutdowns. Re-running changes nothing.',
    importIodaOutages,
  ),
];
