import { describe, expect, it } from 'vitest';
import { parseFingerprints, shippedFingerprints, matchHttpFingerprint, matchDnsFingerprint } from './fingerprints.js';
import { bodyProportion, computeVerdict, extractTitle, headersMatch, titleMatch } from './verdict.js';
import type { ThResponse, WebConnectivityTestKeys } from './model.js';
import { parseCsv } from './csv.js';
import { isBogon } from './ip.js';

const fps = shippedFingerprints();

function control(over: Partial<ThResponse> = {}): ThResponse {
  return {
    tcp_connect: { '93.184.216.34:80': { status: true, failure: null } },
    tls_handshake: {},
    quic_handshake: {},
    http_request: { body_length: 1256, failure: null, title: 'Example Domain for documentation', headers: { 'X-Site': 'a', 'Content-Type': 'text/html' }, status_code: 200 },
    http3_request: null,
    dns: { failure: null, addrs: ['93.184.216.34'] },
    ip_info: { '93.184.216.34': { asn: 15133, flags: 3 } },
    ...over,
  };
}

const okBody = `<html><head><title>Example Domain for documentation</title></head><body>${'x'.repeat(1180)}</body></html>`;

function keys(over: Partial<WebConnectivityTestKeys> = {}): Pick<WebConnectivityTestKeys, 'queries' | 'tcp_connect' | 'tls_handshakes' | 'requests' | 'control' | 'control_failure'> {
  return {
    queries: [{ answers: [{ answer_type: 'A', ipv4: '93.184.216.34', asn: 0, ttl: 60 }], engine: 'udp', failure: null, hostname: 'example.org', query_type: 'A', resolver_address: '1.1.1.1:53', t: 0.01 }],
    tcp_connect: [{ ip: '93.184.216.34', port: 80, status: { failure: null, success: true }, t: 0.02 }],
    tls_handshakes: [],
    requests: [
      {
        failure: null,
        request: { body: '', headers: {}, method: 'GET', url: 'http://example.org/' },
        response: { body: okBody, body_is_truncated: false, code: 200, headers: { 'X-Site': 'a', 'Content-Type': 'text/html' } },
        t: 0.1,
      },
    ],
    control: control(),
    control_failure: null,
    ...over,
  };
}

describe('fingerprints', () => {
  it('loads the shipped OONI fingerprints', () => {
    expect(fps.http.length).toBeGreaterThan(1500);
    expect(fps.dns.size).toBeGreaterThan(200);
  });
  it('matches a body, a header prefix and a DNS block IP', () => {
    expect(matchHttpFingerprint(fps, { body: 'x Access to this site has been blocked by an Order issued by the Federal Court of Canada y', headers: {} })?.name).toBe('ooni.ca_1');
    expect(matchHttpFingerprint(fps, { body: '', headers: { location: 'http://internet-positif.org/?u=x' } })?.name).toBe('ooni.id_0');
    expect(matchHttpFingerprint(fps, { body: '', headers: { Server: 'Protected by WireFilter 8000' } })?.name).toBe('ooni.ae_0');
    expect(matchHttpFingerprint(fps, { body: okBody, headers: { Server: 'nginx' } })).toBeNull();
    expect(matchDnsFingerprint(fps, '10.10.34.35')?.name).toBe('ooni.ir_5');
    expect(matchDnsFingerprint(fps, '93.184.216.34')).toBeNull();
  });
  it('reports unusable rows instead of dropping them silently', () => {
    const db = parseFingerprints('name,scope,other_names,location_found,pattern_type,pattern\na,isp,,body,regexp,(\nb,isp,,nowhere,contains,x\nc,isp,,body,contains,hello\n', 'name,scope,other_names,location_found,pattern_type,pattern\n');
    expect(db.http.map((f) => f.name)).toEqual(['c']);
    expect(db.skipped.map((s) => s.name)).toEqual(['a', 'b']);
  });
});

describe('csv', () => {
  it('parses quotes, doubled quotes and CRLF', () => {
    expect(parseCsv('a,"b,c","d ""e"""\r\n1,2,3\r\n').map((r) => r.cells)).toEqual([['a', 'b,c', 'd "e"'], ['1', '2', '3']]);
  });
  it('fails on an unterminated quote with the line', () => {
    expect(() => parseCsv('a,b\n1,"2\n')).toThrow(/line 2/);
  });
});

