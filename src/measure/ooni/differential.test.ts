import { describe, expect, it } from 'vitest';
import { measurementSchema, type Measurement } from './model.js';
import { recompute } from '../analysis/store.js';
import { parseMeasurementLine } from '../analysis/store.js';

/**
 * Differential test: measurements in OONI's own JSON format (web_connectivity data format 0.2.0), written by hand
 * from OONI's spec (ts-017) and the shapes probe-cli writes: v0.4 (one "system" resolver, no tags) and v0.5 / LTE
 * (getaddrinfo + UDP + DNS-over-HTTPS lookups, `tags: ["depth=N", "fetch_body=…"]`, OONI's own x_blocking_flags).
 * Each declares the blocking/accessible pair OONI's analysis gives; the import's recomputed verdict must agree.
 * These are our fixtures, not OONI's files.
 */

type Engine = 'system' | 'getaddrinfo' | 'udp' | 'doh';
interface Q { host: string; engine?: Engine; addrs?: string[]; failure?: string; qtype?: 'A' | 'AAAA'; depth?: number; resolver?: string }
interface T { ip: string; port: number; failure?: string; depth?: number }
interface H { address: string; sni: string; failure?: string; depth?: number }
interface R { url: string; address?: string; code?: number; body?: string; headers?: Record<string, string>; failure?: string; depth?: number }
interface Ctl {
  dns?: { failure: string | null; addrs: string[] | null };
  tcp?: Record<string, string | null>;
  tls?: Record<string, { sni: string; failure: string | null }>;
  http?: { failure?: string | null; status?: number; length?: number; title?: string; headers?: Record<string, string> };
}

const V05 = new Set<string>();
const tags = (v: '0.4' | '0.5', depth = 0, fetch = true) => (v === '0.5' ? { tags: [`depth=${depth}`, `fetch_body=${fetch}`, 'classic'] } : {});

function query(v: '0.4' | '0.5', q: Q, id: number) {
  const qtype = q.qtype ?? 'A';
  const answers = (q.addrs ?? [])
    .filter((a) => (qtype === 'A' ? !a.includes(':') : a.includes(':')))
    .map((a) => (a.includes(':') ? { answer_type: 'AAAA', ipv6: a, asn: 0, as_org_name: '', ttl: null } : { answer_type: 'A', ipv4: a, asn: 0, as_org_name: '', ttl: null }));
  return {
    answers: answers.length ? answers : null,
    engine: q.engine ?? (v === '0.4' ? 'system' : 'getaddrinfo'),
    failure: q.failure ?? (answers.length ? null : 'dns_no_answer'),
    hostname: q.host,
    query_type: qtype,
    resolver_hostname: null,
    resolver_port: null,
    resolver_address: q.resolver ?? '',
    t0: 0.001,
    t: 0.02,
    transaction_id: id,
    ...tags(v, q.depth ?? 0),
  };
}

const page = (title: string, size = 1200) => `<!doctype html><html><head><title>${title}</title></head><body>${'x'.repeat(size)}</body></html>`;
const SITE = page('Daily News from the independent press');
const SITE_HEADERS = { 'Content-Type': 'text/html', Server: 'nginx', 'X-Request-Id': 'abc', 'X-Served-By': 'cache-1' };

