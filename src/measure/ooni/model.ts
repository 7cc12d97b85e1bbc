import { z } from 'zod';

/**
 * OONI measurement data format 0.2.0, web_connectivity test keys, and the test-helper (TH) protocol.
 * Schemas are "loose" (unknown keys are kept) so measurements from OONI's own probes, which carry more keys than
 * ours, validate and round-trip unchanged.
 */

export const OONI_DATA_FORMAT_VERSION = '0.2.0';
export const WEB_CONNECTIVITY_TEST_VERSION = '0.4.3';
export const SOFTWARE_NAME = 'stackwatch-probe';
export const SOFTWARE_VERSION = '0.1.0';

/** Failure strings used by OONI (netxlite); anything else is written as `unknown_failure: <detail>`. */
export const FAILURES = [
  'dns_nxdomain_error',
  'dns_no_answer',
  'dns_refused_error',
  'dns_server_failure',
  'connection_refused',
  'connection_reset',
  'generic_timeout_error',
  'eof_error',
  'ssl_invalid_hostname',
  'ssl_unknown_authority',
  'ssl_invalid_certificate',
  'ssl_failed_handshake',
  'host_unreachable',
] as const;

const failure = z.string().nullable();
const num = z.number();

export const dnsAnswerSchema = z.looseObject({
  answer_type: z.string(),
  ipv4: z.string().optional(),
  ipv6: z.string().optional(),
  hostname: z.string().optional(),
  asn: z.number().int().optional(),
  as_org_name: z.string().optional(),
  ttl: z.number().nullable().optional(),
});
export type DnsAnswer = z.infer<typeof dnsAnswerSchema>;

export const dnsQuerySchema = z.looseObject({
  answers: z.array(dnsAnswerSchema).nullable(),
  engine: z.string(),
  failure,
  hostname: z.string(),
  query_type: z.string(),
  resolver_address: z.string(),
  rcode: z.number().int().optional(),
  t0: num.optional(),
  t: num,
  transaction_id: z.number().int().optional(),
});
export type DnsQuery = z.infer<typeof dnsQuerySchema>;

export const tcpConnectSchema = z.looseObject({
  ip: z.string(),
  port: z.number().int(),
  status: z.looseObject({ failure, success: z.boolean(), blocked: z.boolean().nullable().optional() }),
  t0: num.optional(),
  t: num,
  transaction_id: z.number().int().optional(),
});
export type TcpConnect = z.infer<typeof tcpConnectSchema>;

export const tlsHandshakeSchema = z.looseObject({
  network: z.string().optional(),
  address: z.string().optional(),
  cipher_suite: z.string(),
  failure,
  negotiated_protocol: z.string(),
  no_tls_verify: z.boolean(),
  peer_certificates: z.array(z.looseObject({ data: z.string(), format: z.string() })).nullable(),
  server_name: z.string(),
  tls_version: z.string(),
  t0: num.optional(),
  t: num,
  transaction_id: z.number().int().optional(),
});
export type TlsHandshake = z.infer<typeof tlsHandshakeSchema>;

/** A header value list as OONI writes it: `[[name, value], ...]`. */
const headersList = z.array(z.tuple([z.string(), z.string()]));
/** OONI writes bodies that are not valid UTF-8 as `{format: "base64", data}`. */
export const maybeBinary = z.union([z.string(), z.looseObject({ format: z.literal('base64'), data: z.string() })]);

export const httpTransactionSchema = z.looseObject({
  network: z.string().optional(),
  address: z.string().optional(),
  failure,
  request: z.looseObject({
    body: maybeBinary,
    body_is_truncated: z.boolean().optional(),
    headers: z.record(z.string(), maybeBinary),
    headers_list: headersList.optional(),
    method: z.string(),
    tor: z.unknown().optional(),
    url: z.string(),
  }),
  response: z.looseObject({
    body: maybeBinary.nullable(),
    body_is_truncated: z.boolean(),
    code: z.number().int(),
    headers: z.record(z.string(), maybeBinary),
    headers_list: headersList.optional(),
  }),
  t0: num.optional(),
  t: num,
  transaction_id: z.number().int().optional(),
});
export type HttpTransaction = z.infer<typeof httpTransactionSchema>;

export const networkEventSchema = z.looseObject({
  address: z.string().optional(),
  failure,
  num_bytes: z.number().int().optional(),
  operation: z.string(),
  proto: z.string().optional(),
  t0: num.optional(),
  t: num,
  transaction_id: z.number().int().optional(),
});
export type NetworkEvent = z.infer<typeof networkEventSchema>;

// ---- test-helper protocol ----

export const thRequestSchema = z.looseObject({
  http_request: z.string().min(1),
  http_request_headers: z.record(z.string(), z.array(z.string())).default({}),
  tcp_connect: z.array(z.string()).default([]),
  x_quic_enabled: z.boolean().optional(),
});
export type ThRequest = z.infer<typeof thRequestSchema>;

