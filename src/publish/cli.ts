import { writeFile } from 'node:fs/promises';
import { UsageError, parseCommandArgs, type CliCommand, type CliContext } from '../core/cli-kit.js';
import { isCountryCode } from '../core/countries.js';
import { openDb, type Db } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { isLang, LANGS, type Lang } from './i18n.js';
import { annualFigures, annualHtml, countryReportHtml, htmlToPdf } from './report.js';
import { siteSettings } from './settings.js';
import { writeSnapshot } from './snapshot.js';

/** `stackwatch report annual|country` and `stackwatch publish snapshot`. */

async function withDb<T>(ctx: CliContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb({ databaseUrl: ctx.env.DATABASE_URL, dataDir: ctx.env.STACKWATCH_DATA_DIR ?? './data' });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

function langOpt(v: unknown): Lang {
  const l = String(v ?? 'en');
  if (!isLang(l)) throw new UsageError(`--lang must be one of ${LANGS.join(', ')}`);
  return l;
}
function formatOpt(v: unknown): 'html' | 'pdf' {
  const f = String(v ?? 'html');
  if (f !== 'html' && f !== 'pdf') throw new UsageError('--format must be html or pdf');
  return f;
}
const dateOpt = (name: string, v: unknown) => {
  const s = String(v ?? '');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(s))) throw new UsageError(`--${name} must be a date (YYYY-MM-DD)`);
  return s;
};

/** Links in a report point at the public server (STACKWATCH_PUBLIC_URL, or the default local address). */
const baseUrl = (ctx: CliContext) => `${(ctx.env.STACKWATCH_PUBLIC_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}/`;

async function output(ctx: CliContext, html: string, format: 'html' | 'pdf', out: string | undefined): Promise<void> {
  const body = format === 'pdf' ? await htmlToPdf(html) : Buffer.from(html);
  if (out) {
    await writeFile(out, body);
    ctx.stderr.write(`wrote ${out} (${body.length} bytes)\n`);
  } else if (format === 'pdf') {
    throw new UsageError('a PDF needs --out <file>');
  } else ctx.stdout.write(body);
}

export const commands: CliCommand[] = [
  {
    path: ['report', 'annual'],
    summary: 'Annual shutdown report from the Access Now STOP data (HTML or PDF); every figure links to its query',
    usage: 'stackwatch report annual --year 2022 [--format html|pdf] [--lang en|fr|es|ar] [--out report.pdf] [--json]',
    async run(argv, ctx) {
      const { values } = parseCommandArgs(argv, { year: { type: 'string' }, format: { type: 'string' }, lang: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, false);
      const year = Number(values.year);
      if (!Number.isInteger(year) || year < 2016 || year > 2100) throw new UsageError('--year must be a year, 2016 or later');
      const lang = langOpt(values.lang);
      const format = formatOpt(values.format);
      return withDb(ctx, async (db) => {
        const f = await annualFigures(db, year, lang);
        if (values.json) {
          ctx.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
          return 0;
        }
        await output(ctx, annualHtml(f, lang, { publisher: (await siteSettings(db)).publicName, baseUrl: baseUrl(ctx) }), format, values.out);
        ctx.stderr.write(`${year}: ${f.shutdowns} shutdowns in ${f.countries} countries\n`);
        return 0;
      });
    },
  },
  {
    path: ['report', 'country'],
    summary: 'Country report: incidents, laws, blocked sites and outage events over a period (HTML or PDF)',
    usage: 'stackwatch report country IR --from 2019-01-01 --to 2019-12-31 [--format html|pdf] [--lang en|fr|es|ar] [--out report.pdf]',
    async run(argv, ctx) {
      const { values, positionals } = parseCommandArgs(argv, { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, lang: { type: 'string' }, out: { type: 'string' } });
      const cc = (positionals[0] ?? '').toUpperCase();
      if (!isCountryCode(cc)) throw new UsageError('give an ISO 3166-1 alpha-2 country code, e.g. IR');
      const from = dateOpt('from', values.from);
      const to = dateOpt('to', values.to);
      if (to < from) throw new UsageError('--to must not be before --from');
      const lang = langOpt(values.lang);
      const format = formatOpt(values.format);
      return withDb(ctx, async (db) => {
        const html = await countryReportHtml(db, cc, `${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`, lang, { publisher: (await siteSettings(db)).publicName, baseUrl: baseUrl(ctx) });
        await output(ctx, html, format, values.out);
        return 0;
      });
    },
  },
  {
    path: ['publish', 'snapshot'],
    summary: 'Write a versioned open data snapshot (CSV, JSON, OONI JSONL, dictionary, licences, SHA-256 manifest)',
    usage: 'stackwatch publish snapshot --out ./snapshots',
    async run(argv, ctx) {
      const { values } = parseCommandArgs(argv, { out: { type: 'string' } }, false);
      if (!values.out) throw new UsageError('--out <folder> is required');
      return withDb(ctx, async (db) => {
        const { folder, snapshot } = await writeSnapshot(db, values.out!);
        ctx.stdout.write(`snapshot ${snapshot.version} → ${folder}\n${snapshot.manifest.files.map((f) => `  ${f.name.padEnd(28)} ${String(f.bytes).padStart(10)}  ${f.sha256}`).join('\n')}\n`);
        return 0;
      });
    },
  },
];
