import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadScenario, ooniOutcome, OONI_OUTCOMES, parseScenario } from './scenario.js';
import { runLab } from './run.js';
import { webConnectivityMeasurementSchema, VERDICT_KINDS } from '../ooni/model.js';
import { recompute } from '../analysis/store.js';
import { commands } from '../cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-lab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink() {
  let text = '';
  const w = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
  return { w, text: () => text };
}

describe('censorship lab: shipped scenarios', () => {
  const scenario = loadScenario();
  it('ships at least 100 sites covering every verdict kind and every OONI outcome', () => {
    expect(scenario.sites.length).toBeGreaterThanOrEqual(100);
    const kinds = new Set(scenario.sites.map((s) => s.expect));
    for (const k of VERDICT_KINDS) expect(kinds, k).toContain(k);
    const ooni = new Set(scenario.sites.map(ooniOutcome));
    for (const o of OONI_OUTCOMES) expect(ooni, o).toContain(o);
  });

  it('three runs in a row: every verdict and every declared OONI verdict right, the measurements round-trip', async () => {
    for (let run = 1; run <= 3; run++) {
      const out = join(dir, `shipped-${run}.jsonl`);
      const report = await runLab(scenario, { out });
      const wrong = report.outcomes
        .filter((o) => !o.correct)
        .map((o) => `run ${run}: ${o.site}: expected ${o.expected}/${o.ooniExpected}, got ${o.observed}/${o.ooniObserved} (${o.reasons.join('; ')})`);
      expect(wrong).toEqual([]);
      expect(report.correct).toBe(scenario.sites.length);
      if (run > 1) continue;
      // the file holds one OONI measurement per site, valid against our schema of the format, all of one report
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(scenario.sites.length);
      const reports = new Set<string>();
      for (const line of lines) {
        const m = webConnectivityMeasurementSchema.parse(JSON.parse(line));
        expect(m.data_format_version).toBe('0.2.0');
        expect(m.test_name).toBe('web_connectivity');
        expect(m.report_id).toMatch(/^\d{8}T\d{6}Z_webconnectivity_[A-Z]{2}_\d+_n1_[A-Za-z0-9]{16}$/);
        reports.add(m.report_id);
        // verdicts recomputed from the raw data equal those written
        const v = recompute(m);
        expect(v.verdict).toBe(m.test_keys.x_stackwatch?.verdict);
        expect(v.blocking).toBe(m.test_keys.blocking === false ? 'false' : m.test_keys.blocking);
        expect(v.accessible).toBe(m.test_keys.accessible);
        expect(m.test_keys).not.toHaveProperty('x_blocking_flags');
        expect(typeof m.test_keys.x_stackwatch_blocking_flags).toBe('number');
      }
      expect(reports.size).toBe(1);
      // evidence is specific: the tcp drop timed out, the reset site saw a reset
      const byName = new Map(report.measurements.map((m) => [new URL(m.input!).hostname.split('.')[0], m]));
      expect(byName.get('tcp-drop')!.test_keys.tcp_connect![0]!.status.failure).toBe('generic_timeout_error');
      expect(byName.get('tcp-refuse')!.test_keys.tcp_connect![0]!.status.failure).toBe('connection_refused');
      expect(byName.get('tls-reset')!.test_keys.tls_handshakes![0]!.failure).toBe('connection_reset');
      expect(byName.get('tls-rogue-cert')!.test_keys.tls_handshakes![0]!.failure).toBe('ssl_unknown_authority');
      expect(byName.get('tls-wrong-name')!.test_keys.tls_handshakes![0]!.failure).toBe('ssl_invalid_hostname');
      expect(byName.get('origin-tls-expired')!.test_keys.tls_handshakes![0]!.failure).toBe('ssl_invalid_certificate');
      expect(byName.get('ok-redirect-chain')!.test_keys.requests).toHaveLength(3);
      expect(byName.get('dns-nxdomain')!.test_keys.http_experiment_failure).toBe('dns_nxdomain_error');
      // the input is kept as given (an IDN stays Unicode), DNS answers carry ASNs from the offline data
      expect(report.measurements.some((m) => m.input === 'http://café.lab.test/')).toBe(true);
      expect(byName.get('ok-http')!.test_keys.queries![0]!.answers![0]!.asn).toBe(7018);
      // throttling: a finding of the run, with repeated samples and a baseline of similar-sized sites
      const found = new Map(report.throttling.findings.map((f) => [new URL(f.input).hostname.split('.')[0], f]));
      expect([...found.keys()].sort()).toEqual(['throttle-http', 'throttle-https']);
      expect(found.get('throttle-http')!.ratio).toBeGreaterThanOrEqual(10);
      expect(found.get('throttle-http')!.samples).toBeGreaterThanOrEqual(3);
      expect(found.get('throttle-http')!.peers).toBeGreaterThanOrEqual(3);
    }
  }, 180_000);
});

describe('lab run command', () => {
  it('prints the confusion table and exits non-zero when a verdict is wrong', async () => {
    const file = join(dir, 'small.yaml');
    writeFileSync(
      file,
      [
        'name: small',
        'sites:',
        '  - { name: fine, expect: ok }',
        '  - { name: nx, censor: { dns: nxdomain }, expect: dns }',
        '  - { name: liar, censor: { tcp: refuse }, expect: ok, note: deliberately wrong expectation }',
      ].join('\n'),
    );
    const cmd = commands.find((c) => c.path.join(' ') === 'lab run')!;
    const o = sink();
    const e = sink();
    const code = await cmd.run([file, '--quiet'], { stdout: o.w, stderr: e.w, env: {} });
    expect(code).toBe(1);
    expect(o.text()).toContain('3 sites, 2 correct, 1 wrong');
    expect(o.text()).toMatch(/liar: expected ok \/ OONI accessible, observed tcp_ip \/ OONI blocking/);
  }, 60_000);

  it('rejects a bad scenario file with the field named', () => {
    expect(() => parseScenario('name: x\nsites:\n  - { name: "Bad Name", expect: ok }\n')).toThrow(/sites\.0\.name/);
    expect(() => parseScenario('name: x\nsites:\n  - { name: a, expect: maybe }\n')).toThrow(/sites\.0\.expect/);
    expect(() => parseScenario('name: x\nsites:\n  - { name: a, expect: ok }\n  - { name: a, expect: ok }\n')).toThrow(/used twice/);
  });
});
