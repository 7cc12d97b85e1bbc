/** The incident taxonomy: one list shared by the registry, importers, the console and the wings. */
export const INCIDENT_TYPES = [
  'shutdown.full',
  'shutdown.regional',
  'shutdown.mobile',
  'throttling',
  'blocking.website',
  'blocking.service',
  'takedown.content',
  'account.suspension',
  'account.suspension.mass_reporting',
  'infrastructure.domain',
  'infrastructure.hosting',
  'infrastructure.cdn',
  'infrastructure.certificate',
  'infrastructure.payment',
  'threat.harassment',
  'threat.doxxing',
  'threat.physical',
  'surveillance.spyware',
  'surveillance.other',
  'device.seizure',
  'other',
] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_STATUSES = ['draft', 'under_review', 'verified', 'disputed', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Allowed status moves: draft → under review → verified or disputed → closed (and back to review on new facts). */
export const STATUS_TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  draft: ['under_review', 'closed'],
  under_review: ['verified', 'disputed', 'draft'],
  verified: ['closed', 'under_review', 'disputed'],
  disputed: ['closed', 'under_review', 'verified'],
  closed: ['under_review'],
};

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const TARGET_KINDS = [
  'general_public', 'hrd', 'journalist', 'ngo', 'activist', 'lawyer', 'opposition', 'minority', 'student',
  'media_outlet', 'platform', 'other',
] as const;

export const ACTOR_ROLES = ['ordered_by', 'carried_out_by', 'requested_by', 'other'] as const;

export const EVIDENCE_KINDS = ['measurement', 'outage_event', 'takedown_record', 'case', 'document', 'other'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const TIME_PRECISIONS = ['day', 'minute'] as const;
export type TimePrecision = (typeof TIME_PRECISIONS)[number];

export const LAW_STATUSES = ['proposed', 'passed', 'in_force', 'amended', 'repealed'] as const;
export type LawStatus = (typeof LAW_STATUSES)[number];

export const RIGHTS = [
  'expression', 'access_to_information', 'privacy', 'assembly', 'association', 'press_freedom', 'due_process',
  'non_discrimination',
] as const;

export const ROLES = ['admin', 'analyst', 'responder', 'partner', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isShutdownType(t: string): boolean {
  return t.startsWith('shutdown.');
}
