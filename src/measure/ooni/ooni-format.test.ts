import { describe, expect, it } from 'vitest';
import { webConnectivityMeasurementSchema, measurementSchema } from './model.js';
import { recompute } from '../analysis/store.js';

/** Measurements shaped like the ones OONI's probe-cli publishes (fields we do not write included). */
const iran = {
  annotations: { architecture: 'arm64', engine_name: 'ooniprobe-engine', engine_version: '3.19.0', network_type: 'mobile', platform: 'android' },
  data_format_version: '0.2.0',
  extensions: { dnst: 0, httpt: 0, netevents: 0, tcpconnect: 0, tlshandshake: 0, tunnel: 0 },
  input: 'http://www.bbc.com/persian',
  measurement_start_time: '2022-09-22 10:11:12',
  probe_asn: 'AS197207',
  probe_cc: 'IR',
  probe_ip: '127.0.0.1',
  probe_network_name: 'Mobile Communication Company of Iran PLC',
  report_id: '20220922T101010Z_webconnectivity_IR_197207_n1_abcdefghijklmnop',
  resolver_asn: 'AS197207',
  resolver_ip: '5.200.200.200',
  resolver_network_name: 'Mobile Communication Company of Iran PLC',
  software_name: 'ooniprobe-android',
  software_version: '3.7.0',
  test_helpers: { backend: { address: 'https://2.th.ooni.org', type: 'https' } },
  test_keys: {
    agent: 'redirect',
    client_resolver: '5.200.200.200',
    retries: null,
    socksproxy: null,
    network_events: [{ address: '10.10.34.36:80', conn_id: 1, failure: 'generic_timeout_error', operation: 'connect', proto: 'tcp', t: 10.0 }],
    x_dns_flags: 0,
    dns_experiment_failure: null,
    queries: [
      { answers: [{ asn: 0, as_org_name: '', answer_type: 'A', ipv4: '10.10.34.36', ttl: null }], engine: 'system', failure: null, hostname: 'www.bbc.com', query_type: 'A', resolver_hostname: null, resolver_port: null, resolver_address: '', t: 0.05 },
    ],
    tcp_connect: [{ ip: '10.10.34.36', port: 80, status: { blocked: true, failure: 'generic_timeout_error', success: false }, t: 10.05 }],
    tls_handshakes: null,
    control_failure: null,
    x_http_flags: 0,
    http_experiment_failure: 'generic_timeout_error',
    requests: [
      {
        failure: 'generic_timeout_error',
        request: { body: '', body_is_truncated: false, headers_list: [['Host', 'www.bbc.com']], headers: { Host: 'www.bbc.com' }, method: 'GET', tor: { exit_ip: null, exit_name: null, is_tor: false }, x_transport: 'tcp', url: 'http://www.bbc.com/persian' },
        response: { body: '', body_is_truncated: false, code: 0, headers_list: [], headers: {} },
        t: 10.1,
      },
    ],
    x_blocking_flags: 1,
    x_null_null_flags: 0,
    control: {
      tcp_connect: { '10.10.34.36:80': { status: false, failure: 'generic_timeout_error' }, '151.101.0.81:80': { status: true, failure: null } },
      tls_handshake: {},
      quic_handshake: {},
      http_request: { body_length: 230121, discovered_h3_endpoint: '', failure: null, title: 'BBC News فارسی', headers: { 'Content-Type': 'text/html' }, status_code: 200 },
      http3_request: null,
      dns: { failure: null, addrs: ['151.101.0.81', '151.101.64.81'] },
      ip_info: { '151.101.0.81': { asn: 54113, flags: 10 }, '10.10.34.36': { asn: 0, flags: 5 } },
    },
    dns_consistency: 'inconsistent',
    http_experiment_failure_x: null,
    body_length_match: null,
    headers_match: null,
    status_code_match: null,
    title_match: null,
    blocking: 'dns',
    accessible: false,
  },
  test_name: 'web_connectivity',
  test_runtime: 10.2,
  test_start_time: '2022-09-22 10:11:10',
  test_version: '0.4.2',
};

describe("OONI's own measurements", () => {
  it('validate against our schema and get the same verdict OONI gave, with the fingerprint', () => {
    const m = webConnectivityMeasurementSchema.parse(iran);
    expect(m.test_keys.tcp_connect![0]!.status.blocked).toBe(true); // unknown keys are kept
    const v = recompute(m);
    expect(v.verdict).toBe('dns');
    expect(v.blocking).toBe(iran.test_keys.blocking);
    expect(v.fingerprint).toBe('ooni.ir_10dot10_ipv4_1');
  });

  it('reads base64 bodies and matches blockpages inside them', () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>Access to this site has been blocked by an Order issued by the Federal Court of Canada</p>')]);
    const ca = structuredClone(iran) as unknown as Record<string, unknown> & { test_keys: Record<string, unknown> };
    Object.assign(ca, { input: 'http://streams.example/', probe_cc: 'CA', probe_asn: 'AS6327' });
    ca.test_keys.queries = [{ answers: [{ answer_type: 'A', ipv4: '151.101.0.81' }], engine: 'system', failure: null, hostname: 'streams.example', query_type: 'A', resolver_address: '', t: 0.1 }];
    ca.test_keys.tcp_connect = [{ ip: '151.101.0.81', port: 80, status: { failure: null, success: true }, t: 0.2 }];
    ca.test_keys.requests = [
      {
        failure: null,
        request: { body: '', headers: {}, method: 'GET', url: 'http://streams.example/' },
        response: { body: { format: 'base64', data: body.toString('base64') }, body_is_truncated: false, code: 200, headers: { Server: { format: 'base64', data: Buffer.from('nginx').toString('base64') } } },
        t: 0.3,
      },
    ];
    const v = recompute(measurementSchema.parse(ca));
    expect(v.verdict).toBe('http-blockpage');
    expect(v.blocking).toBe('http-diff');
    expect(v.fingerprint).toBe('ooni.ca_1');
  });
});