function measurement(v: '0.4' | '0.5', input: string, o: { cc?: string; q: Q[]; tcp?: T[]; tls?: H[]; req?: R[]; control?: Ctl | null; http_experiment_failure?: string | null }): string {
  let id = 1;
  const control = o.control === null ? null : o.control ?? {};
  const ctl =
    control === null
      ? null
      : {
          tcp_connect: Object.fromEntries(Object.entries(control.tcp ?? {}).map(([ep, f]) => [ep, { status: f === null, failure: f }])),
          tls_handshake: Object.fromEntries(Object.entries(control.tls ?? {}).map(([ep, t]) => [ep, { server_name: t.sni, status: t.failure === null, failure: t.failure }])),
          quic_handshake: {},
          http_request: {
            body_length: control.http?.failure ? -1 : (control.http?.length ?? Buffer.byteLength(SITE)),
            discovered_h3_endpoint: '',
            failure: control.http?.failure ?? null,
            title: control.http?.failure ? '' : (control.http?.title ?? 'Daily News from the independent press'),
            headers: control.http?.failure ? {} : (control.http?.headers ?? SITE_HEADERS),
            status_code: control.http?.failure ? -1 : (control.http?.status ?? 200),
          },
          http3_request: null,
          dns: control.dns ?? { failure: null, addrs: ['93.184.216.34'] },
          ip_info: {},
        };
  const requests = (o.req ?? [])
    .map((r, i) => ({
      network: 'tcp',
      address: r.address ?? '',
      alpn: '',
      failure: r.failure ?? null,
      request: { body: '', body_is_truncated: false, headers_list: [['Host', new URL(r.url).host]], headers: { Host: new URL(r.url).host }, method: 'GET', tor: { exit_ip: null, exit_name: null, is_tor: false }, x_transport: 'tcp', url: r.url },
      response: r.failure
        ? { body: '', body_is_truncated: false, code: 0, headers_list: [], headers: {} }
        : { body: r.body ?? '', body_is_truncated: false, code: r.code ?? 200, headers_list: Object.entries(r.headers ?? {}), headers: r.headers ?? {} },
      t0: 0.1 + i,
      t: 0.2 + i,
      transaction_id: 100 + i,
      ...tags(v, r.depth ?? i),
    }))
    .reverse(); // newest first, as OONI writes them
  const tk = {
    agent: 'redirect',
    client_resolver: '192.0.2.53',
    retries: null,
    socksproxy: null,
    network_events: null,
    queries: o.q.map((q) => query(v, q, id++)),
    tcp_connect: (o.tcp ?? []).map((t) => ({ ip: t.ip, port: t.port, status: { blocked: false, failure: t.failure ?? null, success: !t.failure }, t0: 0.03, t: 0.04, transaction_id: id++, ...tags(v, t.depth ?? 0) })),
    tls_handshakes: (o.tls ?? []).map((h) => ({
      network: 'tcp', address: h.address, cipher_suite: h.failure ? '' : 'TLS_AES_128_GCM_SHA256', failure: h.failure ?? null, negotiated_protocol: h.failure ? '' : 'h2',
      no_tls_verify: false, peer_certificates: null, server_name: h.sni, tls_version: h.failure ? '' : 'TLSv1.3', t0: 0.05, t: 0.06, transaction_id: id++, ...tags(v, h.depth ?? 0),
    })),
    requests,
    control: ctl,
    control_failure: control === null ? 'generic_timeout_error' : null,
    x_dns_flags: 0,
    dns_experiment_failure: null,
    dns_consistency: null,
    http_experiment_failure: o.http_experiment_failure ?? null,
    x_blocking_flags: v === '0.5' ? 32 : undefined, // OONI's own meaning; ours is never read from here
    x_null_null_flags: 0,
    body_length_match: null,
    body_proportion: 0,
    headers_match: null,
    status_code_match: null,
    title_match: null,
    blocking: null,
    accessible: null,
  };
  const m = {
    annotations: { architecture: 'arm64', engine_name: 'ooniprobe-engine', engine_version: '3.22.0', platform: 'android' },
    data_format_version: '0.2.0',
    extensions: { dnst: 0, httpt: 0, netevents: 0, tcpconnect: 0, tlshandshake: 0, tunnel: 0 },
    input,
    measurement_start_time: '2024-03-01 10:00:00',
    probe_asn: 'AS30722',
    probe_cc: o.cc ?? 'IT',
    probe_ip: '127.0.0.1',
    probe_network_name: 'Vodafone Italia S.p.A.',
    report_id: `20240301T095959Z_webconnectivity_${o.cc ?? 'IT'}_30722_n1_AbCdEfGhIjKlMnOp`,
    resolver_asn: 'AS30722',
    resolver_ip: '192.0.2.53',
    resolver_network_name: 'Vodafone Italia S.p.A.',
    software_name: 'ooniprobe-android',
    software_version: '3.8.0',
    test_helpers: { backend: { address: 'https://0.th.ooni.org', type: 'https' } },
    test_keys: tk,
    test_name: 'web_connectivity',
    test_runtime: 1.23,
    test_start_time: '2024-03-01 09:59:59',
    test_version: v === '0.4' ? '0.4.3' : '0.5.28',
  };
  const line = JSON.stringify(m);
  if (v === '0.5') V05.add(line);
  return line;
}

