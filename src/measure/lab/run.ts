import { table } from '../../core/cli-kit.js';
import { VERDICT_KINDS, type WebConnectivityMeasurement } from '../ooni/model.js';
import { UdpResolver } from '../net/resolver.js';
import { runProbe } from '../probe/runner.js';
import { startLab } from './lab.js';
import { ooniOutcome, siteUrl, type OoniOutcome, type Scenario } from './scenario.js';
import type { ThrottlingReport } from '../analysis/throttling.js';

/** OONI's blocking/accessible pair in words. */
export function ooniOutcomeOf(blocking: unknown, accessible: unknown): OoniOutcome {
  if (blocking === false && accessible === true) return 'accessible';
  if (blocking === false && accessible === false) return 'down';
  if (typeof blocking === 'string') return 'blocking';
  return 'unknown';
}

export interface LabOutcome {
  site: string;
  url: string;
  expected: string;
  observed: string;
  fingerprintExpected?: string;
  fingerprintObserved: string | null;
  /** OONI's verdict the scenario declares, and the one the measurement's OONI fields give */
  ooniExpected: OoniOutcome;
  ooniObserved: OoniOutcome;
  correct: boolean;
  reasons: string[];
}

export interface LabReport {
  outcomes: LabOutcome[];
  correct: number;
  wrong: number;
  elapsedMs: number;
  /** time spent probing (lab start and stop excluded) */
  probeMs: number;
  measurements: WebConnectivityMeasurement[];
  throttling: ThrottlingReport;
  reportId: string;
}

/** Starts the lab for a scenario, probes every site through the censor, compares verdicts, stops the lab. */
export async function runLab(
  scenario: Scenario,
  opts: { out?: string; concurrency?: number; onProgress?: (done: number, total: number) => void; keepMeasurements?: boolean } = {},
): Promise<LabReport> {
  const t0 = Date.now();
  const lab = await startLab(scenario);
  const measurements: WebConnectivityMeasurement[] = [];
  const byInput = new Map<string, { verdict: string; fingerprint: string | null; reasons: string[]; ooni: OoniOutcome }>();
  const ccBySite = new Map(scenario.sites.filter((s) => s.probe_cc).map((s) => [siteUrl(s), s.probe_cc!]));
  try {
    const urls = scenario.sites.map(siteUrl);
    const run = await runProbe(urls, {
      resolver: new UdpResolver(lab.censorResolver.host, lab.censorResolver.port),
      thUrl: lab.thUrl,
      route: lab.probeRoute,
      ca: lab.ca,
      timeouts: {
        dnsMs: scenario.timeouts.dns_ms,
        tcpMs: scenario.timeouts.tcp_ms,
        tlsMs: scenario.timeouts.tls_ms,
        httpMs: scenario.timeouts.http_ms,
        thMs: scenario.timeouts.th_ms,
      },
      meta: { cc: 'ZZ', asn: 'AS0', networkName: `Stackwatch lab: ${scenario.name}`, annotations: { stackwatch_lab: scenario.name } },
      concurrency: opts.concurrency ?? scenario.concurrency,
      samples: scenario.samples,
      metaFor: (input) => (ccBySite.has(input) ? { cc: ccBySite.get(input)! } : undefined),
      out: opts.out,
      onProgress: opts.onProgress,
      onMeasurement: (m) => {
        const ev = m.test_keys.x_stackwatch;
        byInput.set(m.input ?? '', { verdict: ev?.verdict ?? 'unknown', fingerprint: ev?.fingerprint ?? null, reasons: ev?.reasons ?? [], ooni: ooniOutcomeOf(m.test_keys.blocking, m.test_keys.accessible) });
        if (opts.keepMeasurements !== false) measurements.push(m);
      },
    });
    const errors = new Map<string, string>(run.results.filter((r) => r.verdict === "error").map((r) => [r.input, r.error ?? "error"]));
    const throttled = new Set(run.throttling.findings.map((f) => f.input));
    const outcomes: LabOutcome[] = scenario.sites.map((site) => {
      const url = siteUrl(site);
      const ev = byInput.get(url);
      let observed = ev?.verdict ?? (errors.has(url) ? 'error' : 'not measured');
      // throttling is a finding of the run about a reachable site, not a verdict of one measurement
      if (observed === 'ok' && throttled.has(url)) observed = 'throttling';
      const ooniExpected = ooniOutcome(site);
      const ooniObserved = ev?.ooni ?? 'unknown';
      const fpOk = !site.expect_fingerprint || ev?.fingerprint === site.expect_fingerprint;
      return {
        site: site.name,
        url,
        expected: site.expect,
        observed,
        fingerprintExpected: site.expect_fingerprint,
        fingerprintObserved: ev?.fingerprint ?? null,
        ooniExpected,
        ooniObserved,
        correct: observed === site.expect && fpOk && ooniObserved === ooniExpected,
        reasons: ev?.reasons ?? [errors.get(url) ?? 'no measurement (already in the output file?)'],
      };
    });
    const correct = outcomes.filter((o) => o.correct).length;
    return { outcomes, correct, wrong: outcomes.length - correct, elapsedMs: Date.now() - t0, probeMs: run.elapsedMs, measurements, throttling: run.throttling, reportId: run.reportId };
  } finally {
    await lab.close();
  }
}

/** Confusion table: expected verdicts in rows, observed in columns. */
export function confusionTable(outcomes: LabOutcome[]): string {
  const kinds = [...VERDICT_KINDS, 'error', 'not measured'].filter((k) => outcomes.some((o) => o.expected === k || o.observed === k));
  const rows = kinds
    .filter((k) => outcomes.some((o) => o.expected === k))
    .map((exp) => [exp, ...kinds.map((obs) => outcomes.filter((o) => o.expected === exp && o.observed === obs).length || '.')]);
  return table(['expected \\ observed', ...kinds], rows);
}

export function labReportText(r: LabReport): string {
  let out = confusionTable(r.outcomes);
  const wrong = r.outcomes.filter((o) => !o.correct);
  if (wrong.length) {
    out += '\nWrong verdicts:\n';
    for (const o of wrong) {
      out += `  ${o.site}: expected ${o.expected}${o.fingerprintExpected ? ` (${o.fingerprintExpected})` : ''} / OONI ${o.ooniExpected}, observed ${o.observed}${o.fingerprintObserved ? ` (${o.fingerprintObserved})` : ''} / OONI ${o.ooniObserved}\n`;
      for (const reason of o.reasons) out += `    - ${reason}\n`;
    }
  }
  const agree = r.outcomes.filter((o) => o.ooniObserved === o.ooniExpected).length;
  out += `OONI verdict (blocking/accessible/down/unknown) as declared: ${agree} of ${r.outcomes.length}\n`;
  out += `${r.outcomes.length} sites, ${r.correct} correct, ${r.wrong} wrong\n`;
  return out;
}
