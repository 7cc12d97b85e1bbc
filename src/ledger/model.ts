/**
 * The ledger's vocabulary: one schema for a demand (a government's or another party's request to remove content,
 * block an account or cut a service) and what the platform or provider did with it, whatever the source.
 */
import { z } from 'zod';
import { TLP_LABELS } from '../core/tlp.js';
import { badRequest, describeIssues } from '../core/errors.js';

export const REQUESTER_TYPES = ['court', 'executive_police', 'regulator', 'other_government', 'private_party', 'trusted_flagger', 'unknown'] as const;
export type RequesterType = (typeof REQUESTER_TYPES)[number];

export const STACK_LAYERS = ['application', 'hosting', 'cdn', 'dns', 'certificate_authority', 'isp', 'payment', 'app_store'] as const;
export type StackLayer = (typeof STACK_LAYERS)[number];

/** `removed`: taken down, the source does not say under law or policy (Lumen's action_taken "Yes"). */
export const OUTCOMES = ['removed_law', 'removed_policy', 'removed', 'content_not_found', 'not_enough_information', 'no_action', 'already_removed', 'partial', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const INTERVENTION_ACTIONS = ['domain_suspended', 'domain_seized', 'hosting_terminated', 'cdn_dropped', 'certificate_revoked', 'payments_cut', 'app_removed', 'other'] as const;
export type InterventionAction = (typeof INTERVENTION_ACTIONS)[number];

/** The layer an action happens at, when the analyst does not say. */
export const ACTION_LAYER: Record<InterventionAction, StackLayer> = {
  domain_suspended: 'dns', domain_seized: 'dns', hosting_terminated: 'hosting', cdn_dropped: 'cdn', certificate_revoked: 'certificate_authority',
  payments_cut: 'payment', app_removed: 'app_store', other: 'application',
};

export const RECORD_KINDS = ['aggregate', 'notice', 'intervention'] as const;

/**
 * One row of `ledger_demands`. Counts are ranges (low/high): an exact count has low = high; Google's "<10" is 1–9;
 * an unknown count is null/null. Outcome shares are percentages of the items (Google) or null where the source has none.
 */
export interface DemandRow {
  id: string;
  dataset: string;
  record_kind: (typeof RECORD_KINDS)[number];
  requester_country: string | null;
  requester_type: RequesterType;
  requester_raw: string;
  legal_basis_raw: string;
  reason: string;
  platform: string;
  product: string;
  stack_layer: StackLayer;
  period_start: string; // YYYY-MM-DD
  period_end: string; // YYYY-MM-DD
  requests_low: number | null;
  requests_high: number | null;
  items_low: number | null;
  items_high: number | null;
  pct_removed_law: number | null;
  pct_removed_policy: number | null;
  pct_not_found: number | null;
  pct_not_enough_info: number | null;
  pct_no_action: number | null;
  pct_already_removed: number | null;
  pct_complied: number | null;
  outcome: Outcome;
  action: string;
  target: string;
  sources: string; // JSON array of URLs
  tlp: string;
  org_id: string;
  created_by: string;
  source_file: string;
  file_sha256: string;
  source_row: number;
  import_id: string;
}

export const DEMAND_COLUMNS: (keyof DemandRow)[] = [
  'id', 'dataset', 'record_kind', 'requester_country', 'requester_type', 'requester_raw', 'legal_basis_raw', 'reason', 'platform', 'product',
  'stack_layer', 'period_start', 'period_end', 'requests_low', 'requests_high', 'items_low', 'items_high', 'pct_removed_law', 'pct_removed_policy',
  'pct_not_found', 'pct_not_enough_info', 'pct_no_action', 'pct_already_removed', 'pct_complied', 'outcome', 'action', 'target', 'sources', 'tlp',
  'org_id', 'created_by', 'source_file', 'file_sha256', 'source_row', 'import_id',
];

/** A count as the sources write it: "57", "<10" (1–9), "" or "?" (unknown). Anything else is malformed. */
export function parseCount(raw: string | undefined): { low: number | null; high: number | null } | { error: string } {
  const s = (raw ?? '').trim().replace(/,/g, '');
  if (s === '' || s === '?') return { low: null, high: null };
  const lt = /^<\s*(\d+)$/.exec(s);
  if (lt) {
    const n = Number(lt[1]);
    return n >= 1 ? { low: n > 1 ? 1 : 0, high: n - 1 } : { error: `"${raw}" is not a count` };
  }
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return { low: n, high: n };
  }
  return { error: `"${raw}" is not a count (expected a whole number, "<10", "?" or blank)` };
}