export const thResponseSchema = z.looseObject({
  tcp_connect: z.record(z.string(), z.looseObject({ status: z.boolean(), failure })),
  tls_handshake: z.record(z.string(), z.looseObject({ server_name: z.string(), status: z.boolean(), failure })).optional(),
  quic_handshake: z.record(z.string(), z.unknown()).optional(),
  http_request: z.looseObject({
    body_length: z.number().int(),
    discovered_h3_endpoint: z.string().optional(),
    failure,
    title: z.string(),
    headers: z.record(z.string(), z.string()),
    status_code: z.number().int(),
  }),
  http3_request: z.unknown().optional(),
  dns: z.looseObject({ failure, addrs: z.array(z.string()).nullable() }),
  ip_info: z.record(z.string(), z.looseObject({ asn: z.number().int(), flags: z.number().int() })).optional(),
  /** Stackwatch extension: how long the TH took to read the body, for throttling verdicts. */
  x_stackwatch: z
    .looseObject({ body_bytes: z.number().int(), body_transfer_ms: z.number(), final_url: z.string().optional() })
    .optional(),
});
export type ThResponse = z.infer<typeof thResponseSchema>;

// ---- verdicts ----

/** Our verdict kinds, finer than OONI's `blocking` field. */
export const VERDICT_KINDS = ['ok', 'down', 'dns', 'tcp_ip', 'tls', 'http-blockpage', 'http-diff', 'http-failure', 'throttling', 'unknown'] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

export const blockingSchema = z.union([z.enum(['dns', 'tcp_ip', 'http-failure', 'http-diff']), z.literal(false)]).nullable();

export const evidenceSchema = z.looseObject({
  verdict: z.enum(VERDICT_KINDS),
  reasons: z.array(z.string()),
  /** a confirmed fingerprint only (an in-scope, specific blockpage or block IP the control does not see) */
  fingerprint: z.string().nullable(),
  /** a fingerprint that matched but does not confirm (vague words, another country's, no control) */
  fingerprint_likely: z.string().nullable().optional(),
  throttling: z
    .looseObject({ probe_bytes_per_s: z.number(), control_bytes_per_s: z.number(), ratio: z.number(), throttled: z.boolean() })
    .nullable(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const webConnectivityTestKeysSchema = z.looseObject({
  agent: z.string().optional(),
  client_resolver: z.string().nullable().optional(),
  retries: z.number().nullable().optional(),
  socksproxy: z.string().nullable().optional(),
  queries: z.array(dnsQuerySchema).nullable(),
  tcp_connect: z.array(tcpConnectSchema).nullable(),
  tls_handshakes: z.array(tlsHandshakeSchema).nullable().optional(),
  requests: z.array(httpTransactionSchema).nullable(),
  network_events: z.array(networkEventSchema).nullable().optional(),
  control: z.union([thResponseSchema, z.looseObject({})]).nullable(),
  control_failure: failure,
  dns_experiment_failure: failure.optional(),
  http_experiment_failure: failure.optional(),
  dns_consistency: z.enum(['consistent', 'inconsistent']).nullable(),
  body_length_match: z.boolean().nullable(),
  body_proportion: z.number().nullable().optional(),
  status_code_match: z.boolean().nullable(),
  headers_match: z.boolean().nullable(),
  title_match: z.boolean().nullable(),
  blocking: blockingSchema,
  accessible: z.boolean().nullable(),
  /** OONI v0.5's own flags (its meaning, written by OONI's probes; we keep it as given). */
  x_blocking_flags: z.number().int().optional(),
  /** Stackwatch's blocking flags: DNS=1, TCP/IP=2, TLS=4, HTTP failure=8, HTTP diff=16, success=32. */
  x_stackwatch_blocking_flags: z.number().int().optional(),
  /** Stackwatch's verdict with the evidence behind it. */
  x_stackwatch: evidenceSchema.optional(),
});
export type WebConnectivityTestKeys = z.infer<typeof webConnectivityTestKeysSchema>;

const ooniTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected "YYYY-MM-DD hh:mm:ss" (UTC)');

export const measurementSchema = z.looseObject({
  annotations: z.record(z.string(), z.string()).default({}),
  data_format_version: z.string(),
  extensions: z.record(z.string(), z.number()).optional(),
  id: z.string().optional(),
  input: z.string().nullable(),
  measurement_start_time: ooniTime,
  probe_asn: z.string().regex(/^AS\d+$/, 'expected "AS<number>"'),
  probe_cc: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code'),
  probe_ip: z.string().optional(),
  probe_network_name: z.string().nullable().optional(),
  report_id: z.string(),
  resolver_asn: z.string().optional(),
  resolver_ip: z.string().optional(),
  resolver_network_name: z.string().optional(),
  software_name: z.string(),
  software_version: z.string(),
  test_helpers: z.record(z.string(), z.unknown()).nullable().optional(),
  test_keys: z.looseObject({}),
  test_name: z.string(),
  test_runtime: z.number(),
  test_start_time: ooniTime,
  test_version: z.string(),
});
export type Measurement = z.infer<typeof measurementSchema>;

export const webConnectivityMeasurementSchema = measurementSchema.extend({
  test_name: z.literal('web_connectivity'),
  test_keys: webConnectivityTestKeysSchema,
});
export type WebConnectivityMeasurement = z.infer<typeof webConnectivityMeasurementSchema>;

/** "YYYY-MM-DD hh:mm:ss" in UTC, as OONI writes times. */
export function ooniTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** OONI-style report id: `<time>_<test>_<cc>_<asn>_n1_<random>`. */
export function reportId(start: Date, cc: string, asn: string, rand: string): string {
  const t = start.toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z';
  return `${t}_webconnectivity_${cc}_${asn.replace(/^AS/, '')}_n1_${rand}`;
}
