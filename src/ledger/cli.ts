/**
 * `stackwatch ledger …`: imports (Google, DSA dumps, Lumen, any CSV through a mapping, interventions), the named
 * queries, and surges. Imports show a progress bar and end with a summary; re-running one changes nothing.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Progress, UsageError, parseCommandArgs, table, type CliCommand, type CliContext } from '../core/cli-kit.js';
import { loadConfig } from '../platform/config.js';
import { openFromEnv } from '../platform/cli.js';
import { systemActor } from '../platform/auth.js';
import type { Actor } from '../platform/audit.js';
import { ledgerFor, openConfiguredLedger, type LedgerEngine } from './engine.js';
import { lentDb } from '../platform/db.js';
import { importGoogle } from './import/google.js';
import { importDsaDay } from './import/dsa.js';
import { importLumen } from './import/lumen.js';
import { importGeneric } from './import/generic.js';
import { QUERY_NAMES, runQuery, type QueryName } from './queries.js';
import { describeSurgeRule, findSurges, importInterventionsCsv, linkInterventions, linkSurges } from './service.js';
import type { ImportSummary } from './store.js';

/** Reads without a signed-in user see what the public sees: TLP:CLEAR and TLP:GREEN rows. */
const CLI_READER: Actor = { userId: null, label: 'cli', orgId: '', role: 'partner', scopes: null };

/**
 * Runs `fn` on the ledger. A command that a running server runs for the local CLI (src/ops/remote.ts) uses the
 * server's own engine: DuckDB has one writer per file, so the CLI never opens the server's ledger.duckdb a second time.
 */
async function withLedger<T>(ctx: CliContext, fn: (e: LedgerEngine) => Promise<T>): Promise<T> {
  const lent = lentDb();
  if (lent) return fn(await ledgerFor(lent));
  const cfg = loadConfig(ctx.env);
  let e: LedgerEngine;
  try {
    e = await openConfiguredLedger({ dataDir: cfg.dataDir, clickhouseUrl: ctx.env.LEDGER_CLICKHOUSE_URL });
  } catch (err) {
    const msg = (err as Error).message;
    if (/Could not set lock|Conflicting lock/i.test(msg)) {
      const pid = /PID (\d+)/.exec(msg)?.[1];
      throw new Error(
        `the ledger's DuckDB file in ${cfg.dataDir} is open in another process${pid ? ` (pid ${pid})` : ''}. A Stackwatch server on the embedded registry runs ledger commands for the CLI itself; ` +
          'with DATABASE_URL set it does not (see docs/ledger.md): stop that process and run the command again.',
      );
    }
    throw err;
  }
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

function summaryLines(s: ImportSummary & { status?: string; checksum?: string; failedParts?: { part: string; error: string }[]; duplicateOf?: { file: string; rows: number }[] }): string {
  const lines = [
    // an import found done keeps its loaded and flagged counts, not the file's row count
    `${s.file}: ${s.skipped ? 'already imported, nothing changed' : `${s.status ?? 'done'}`} — ${s.skipped ? '' : `${s.rowsRead} rows read, `}${s.rowsLoaded} loaded, ${s.rowsFlagged} flagged (import ${s.importId}, sha256 ${s.sha256.slice(0, 12)}…)`,
  ];
  // Google's detailed files give court and executive/police counts on one row: each becomes a record of its own
  if (!s.skipped && s.rowsLoaded > s.rowsRead) lines.push(`  ${s.rowsLoaded} records from ${s.rowsRead} rows: a row that counts several requester types becomes one record for each`);
  if (s.checksum) lines.push(`  checksum: ${s.checksum}`);
  // the same statements in another packaging of the day (full and light, global and per platform) count once
  for (const d of s.duplicateOf ?? []) lines.push(`  ${d.rows} statements already loaded from ${d.file}: counted once, not loaded again`);
  for (const f of s.failedParts ?? []) lines.push(`  part not loaded: ${f.part}: ${f.error}`);
  for (const f of s.flags.slice(0, 10)) lines.push(`  flagged ${f.part ? `${f.part} ` : ''}line ${f.row_no}: ${f.reason}`);
  if (s.flags.length > 10) lines.push(`  … ${s.rowsFlagged - 10} more flagged rows (GET /api/ledger/imports/${s.importId}/flags)`);
  return `${lines.join('\n')}\n`;
}

const IMPORT_OPTS = { json: { type: 'boolean' }, quiet: { type: 'boolean' }, map: { type: 'string' }, sha1: { type: 'string' } } as const;

const importCommand: CliCommand = {
  path: ['ledger', 'import'],
  summary: 'Import transparency data: google <file>… | dsa <day.zip> [--sha1 HEX] | lumen <file.json> | csv <file> --map <mapping.json> | interventions <file.csv>',
  usage: 'stackwatch ledger import <google|dsa|lumen|csv|interventions> <file>... [--map mapping.json] [--sha1 HEX] [--json] [--quiet]',
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, IMPORT_OPTS);
    const [kind, ...files] = positionals;
    if (!kind || !['google', 'dsa', 'lumen', 'csv', 'interventions'].includes(kind)) throw new UsageError('say what to import: google, dsa, lumen, csv or interventions');
    if (!files.length) throw new UsageError('give at least one file');
    if (kind === 'csv' && !values.map) throw new UsageError('a generic CSV needs --map <mapping.json> (fields → columns)');
    const quiet = Boolean(values.quiet) || Boolean(values.json);
    const out: unknown[] = [];
    if (kind === 'interventions') {
      const db = await openFromEnv(ctx.env);
      try {
        const actor = await systemActor(db);
        await withLedger(ctx, async (e) => {
          for (const f of files) {
            const s = await importInterventionsCsv(db, e, actor, readFileSync(f, 'utf8'), basename(f));
            out.push(s);
            if (!values.json) ctx.stdout.write(summaryLines(s));
          }
        });
      } finally {
        await db.close();
      }
    } else {
      await withLedger(ctx, async (e) => {
        for (const f of files) {
          const bar = new Progress(ctx.stderr, `${kind} ${basename(f)}`, 1, quiet);
          let s: ImportSummary;
          if (kind === 'google') s = await importGoogle(e, f, { onProgress: (d, t) => (bar.setTotal(t), bar.update(d)) });
          else if (kind === 'dsa') s = await importDsaDay(e, f, { sha1: values.sha1, onProgress: (d, t, part) => (bar.setTotal(t), bar.update(d, part)) });
          else if (kind === 'lumen') s = await importLumen(e, f);
          else {
            let mapping: unknown;
            try {
              mapping = JSON.parse(readFileSync(values.map!, 'utf8'));
            } catch (err) {
              throw new UsageError(`--map ${values.map}: ${(err as Error).message}`);
            }
            s = await importGeneric(e, f, mapping, { orgId: '', by: 'cli' });
          }
          bar.update(1);
          bar.done();
          out.push(s);
          if (!values.json) ctx.stdout.write(summaryLines(s));
        }
      });
    }
    if (values.json) ctx.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
    const failed = out.some((s) => (s as { status?: string }).status === 'failed');
    return failed ? 1 : 0;
  },
};

