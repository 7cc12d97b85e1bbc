/**
 * Shapes of the measure wing's API (`/api/measure/*`, see docs/measure.md) and of the parts of an OONI
 * web_connectivity measurement the console reads. The raw measurement comes from anywhere (our probe, OONI's),
 * so every field of it is optional here and read defensively by logic.ts.
 */

export const VERDICTS = ['dns', 'tcp_ip', 'tls', 'http-blockpage', 'http-diff', 'http-failure', 'throttling', 'down', 'ok', 'unknown'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that mean interference (they count as "blocked" in the chart and the aggregates). */
export const BLOCKING_VERDICTS: readonly Verdict[] = ['dns', 'tcp_ip', 'tls', 'http-blockpage', 'http-diff', 'http-failure', 'throttling'];

export function isVerdict(v: unknown): v is Verdict {
  return typeof v === 'string' && (VERDICTS as readonly string[]).includes(v);
}

export interface MeasurementRow {
  id: string;
  sha256: string;
  reportId: string;
  input: string | null;
  domain: string | null;
  probeCc: string;
  probeAsn: number;
  start: string;
  verdict: Verdict;
  blocking: string | null;
  accessible: boolean | null;
  fingerprint: string | null;
  reasons: string[];
}

export interface MeasurementList {
  total: number;
  items: MeasurementRow[];
}

export interface MeasurementDetail extends MeasurementRow {
  measurement: unknown;
}

export interface AnomalyRow {
  country: string | null;
  asn: number | null;
  domain: string | null;
  day: string | null;
  measurements: number;
  anomalies: number;
  confirmed: number;
  ok: number;
  down: number;
  byKind: Record<string, number>;
}

export interface BlockedDay {
  day: string;
  blockedDomains: number;
  testedDomains: number;
}

export interface AttachResult {
  attached: number;
  already: number;
  missing: string[];
}

export interface OpenedIncident {
  domain: string;
  incidentId: string;
  created: boolean;
  measurements: number;
}

/* ---- the raw OONI web_connectivity measurement, as far as the console reads it ---- */

export interface RawBody {
  format?: string;
  data?: string;
}

export interface RawQuery {
  hostname?: string;
  query_type?: string;
  failure?: string | null;
  resolver_address?: string;
  engine?: string;
  answers?: { answer_type?: string; ipv4?: string; ipv6?: string; hostname?: string; asn?: number; as_org_name?: string }[] | null;
}

export interface RawTcpConnect {
  ip?: string;
  port?: number;
  status?: { success?: boolean; failure?: string | null; blocked?: boolean | null };
}

export interface RawTlsHandshake {
  address?: string;
  server_name?: string;
  failure?: string | null;
  tls_version?: string;
  cipher_suite?: string;
  negotiated_protocol?: string;
  no_tls_verify?: boolean;
  peer_certificates?: RawBody[] | null;
}

export interface RawRequest {
  failure?: string | null;
  request?: { url?: string; method?: string; headers?: Record<string, string | string[]> };
  response?: { code?: number; body?: string | RawBody | null; body_is_truncated?: boolean; headers?: Record<string, string | string[]> };
  x_failed_operation?: string | null;
  x_body_bytes?: number;
  x_body_transfer_ms?: number;
}

export interface RawControl {
  tcp_connect?: Record<string, { status?: boolean; failure?: string | null }>;
  tls_handshake?: Record<string, { server_name?: string; status?: boolean; failure?: string | null }>;
  http_request?: {
    body_length?: number;
    failure?: string | null;
    title?: string;
    headers?: Record<string, string>;
    status_code?: number;
  };
  dns?: { failure?: string | null; addrs?: string[] };
  ip_info?: Record<string, { asn?: number; flags?: number }>;
  x_stackwatch?: { body_bytes?: number; body_transfer_ms?: number; final_url?: string };
}

export interface RawEvidence {
  verdict?: string;
  reasons?: string[];
  fingerprint?: string | null;
  throttling?: { probe_bytes_per_s?: number; control_bytes_per_s?: number; ratio?: number; throttled?: boolean } | null;
}

export interface RawTestKeys {
  queries?: RawQuery[] | null;
  tcp_connect?: RawTcpConnect[] | null;
  tls_handshakes?: RawTlsHandshake[] | null;
  requests?: RawRequest[] | null;
  control?: RawControl | null;
  control_failure?: string | null;
  dns_consistency?: string | null;
  body_length_match?: boolean | null;
  body_proportion?: number | null;
  status_code_match?: boolean | null;
  headers_match?: boolean | null;
  title_match?: boolean | null;
  blocking?: string | false | null;
  accessible?: boolean | null;
  x_stackwatch?: RawEvidence | null;
}

export interface RawMeasurement {
  input?: string | null;
  measurement_start_time?: string;
  probe_cc?: string;
  probe_asn?: string;
  probe_network_name?: string;
  resolver_ip?: string;
  report_id?: string;
  software_name?: string;
  software_version?: string;
  test_name?: string;
  test_helpers?: Record<string, { address?: string; type?: string }>;
  test_keys?: RawTestKeys;
}
