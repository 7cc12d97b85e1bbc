/** Shapes of the Stackwatch HTTP API as the console uses them (see docs/console.md and the API contract). */

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  orgId: string;
  orgName: string;
  totpEnabled?: boolean;
}

export interface Meta {
  incidentTypes: string[];
  statuses: string[];
  severities: string[];
  tlpLabels: string[];
  roles: string[];
  lawStatuses: string[];
  rights: string[];
  evidenceKinds: string[];
  targetKinds: string[];
  countries: { code: string; name: string }[];
  tokenScopes?: string[];
  actorRoles?: string[];
}

export type Precision = 'day' | 'minute';

export interface Incident {
  id: string;
  type: string;
  title: string;
  country: string;
  area: string | null;
  networks: { asn?: number | null; name?: string }[];
  services: string[];
  actors: { name: string; role: string }[];
  targets: string[];
  startAt: string | null;
  startPrecision: Precision;
  endAt: string | null;
  endPrecision: Precision | null;
  status: string;
  severity: string | null;
  tlp: string;
  summary: string | null;
  description: string | null;
  tags: string[];
  dataQuality: { code: string; reason: string }[];
  confidence: number | null;
  origin: string | null;
  orgId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  lawIds: string[];
  /** ended | ongoing (known to continue, as of ongoingAsOf or now) | unknown (end never recorded). */
  endState?: 'ended' | 'ongoing' | 'unknown';
  ongoingAsOf?: string | null;
  durationDays?: number | null;
  durationIsMinimum?: boolean;
  mergedInto?: string | null;
}

export interface Source {
  id: string;
  kind: string;
  url: string;
  title: string | null;
  publisher: string | null;
  retrievedAt: string | null;
  sha256: string | null;
}

export interface Evidence {
  id: string;
  kind: string;
  ref: string;
  summary: string | null;
  data: unknown;
  addedAt: string;
}

export interface LawRef {
  id: string;
  title: string;
  country: string;
  status: string;
}

export interface IncidentDetail extends Incident {
  sources: Source[];
  evidence: Evidence[];
  laws: LawRef[];
}

export interface HistoryEntry {
  version: number;
  at: string;
  actorLabel: string;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  /** Set on entries of an incident that was merged into this one: that incident's id. */
  fromIncident?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface CountryStat {
  country: string;
  count: number;
  shutdownDays: number;
  endUnknown?: number;
  ongoing?: number;
}

/** The choice behind a figure, as the API applied it (every statistic states it). */
export interface AppliedFilter {
  status: string;
  family: string;
  types: string[];
  origin: string | null;
  from: string | null;
  to: string | null;
  period: string;
  description: string;
}

export interface DuplicateCandidate {
  id: string;
  title: string;
  type: string;
  startAt: string | null;
  endAt: string | null;
  endState: string;
  area: string | null;
  origin: string;
  status: string;
  reasons: string[];
  score: number;
}

export interface DatasetCounts {
  dataset: string;
  counting: string;
  attribution: string;
  items: { period: string | null; records: number; incidents: number }[];
}

export interface MonthlyStat {
  month: string;
  type: string;
  count: number;
}

export interface Law {
  id: string;
  country: string;
  title: string;
  status: string;
  timeline: { status: string; date: string; note: string | null }[];
  articles: { ref: string; text: string; concern: string | null }[];
  rights: string[];
  summary: string | null;
  url: string | null;
  tlp: string;
  incidentIds: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface CountryProfile {
  country: string;
  name: string;
  incidentCount: number;
  shutdownDays: number;
  byType: { type: string; count: number }[];
  laws: Law[];
  endUnknown?: number;
  ongoing?: number;
  filter?: AppliedFilter;
}

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: string;
  orgId: string;
  orgName: string;
  disabled: boolean;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorLabel: string;
  action: string;
  entityType: string;
  entityId: string | null;
  /** The entity's name (user e-mail, incident or law title, token name) while it exists. */
  entityLabel?: string | null;
  before: unknown;
  after: unknown;
  /** True when the record's bodies are withheld from this reader (TLP). */
  redacted?: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}