const QUERY_OPTS = {
  json: { type: 'boolean' }, csv: { type: 'boolean' }, country: { type: 'string' }, year: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  series: { type: 'string' }, by: { type: 'string' }, 'requester-type': { type: 'string' }, platform: { type: 'string' }, category: { type: 'string' },
  limit: { type: 'string' }, dataset: { type: 'string' }, kind: { type: 'string' }, google: { type: 'string' },
} as const;

const queryCommand: CliCommand = {
  path: ['ledger', 'query'],
  summary: `Run a named query: ${QUERY_NAMES.join(', ')} (e.g. requests --country RU --year 2022 --json)`,
  usage: `stackwatch ledger query <${QUERY_NAMES.join('|')}> [--country CC] [--year Y] [--from Y|DATE] [--to Y|DATE] [--by a,b] [--series google|google-detailed|lumen|interventions|all] [--json|--csv]`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, QUERY_OPTS);
    const name = positionals[0] as QueryName | undefined;
    if (!name || !QUERY_NAMES.includes(name)) throw new UsageError(`name a query: ${QUERY_NAMES.join(', ')}`);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'string') params[k === 'requester-type' ? 'requester_type' : k] = v;
    return withLedger(ctx, async (e) => {
      const res = await runQuery(e, name, params, CLI_READER);
      if (values.json) {
        // one figure asked for (a country and a year): answer it plainly, e.g. 57958
        const one = res.rows.length === 1 && name === 'requests' && params.country && params.year ? res.rows[0]! : null;
        ctx.stdout.write(`${JSON.stringify(one && one.requests_low === one.requests_high ? one.requests_low : one ? { at_least: one.requests_low, at_most: one.requests_high } : res, null, one ? 0 : 2)}\n`);
      } else if (values.csv) {
        const cols = res.rows.length ? Object.keys(res.rows[0]!) : [];
        ctx.stdout.write(`${cols.join(',')}\n${res.rows.map((r) => cols.map((c) => { const s = r[c] === null ? '' : String(r[c]); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; }).join(',')).join('\n')}\n`);
      } else {
        const cols = res.rows.length ? Object.keys(res.rows[0]!) : [];
        ctx.stdout.write(res.rows.length ? table(cols, res.rows.map((r) => cols.map((c) => (r[c] === null ? '—' : (r[c] as string | number))))) : 'No rows.\n');
        ctx.stdout.write(`\nNote: ${res.caveat}\n`);
      }
      return 0;
    });
  },
};

const surgesCommand: CliCommand = {
  path: ['ledger', 'surges'],
  summary: 'List surges of demands (rule: a half-year > 2× the trailing mean of 4, and ≥ 50); --link opens draft incidents; --interventions links interventions too',
  usage: 'stackwatch ledger surges [--country CC] [--link] [--interventions] [--json]',
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { country: { type: 'string' }, link: { type: 'boolean' }, interventions: { type: 'boolean' }, json: { type: 'boolean' } }, false);
    return withLedger(ctx, async (e) => {
      const surges = await findSurges(e, CLI_READER, values.country ? { country: values.country.toUpperCase() } : {});
      let links: unknown[] = [];
      if (values.link || values.interventions) {
        const db = await openFromEnv(ctx.env);
        try {
          const actor = await systemActor(db);
          if (values.link) links = await linkSurges(db, e, actor, surges);
          if (values.interventions) links = [...links, ...(await linkInterventions(db, e, actor, values.country ? { country: values.country.toUpperCase() } : {}))];
        } finally {
          await db.close();
        }
      }
      if (values.json) ctx.stdout.write(`${JSON.stringify({ rule: describeSurgeRule(), surges, links }, null, 2)}\n`);
      else {
        ctx.stdout.write(`Rule: ${describeSurgeRule()}\n`);
        ctx.stdout.write(surges.length ? table(['country', 'half-year', 'requests', 'trailing mean'], surges.map((s) => [s.country, s.halfYear, s.requests, s.trailingMean])) : 'No surges.\n');
        if (links.length) ctx.stdout.write(`${links.length} incident link(s) made or confirmed.\n`);
      }
      return 0;
    });
  },
};

export const commands: CliCommand[] = [importCommand, queryCommand, surgesCommand];
