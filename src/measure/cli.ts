import { readFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseCommandArgs, Progress, UsageError, type CliCommand, type CliContext } from '../core/cli-kit.js';
import { parseResolver } from './net/resolver.js';
import { OONI_TIMEOUTS } from './net/fetch-chain.js';
import { checkUrl, parseInputFile, type ProbeInput } from './probe/inputs.js';
import { runProbe, summaryTable } from './probe/runner.js';
import { startTestHelper } from './helper/th.js';
import { loadScenario, SHIPPED_SCENARIOS } from './lab/scenario.js';
import { labReportText, runLab } from './lab/run.js';
import { importCommand, aggregateCommand } from './analysis/cli.js';

/** The public OONI test helper; ours (`stackwatch th`) speaks the same protocol. */
export const DEFAULT_TH = 'https://0.th.ooni.org/';

function intOpt(v: string | undefined, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

const probeCommand: CliCommand = {
  path: ['probe'],
  summary: 'Run the web-connectivity test over URLs, a Citizen Lab test list or a URL file; write OONI JSONL',
  usage: `stackwatch probe [URL...] [--input FILE]... [--out measurements.jsonl]
  --input FILE          Citizen Lab test-list CSV (url,category_code,...) or a file of URLs, one a line
  --out FILE            JSONL output (default measurements.jsonl); URLs already in it are skipped (resume)
  --resolver R          system (default) | udp://IP:PORT | https://doh.example/dns-query
  --th URL              test helper (default ${DEFAULT_TH}); "none" to run without a control
  --concurrency N       URLs measured at once (default 8)
  --per-host-gap-ms N   pause between two URLs of the same host (default 1000)
  --dns-timeout-ms, --tcp-timeout-ms, --tls-timeout-ms, --http-timeout-ms, --th-timeout-ms  (OONI defaults 4s/10s/10s/10s/30s)
  --country CC --asn ASNNN --network NAME   probe metadata written into each measurement (default ZZ, AS0)
  --probe-ip IP         write the probe's IP into measurements (off by default: 127.0.0.1 is written)
  --limit N             measure at most N URLs
  --samples N           body-transfer samples per large page (default 3) for the throttling finding: a page
                        repeatedly 10x slower than similar-sized pages of the same run (see docs/measure.md)
  --quiet               no progress bar`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, {
      input: { type: 'string', multiple: true },
      out: { type: 'string' },
      resolver: { type: 'string' },
      th: { type: 'string' },
      concurrency: { type: 'string' },
      'per-host-gap-ms': { type: 'string' },
      'dns-timeout-ms': { type: 'string' },
      'tcp-timeout-ms': { type: 'string' },
      'tls-timeout-ms': { type: 'string' },
      'http-timeout-ms': { type: 'string' },
      'th-timeout-ms': { type: 'string' },
      country: { type: 'string' },
      asn: { type: 'string' },
      network: { type: 'string' },
      'probe-ip': { type: 'string' },
      limit: { type: 'string' },
      samples: { type: 'string' },
      quiet: { type: 'boolean' },
    });
    const inputs: ProbeInput[] = [];
    let bad = 0;
    for (const u of positionals) {
      const c = checkUrl(u);
      if ('error' in c) {
        ctx.stderr.write(`argument: ${c.error}\n`);
        bad++;
      } else inputs.push({ url: c.url });
    }
    for (const f of values.input ?? []) {
      if (!existsSync(f)) throw new UsageError(`--input ${f}: no such file`);
      const parsed = parseInputFile(readFileSync(f, 'utf8'), f);
      for (const p of parsed.problems) ctx.stderr.write(`${p.source}:${p.line}: ${p.message} (line skipped)\n`);
      bad += parsed.problems.length;
      inputs.push(...parsed.inputs);
    }
    if (!inputs.length) throw new UsageError('no URLs to measure: give URLs or --input FILE');
    const country = (values.country ?? 'ZZ').toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code, got "${values.country}"`);
    const asn = values.asn ? (values.asn.toUpperCase().startsWith('AS') ? values.asn.toUpperCase() : `AS${values.asn}`) : 'AS0';
    if (!/^AS\d+$/.test(asn)) throw new UsageError(`--asn must look like AS30722, got "${values.asn}"`);
    if (values['probe-ip'] && !isIP(values['probe-ip'])) throw new UsageError(`--probe-ip must be an IP address, got "${values['probe-ip']}"`);
    let resolver;
    try {
      resolver = parseResolver(values.resolver ?? 'system');
    } catch (e) {
      throw new UsageError(`--resolver: ${(e as Error).message}`);
    }
    const th = values.th === 'none' ? null : (values.th ?? DEFAULT_TH);
    if (th) {
      try {
        const u = new URL(th);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      } catch {
        throw new UsageError(`--th must be an http(s) URL or "none", got "${th}"`);
      }
    }
    const limit = intOpt(values.limit, 'limit', 1, 10_000_000, inputs.length);
    const urls = inputs.slice(0, limit).map((i) => i.url);
    const out = values.out ?? 'measurements.jsonl';
    const progress = new Progress(ctx.stderr, 'probe', urls.length, Boolean(values.quiet));
    const summary = await runProbe(urls, {
      resolver,
      thUrl: th,
      timeouts: {
        dnsMs: intOpt(values['dns-timeout-ms'], 'dns-timeout-ms', 10, 120_000, OONI_TIMEOUTS.dnsMs),
        tcpMs: intOpt(values['tcp-timeout-ms'], 'tcp-timeout-ms', 10, 120_000, OONI_TIMEOUTS.tcpMs),
        tlsMs: intOpt(values['tls-timeout-ms'], 'tls-timeout-ms', 10, 120_000, OONI_TIMEOUTS.tlsMs),
        httpMs: intOpt(values['http-timeout-ms'], 'http-timeout-ms', 10, 120_000, OONI_TIMEOUTS.httpMs),
        thMs: intOpt(values['th-timeout-ms'], 'th-timeout-ms', 10, 300_000, OONI_TIMEOUTS.thMs),
      },
      meta: { cc: country, asn, networkName: values.network ?? '', ip: values['probe-ip'] },
      concurrency: intOpt(values.concurrency, 'concurrency', 1, 1000, 8),
      perHostGapMs: intOpt(values['per-host-gap-ms'], 'per-host-gap-ms', 0, 600_000, 1000),
      samples: intOpt(values.samples, 'samples', 1, 10, 3),
      out,
      onProgress: (d, t) => progress.update(d, t > 0 ? '' : ''),
    });
    progress.done();
    ctx.stdout.write(summaryTable(summary));
    for (const f of summary.throttling.findings)
      ctx.stdout.write(`throttled: ${f.input}: ${(f.rate / 1024).toFixed(1)} KiB/s vs ${(f.baseline / 1024).toFixed(1)} KiB/s for ${f.peers} similar-sized sites (${f.ratio}x slower, ${f.samples} samples)\n`);
    ctx.stdout.write(`report id: ${summary.reportId}\n`);
    ctx.stdout.write(`measurements: ${out}${bad ? ` (${bad} bad input line(s) skipped, see above)` : ''}\n`);
    return summary.counts.error ? 1 : 0;
  },
};

const thCommand: CliCommand = {
  path: ['th'],
  summary: 'Run a web-connectivity test helper (OONI protocol, POST /)',
  usage: `stackwatch th [--host 127.0.0.1] [--port 8780] [--resolver system|udp://IP:PORT|https://…] [--allow-private]
  --allow-private   also connect to private and loopback addresses (never on a public helper)`,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(
      argv,
      { host: { type: 'string' }, port: { type: 'string' }, resolver: { type: 'string' }, 'allow-private': { type: 'boolean' } },
      false,
    );
    let resolver;
    try {
      resolver = parseResolver(values.resolver ?? 'system');
    } catch (e) {
      throw new UsageError(`--resolver: ${(e as Error).message}`);
    }
    const th = await startTestHelper({
      host: values.host ?? '127.0.0.1',
      port: intOpt(values.port, 'port', 0, 65535, 8780),
      resolver,
      allowPrivate: Boolean(values['allow-private']),
    });
    ctx.stdout.write(`test helper listening on ${th.url} (POST /)\n`);
    await waitForSignal(ctx);
    await th.close();
    return 0;
  },
};

function waitForSignal(ctx: CliContext): Promise<void> {
  void ctx;
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const labRunCommand: CliCommand = {
  path: ['lab', 'run'],
  summary: 'Start the censorship lab on loopback, probe every site through it, compare verdicts with the expected ones',
  usage: `stackwatch lab run [SCENARIO.yaml|json] [--out measurements.jsonl] [--concurrency N] [--quiet]
  Without a file, runs the shipped scenarios (${SHIPPED_SCENARIOS}).
  Exits 1 if any verdict is wrong.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' }, concurrency: { type: 'string' }, quiet: { type: 'boolean' } });
    if (positionals.length > 1) throw new UsageError('give at most one scenario file');
    const file = positionals[0];
    if (file && !existsSync(file)) throw new UsageError(`${file}: no such file`);
    let scenario;
    try {
      scenario = loadScenario(file ?? SHIPPED_SCENARIOS);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const progress = new Progress(ctx.stderr, 'lab', scenario.sites.length, Boolean(values.quiet));
    const report = await runLab(scenario, {
      out: values.out,
      concurrency: values.concurrency ? intOpt(values.concurrency, 'concurrency', 1, 1000, 16) : undefined,
      onProgress: (d) => progress.update(d),
      keepMeasurements: false,
    });
    progress.done();
    ctx.stdout.write(labReportText(report));
    return report.wrong ? 1 : 0;
  },
};

/** Sub-commands of this wing, registered in src/cli.ts. */
export const commands: CliCommand[] = [probeCommand, thCommand, labRunCommand, importCommand, aggregateCommand];