const IP = '93.184.216.34';
const okTcp = (v: '0.4' | '0.5', port = 80): T[] => [{ ip: IP, port, ...(v === '0.5' ? { depth: 0 } : {}) }];
const siteReq = (url: string, port = 80): R => ({ url, address: `${IP}:${port}`, code: 200, body: SITE, headers: SITE_HEADERS });

type Want = { blocking: string | false | null; accessible: boolean | null; verdict?: string; fingerprint?: string | null; likely?: string };
const cases: [string, string, Want][] = [];
const add = (name: string, line: string, want: Want) => cases.push([name, line, want]);

for (const v of ['0.4', '0.5'] as const) {
  const sys: Q = { host: 'news.example.org', addrs: [IP] };
  add(`${v} reachable over HTTP`, measurement(v, 'http://news.example.org/', { q: [sys], tcp: okTcp(v), req: [siteReq('http://news.example.org/')] }), { blocking: false, accessible: true, verdict: 'ok' });
  add(`${v} DNS NXDOMAIN where the control resolves`, measurement(v, 'http://news.example.org/', { q: [{ host: 'news.example.org', failure: 'dns_nxdomain_error' }] }), { blocking: 'dns', accessible: false });
  add(`${v} NXDOMAIN for probe and control: down`, measurement(v, 'http://gone.example.org/', { q: [{ host: 'gone.example.org', failure: 'dns_nxdomain_error' }], control: { dns: { failure: 'dns_name_error', addrs: [] }, http: { failure: 'dns_lookup_error' } } }), { blocking: false, accessible: false, verdict: 'down' });
  add(`${v} helper "no addresses, no failure" is not a successful lookup`, measurement(v, 'http://gone.example.org/', { q: [{ host: 'gone.example.org', failure: 'dns_nxdomain_error' }], control: { dns: { failure: null, addrs: [] }, http: { failure: 'dns_lookup_error' } } }), { blocking: false, accessible: false, verdict: 'down' });
  add(`${v} TCP refused where the control connects`, measurement(v, 'http://news.example.org/', { q: [sys], tcp: [{ ip: IP, port: 80, failure: 'connection_refused' }], req: [{ url: 'http://news.example.org/', failure: 'connection_refused' }], control: { tcp: { [`${IP}:80`]: null } } }), { blocking: 'tcp_ip', accessible: false });
  add(`${v} control TCP honours the port (down on :443 for everyone)`, measurement(v, 'https://news.example.org/', { q: [sys], tcp: [{ ip: IP, port: 443, failure: 'connection_refused' }], req: [{ url: 'https://news.example.org/', failure: 'connection_refused' }], control: { tcp: { [`${IP}:443`]: 'connection_refused', [`${IP}:80`]: null }, http: { failure: 'connection_refused' } } }), { blocking: false, accessible: false, verdict: 'down' });
  add(`${v} TLS reset with the SNI`, measurement(v, 'https://news.example.org/', { q: [sys], tcp: okTcp(v, 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org', failure: 'connection_reset' }], req: [{ url: 'https://news.example.org/', failure: 'connection_reset' }], control: { tcp: { [`${IP}:443`]: null }, tls: { [`${IP}:443`]: { sni: 'news.example.org', failure: null } } } }), { blocking: 'http-failure', accessible: false, verdict: 'tls' });
  add(`${v} blockpage served with 200`, measurement(v, 'http://news.example.org/', { cc: 'CA', q: [sys], tcp: okTcp(v), req: [{ url: 'http://news.example.org/', address: `${IP}:80`, code: 200, headers: { 'Content-Type': 'text/html' }, body: '<html><body>Access to this site has been blocked by an Order issued by the Federal Court of Canada</body></html>' }] }), { blocking: 'http-diff', accessible: false, verdict: 'http-blockpage', fingerprint: 'ooni.ca_1' });
  add(`${v} the same blockpage seen from another country is only likely`, measurement(v, 'http://news.example.org/', { cc: 'DE', q: [sys], tcp: okTcp(v), req: [{ url: 'http://news.example.org/', address: `${IP}:80`, code: 200, headers: { 'Content-Type': 'text/html' }, body: '<html><body>Access to this site has been blocked by an Order issued by the Federal Court of Canada</body></html>' }] }), { blocking: 'http-diff', accessible: false, verdict: 'http-diff', fingerprint: null, likely: 'ooni.ca_1' });
  const denied = page('Access Denied', 300);
  add(`${v} "Access Denied" served to probe and control alike is never confirmed`, measurement(v, 'http://news.example.org/', { cc: 'IN', q: [sys], tcp: okTcp(v), req: [{ url: 'http://news.example.org/', address: `${IP}:80`, code: 403, body: denied, headers: { 'Content-Type': 'text/html', 'X-Waf': 'on' } }], control: { http: { status: 403, length: Buffer.byteLength(denied), title: 'Access Denied', headers: { 'Content-Type': 'text/html', 'X-Waf': 'on' } } } }), { blocking: false, accessible: true, verdict: 'ok', fingerprint: null });
  add(`${v} ghost DNS: the control gets NXDOMAIN, the probe an address`, measurement(v, 'http://news.example.org/', { q: [{ host: 'news.example.org', addrs: ['203.0.113.80'].map(() => '81.19.0.80') }], tcp: [{ ip: '81.19.0.80', port: 80 }], req: [{ url: 'http://news.example.org/', address: '81.19.0.80:80', code: 200, body: page('Parked domain'), headers: { 'Content-Type': 'text/html' } }], control: { dns: { failure: 'dns_name_error', addrs: null }, http: { failure: 'dns_lookup_error' } } }), { blocking: 'dns', accessible: false });
  add(`${v} 127.0.0.1 for probe and control is not DNS blocking`, measurement(v, 'http://local.example.org/', { q: [{ host: 'local.example.org', addrs: ['127.0.0.1'] }], tcp: [{ ip: '127.0.0.1', port: 80, failure: 'connection_refused' }], req: [{ url: 'http://local.example.org/', failure: 'connection_refused' }], control: { dns: { failure: null, addrs: ['127.0.0.1'] }, tcp: { '127.0.0.1:80': 'connection_refused' }, http: { failure: 'connection_refused' } } }), { blocking: false, accessible: false, verdict: 'down', fingerprint: null });
  add(`${v} bogon answer the control does not see`, measurement(v, 'http://news.example.org/', { cc: 'IR', q: [{ host: 'news.example.org', addrs: ['10.10.34.35'] }], tcp: [{ ip: '10.10.34.35', port: 80 }], req: [{ url: 'http://news.example.org/', address: '10.10.34.35:80', code: 200, body: '<html><iframe src="http://10.10.34.34"></iframe></html>', headers: {} }] }), { blocking: 'dns', accessible: false, verdict: 'dns', fingerprint: 'ooni.ir_5' });
  add(`${v} no control, HTTPS fetched with a valid certificate: accessible`, measurement(v, 'https://news.example.org/', { q: [sys], tcp: okTcp(v, 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }], req: [siteReq('https://news.example.org/', 443)], control: null }), { blocking: false, accessible: true });
  add(`${v} no control, plain HTTP: cannot tell`, measurement(v, 'http://news.example.org/', { q: [sys], tcp: okTcp(v), req: [siteReq('http://news.example.org/')], control: null }), { blocking: null, accessible: null });
  add(`${v} connect failure on a redirect target is http-failure`, measurement(v, 'http://news.example.org/', { q: [sys, { host: 'www.news.example.org', addrs: ['81.19.0.81'], depth: 1 }], tcp: [...okTcp(v), { ip: '81.19.0.81', port: 80, failure: 'connection_refused', depth: 1 }], req: [{ url: 'http://news.example.org/', address: `${IP}:80`, code: 301, headers: { Location: 'http://www.news.example.org/' } }, { url: 'http://www.news.example.org/', failure: 'connection_refused', depth: 1 }] }), { blocking: 'http-failure', accessible: false });
  const eleven: R[] = Array.from({ length: 11 }, (_, i) => ({ url: `http://news.example.org/r${i}`, address: `${IP}:80`, code: 302, headers: { Location: `/r${i + 1}` }, depth: i }));
  add(`${v} more than 10 redirects is not reachable`, measurement(v, 'http://news.example.org/r0', { q: [sys], tcp: okTcp(v), req: [...eleven, { url: 'http://news.example.org/r11', failure: 'unknown_failure: stopped after 10 redirects', depth: 11 }] }), { blocking: 'http-failure', accessible: false });
  add(`${v} DNS NXDOMAIN and no request recorded at all`, measurement(v, 'http://news.example.org/', { q: [{ host: 'news.example.org', failure: 'dns_nxdomain_error' }] }), { blocking: 'dns', accessible: false });
}

// ---- v0.5 only: several resolvers, partly recorded redirects ----
const doh: Q = { host: 'news.example.org', engine: 'doh', addrs: [IP], resolver: 'https://dns.google/dns-query' };
const udp: Q = { host: 'news.example.org', engine: 'udp', addrs: [IP], resolver: '8.8.8.8:53' };
add('0.5 the system resolver NXDOMAIN is not hidden by an honest DoH answer', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', failure: 'dns_nxdomain_error' }, doh, udp],
  tcp: okTcp('0.5', 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }], req: [siteReq('https://news.example.org/', 443)],
}), { blocking: 'dns', accessible: false });
add('0.5 the system resolver lies (bogon), DoH is honest', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: ['10.10.34.36'] }, doh],
  tcp: [{ ip: '10.10.34.36', port: 443, failure: 'generic_timeout_error' }, { ip: IP, port: 443 }], tls: [{ address: `${IP}:443`, sni: 'news.example.org' }], req: [siteReq('https://news.example.org/', 443)],
}), { blocking: 'dns', accessible: false });
add('0.5 a failing DoH service says nothing about the site', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP] }, { ...doh, addrs: [], failure: 'generic_timeout_error' }],
  tcp: okTcp('0.5', 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }], req: [siteReq('https://news.example.org/', 443)],
}), { blocking: false, accessible: true });
add('0.5 final 3xx over TLS whose next hop failed DNS (only the lookup recorded)', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP] }, { host: 'www.news.example.org', engine: 'getaddrinfo', failure: 'dns_nxdomain_error', depth: 1 }],
  tcp: okTcp('0.5', 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }],
  req: [{ url: 'https://news.example.org/', address: `${IP}:443`, code: 302, headers: { Location: 'https://www.news.example.org/' } }],
  http_experiment_failure: 'dns_nxdomain_error',
}), { blocking: 'dns', accessible: false });
add('0.5 final 3xx whose next hop was reset (only http_experiment_failure says so)', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP] }],
  tcp: okTcp('0.5', 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }],
  req: [{ url: 'https://news.example.org/', address: `${IP}:443`, code: 302, headers: { Location: '/home' } }],
  http_experiment_failure: 'connection_reset',
}), { blocking: 'http-failure', accessible: false });
add('0.5 final 3xx with nothing recorded after it: cannot tell', measurement('0.5', 'https://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP] }],
  tcp: okTcp('0.5', 443), tls: [{ address: `${IP}:443`, sni: 'news.example.org' }],
  req: [{ url: 'https://news.example.org/', address: `${IP}:443`, code: 302, headers: { Location: '/home' } }],
}), { blocking: null, accessible: null });
add('0.5 TLS failure on a redirect hop (depth tags)', measurement('0.5', 'http://news.example.org/', {
  q: [{ host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP] }, { host: 'news.example.org', engine: 'getaddrinfo', addrs: [IP], depth: 1 }],
  tcp: [...okTcp('0.5'), { ip: IP, port: 443, depth: 1 }], tls: [{ address: `${IP}:443`, sni: 'news.example.org', failure: 'connection_reset', depth: 1 }],
  req: [{ url: 'http://news.example.org/', address: `${IP}:80`, code: 301, headers: { Location: 'https://news.example.org/' } }, { url: 'https://news.example.org/', address: `${IP}:443`, failure: 'connection_reset', depth: 1 }],
}), { blocking: 'http-failure', accessible: false, verdict: 'tls' });

describe('differential: OONI-format measurements recomputed by the import give OONI’s verdict', () => {
  it('has fixtures for both data formats', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(V05.size).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s', (_name, line, want) => {
    const parsed = parseMeasurementLine(line);
    if ('error' in parsed) throw new Error(parsed.error);
    const m: Measurement = measurementSchema.parse(parsed.m);
    const v = recompute(m);
    expect({ blocking: v.blocking === 'false' ? false : v.blocking, accessible: v.accessible }, v.reasons.join(' | ')).toEqual({ blocking: want.blocking, accessible: want.accessible });
    if (want.verdict) expect(v.verdict, v.reasons.join(' | ')).toBe(want.verdict);
    if (want.fingerprint !== undefined) expect(v.fingerprint).toBe(want.fingerprint);
    if (want.likely) expect(v.reasons.join(' ')).toContain(`likely blockpage (${want.likely})`);
  });
});