/** A percentage 0–100, or null when blank. */
export function parsePct(raw: string | undefined): number | null | { error: string } {
  const s = (raw ?? '').trim().replace(/%$/, '');
  if (s === '' || s === '?') return null;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 100) return { error: `"${raw}" is not a percentage` };
  return n;
}

/** Google's reason labels, normalised to snake case ("Government Criticism" → government_criticism). */
export function normaliseReason(raw: string): string {
  const s = raw.trim().toLowerCase();
  if (!s || s === 'reason unspecified') return 'unspecified';
  return s.replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

/** Requester types of Google's current summary layout, and its historical "court orders" / "other requests". */
export function normaliseRequester(raw: string): RequesterType {
  const s = raw.trim().toLowerCase();
  if (!s) return 'unknown';
  if (s.includes('court') || s.includes('suppression order') || s === 'judiciary') return 'court';
  if (s.includes('police') || s.includes('military') || s.includes('executive') || s.includes('law enforcement')) return 'executive_police';
  if (s.includes('authority') || s.includes('regulator')) return 'regulator';
  if (s.includes('government') || s === 'other' || s.includes('ministry')) return 'other_government';
  if (s.includes('trusted flagger')) return 'trusted_flagger';
  if (s.includes('private') || s.includes('individual') || s.includes('company')) return 'private_party';
  return 'unknown';
}

const Url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real date');
const Cc = z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as TR');

/** An infrastructure intervention, as an analyst enters it (form or CSV). */
export const InterventionInput = z
  .object({
    provider: z.string().trim().min(1, 'name the provider').max(200),
    layer: z.enum(STACK_LAYERS).optional(),
    action: z.enum(INTERVENTION_ACTIONS),
    requesterCountry: Cc.nullable().optional(),
    requesterType: z.enum(REQUESTER_TYPES).default('unknown'),
    requester: z.string().trim().max(300).default(''),
    legalBasis: z.string().trim().max(1000).default(''),
    target: z.string().trim().min(1, 'name the target (domain, site, app, account)').max(500),
    startDate: Day,
    endDate: Day.nullable().optional(),
    outcome: z.enum(OUTCOMES).default('unknown'),
    sources: z.array(Url).max(20).default([]),
    tlp: z.enum(TLP_LABELS),
  })
  .strict()
  .refine((v) => !v.endDate || v.endDate >= v.startDate, { message: 'must not be before startDate', path: ['endDate'] });
export type InterventionInput = z.input<typeof InterventionInput>;

/** A column mapping for a generic transparency CSV: our field → the CSV's header (or a constant with "="). */
export const MAPPABLE_FIELDS = [
  'requester_country', 'requester_type', 'legal_basis', 'reason', 'platform', 'product', 'stack_layer', 'date', 'period_end', 'requests', 'items',
  'outcome', 'pct_removed',
] as const;
export const ColumnMapping = z
  .object({
    name: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{1,59}$/, 'use 2–60 lower-case letters, digits, - or _'),
    delimiter: z.enum([',', ';', '\t']).default(','),
    columns: z.partialRecord(z.enum(MAPPABLE_FIELDS), z.string().min(1).max(200)),
    tlp: z.enum(TLP_LABELS).default('TLP:CLEAR'),
  })
  .strict()
  .refine((m) => m.columns.requester_country, { message: 'map a column (or "=CC") to requester_country', path: ['columns', 'requester_country'] })
  .refine((m) => m.columns.platform, { message: 'map a column (or "=Name") to platform', path: ['columns', 'platform'] })
  .refine((m) => m.columns.date || m.columns.period_end, { message: 'map a column to date or period_end', path: ['columns', 'date'] })
  .refine((m) => m.columns.requests || m.columns.items, { message: 'map a column to requests or items', path: ['columns', 'requests'] });
export type ColumnMapping = z.output<typeof ColumnMapping>;

export const Caveats = {
  google: 'Google Transparency Report: requests and items as Google counts them; "<10" is kept as the range 1–9, so totals are "at least" the low end. Outcome shares are of the items requested, per requester type and half-year.',
  dsa: 'EU DSA Transparency Database: records only decisions that restricted something. It has no denominator: these are volumes and shares of statements, never a compliance rate.',
  lumen: 'Lumen: notices voluntarily shared by recipients; not a complete record of demands. action_taken as reported by the recipient.',
  interventions: 'Infrastructure interventions entered by analysts from their sources: a record of known cases, not a census.',
  generic: 'Imported through a column mapping: the figures are as the source file states them.',
} as const;

/** Parses input from outside; a failure is a 400 that names each field (never a raw ZodError). */
export function check<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const d = describeIssues(r.error.issues as never);
  throw badRequest(d.message, d.field, { issues: d.issues });
}
