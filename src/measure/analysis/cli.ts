import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseCommandArgs, Progress, table, UsageError, type CliCommand } from '../../core/cli-kit.js';
import { openFromEnv } from '../../platform/cli.js';
import { systemActor } from '../../incidents/service.js';
import { aggregateAnomalies, GROUP_KEYS, importJsonl, type GroupKey } from './store.js';
import { openBlockingIncidents } from './registry.js';

export const importCommand: CliCommand = {
  path: ['measure', 'import'],
  summary: 'Import OONI measurement JSONL (ours or downloaded from OONI); recompute verdicts; optionally open blocking incidents',
  usage: `stackwatch measure import FILE.jsonl... [--data-dir DIR] [--public] [--open-incidents CC] [--quiet]
  Stores each raw measurement gzip-compressed with its SHA-256, owned by the first organisation (the CLI acts as
  the system); a line whose content is already stored is skipped and listed with its line number.
  --public              mark them public (OONI's published data): every organisation may read them, raw included
  --open-incidents CC   afterwards, open a draft "website blocking" incident per domain with confirmed blocks in CC`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, { 'data-dir': { type: 'string' }, 'open-incidents': { type: 'string' }, public: { type: 'boolean' }, quiet: { type: 'boolean' } });
    if (!positionals.length) throw new UsageError('give one or more JSONL files');
    for (const f of positionals) if (!existsSync(f)) throw new UsageError(`${f}: no such file`);
    const cc = values['open-incidents']?.toUpperCase();
    if (cc !== undefined && !/^[A-Z]{2}$/.test(cc)) throw new UsageError(`--open-incidents needs an ISO 3166 alpha-2 country code, got "${values['open-incidents']}"`);
    const db = await openFromEnv(ctx.env, values['data-dir']);
    let problems = 0;
    try {
      const rows: (string | number)[][] = [];
      for (const f of positionals) {
        const progress = new Progress(ctx.stderr, basename(f), 0, Boolean(values.quiet));
        const actor = await systemActor(db);
        const r = await importJsonl(db, readFileSync(f, 'utf8'), basename(f), {
          actor,
          public: Boolean(values.public),
          onProgress: (d, t) => {
            progress.setTotal(t);
            progress.update(d);
          },
        });
        progress.done();
        for (const p of r.problems.slice(0, 50)) ctx.stderr.write(`${f}:${p.line}: ${p.message} (line skipped)\n`);
        for (const p of r.skipped.slice(0, 20)) ctx.stderr.write(`${f}:${p.line}: ${p.message} (skipped)\n`);
        if (r.skipped.length > 20) ctx.stderr.write(`${f}: ${r.skipped.length - 20} more lines skipped as already stored\n`);
        if (r.problems.length > 50) ctx.stderr.write(`${f}: ${r.problems.length - 50} more bad lines\n`);
        problems += r.problems.length;
        rows.push([f, r.lines, r.imported, r.duplicates, r.problems.length]);
      }
      ctx.stdout.write(table(['file', 'lines', 'imported', 'already stored', 'bad'], rows));
      if (cc) {
        const opened = await openBlockingIncidents(db, await systemActor(db), { country: cc });
        ctx.stdout.write(
          opened.length
            ? table(['domain', 'incident', 'new', 'measurements'], opened.map((o) => [o.domain, o.incidentId, o.created ? 'yes' : 'no', o.measurements]))
            : `no confirmed blocks in ${cc}\n`,
        );
      }
    } finally {
      await db.close();
    }
    return problems ? 1 : 0;
  },
};

export const aggregateCommand: CliCommand = {
  path: ['measure', 'aggregate'],
  summary: 'Anomalies in stored measurements, by country, ASN, domain and/or day',
  usage: `stackwatch measure aggregate [--by country,asn,domain,day] [--country CC] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--data-dir DIR]`,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(
      argv,
      { by: { type: 'string' }, country: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'data-dir': { type: 'string' } },
      false,
    );
    const by = (values.by ?? 'country').split(',').map((s) => s.trim()).filter(Boolean);
    for (const b of by) if (!(GROUP_KEYS as readonly string[]).includes(b)) throw new UsageError(`--by: "${b}" is not one of ${GROUP_KEYS.join(', ')}`);
    for (const k of ['from', 'to'] as const) {
      const v = values[k];
      if (v && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new UsageError(`--${k} must be YYYY-MM-DD, got "${v}"`);
    }
    if (values.country && !/^[A-Za-z]{2}$/.test(values.country)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code`);
    const db = await openFromEnv(ctx.env, values['data-dir']);
    try {
      const rows = await aggregateAnomalies(db, by as GroupKey[], { country: values.country, from: values.from, to: values.to });
      ctx.stdout.write(
        table(
          [...by, 'measurements', 'anomalies', 'confirmed', 'reachable', 'down', 'kinds'],
          rows.map((r) => [
            ...by.map((b) => String(r[b as GroupKey] ?? '')),
            r.measurements,
            r.anomalies,
            r.confirmed,
            r.ok,
            r.down,
            Object.entries(r.byKind).map(([k, n]) => `${k}:${n}`).join(' '),
          ]),
        ),
      );
    } finally {
      await db.close();
    }
    return 0;
  },
};