describe('heuristics', () => {
  it('title, headers, body proportion', () => {
    expect(extractTitle('<html><TITLE>\n Hello   World </title>')).toBe('Hello World');
    expect(titleMatch('Example Domain', 'example domain')).toBe(true);
    expect(titleMatch('Blocked notice', 'Example Domain')).toBe(false);
    expect(headersMatch({ 'X-Site': '1', Date: 'x' }, { 'x-site': '2' })).toBe(true);
    expect(headersMatch({ 'X-Other': '1' }, { 'X-Site': '2' })).toBe(false);
    expect(headersMatch({ Date: '1' }, { date: '2' })).toBe(true);
    expect(bodyProportion(100, 50)).toBe(0.5);
    expect(bodyProportion(0, 0)).toBe(1);
    expect(isBogon('10.1.2.3')).toBe(true);
    expect(isBogon('192.168.1.1')).toBe(true);
    expect(isBogon('8.8.8.8')).toBe(false);
    expect(isBogon('fd00::1')).toBe(true);
  });
});

describe('computeVerdict', () => {
  it('reachable', () => {
    const v = computeVerdict('http://example.org/', keys(), fps);
    expect(v.x_stackwatch.verdict).toBe('ok');
    expect(v.blocking).toBe(false);
    expect(v.accessible).toBe(true);
    expect(v.dns_consistency).toBe('consistent');
    expect(v.body_length_match).toBe(true);
  });
  it('DNS NXDOMAIN injected where the control resolves', () => {
    const v = computeVerdict('http://example.org/', keys({ queries: [{ answers: null, engine: 'udp', failure: 'dns_nxdomain_error', hostname: 'example.org', query_type: 'A', resolver_address: '', t: 0 }], tcp_connect: [], requests: [] }), fps);
    expect(v.blocking).toBe('dns');
    expect(v.dns_consistency).toBe('inconsistent');
    expect(v.dns_experiment_failure).toBe('dns_nxdomain_error');
  });
  it('NXDOMAIN for both is a site down, not blocking', () => {
    const v = computeVerdict('http://example.org/', keys({ queries: [{ answers: null, engine: 'udp', failure: 'dns_nxdomain_error', hostname: 'example.org', query_type: 'A', resolver_address: '', t: 0 }], tcp_connect: [], requests: [], control: control({ dns: { failure: 'dns_name_error', addrs: [] } }) }), fps);
    expect(v.x_stackwatch.verdict).toBe('down');
    expect(v.blocking).toBe(false);
    expect(v.accessible).toBe(false);
  });
  it('a known block IP is a confirmed DNS block, even without a control', () => {
    const q = [{ answers: [{ answer_type: 'A', ipv4: '10.10.34.35' }], engine: 'udp', failure: null, hostname: 'example.org', query_type: 'A', resolver_address: '', t: 0 }];
    const v = computeVerdict('http://example.org/', keys({ queries: q, control: null, control_failure: 'generic_timeout_error' }), fps, { probeCc: 'IR' });
    expect(v.x_stackwatch.verdict).toBe('dns');
    expect(v.x_stackwatch.fingerprint).toBe('ooni.ir_5');
    // outside its country the same answer is only a likely block
    const elsewhere = computeVerdict('http://example.org/', keys({ queries: q, control: null, control_failure: 'generic_timeout_error' }), fps, { probeCc: 'DE' });
    expect(elsewhere.x_stackwatch.fingerprint).toBeNull();
    expect(elsewhere.x_stackwatch.fingerprint_likely).toBe('ooni.ir_5');
  });
  it('TCP reset where the control connects', () => {
    const v = computeVerdict('http://example.org/', keys({ tcp_connect: [{ ip: '93.184.216.34', port: 80, status: { failure: 'connection_refused', success: false }, t: 0 }], requests: [] }), fps);
    expect(v.blocking).toBe('tcp_ip');
  });
  it('a blockpage fingerprint beats every heuristic', () => {
    const k = keys();
    k.requests![0]!.response.body = '<html>Access to this site has been blocked by an Order issued by the Federal Court of Canada</html>';
    k.requests![0]!.response.headers = { 'Content-Type': 'text/html' };
    const v = computeVerdict('http://example.org/', k, fps, { probeCc: 'CA' });
    expect(v.x_stackwatch.verdict).toBe('http-blockpage');
    expect(v.blocking).toBe('http-diff');
    expect(v.x_stackwatch.fingerprint).toBe('ooni.ca_1');
  });
  it('status and body differences are http-diff', () => {
    const k = keys();
    k.requests![0]!.response = { body: 'Forbidden', body_is_truncated: false, code: 403, headers: { 'Content-Type': 'text/plain' } };
    const v = computeVerdict('http://example.org/', k, fps);
    expect(v.blocking).toBe('http-diff');
    expect(v.status_code_match).toBe(false);
  });
  it('no control: verdict null with the control failure', () => {
    const v = computeVerdict('http://example.org/', keys({ control: null, control_failure: 'connection_refused' }), fps);
    expect(v.blocking).toBeNull();
    expect(v.accessible).toBeNull();
    expect(v.x_stackwatch.verdict).toBe('unknown');
  });

});
