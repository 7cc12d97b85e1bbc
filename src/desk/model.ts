/** Vocabulary and input schemas of the desk wing (cases, escalations, grants, settings). */
import { z } from 'zod';
import { isCountryCode } from '../core/countries.js';
import { INCIDENT_TYPES } from '../core/taxonomy.js';

export const CASE_CATEGORIES = [
  'threat_harassment',
  'doxxing',
  'account_hacked',
  'account_suspended',
  'device_seized_lost',
  'spyware_surveillance',
  'website_attacked_blocked',
  'internet_cut',
  'other',
] as const;
export type CaseCategory = (typeof CASE_CATEGORIES)[number];

export const URGENCIES = ['immediate', 'days', 'weeks'] as const;
export const SAFE_NOW = ['yes', 'no', 'unsure'] as const;
export const CONTACT_PREFS = ['page_only', 'contact_given'] as const;
export const LANGS = ['en', 'fr', 'es', 'ar'] as const;
export type Lang = (typeof LANGS)[number];

export const CASE_STATUSES = ['new', 'in_progress', 'waiting', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** Allowed moves; a closed case stays closed (its content is on the retention clock). */
export const CASE_TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  new: ['in_progress', 'waiting', 'resolved', 'closed'],
  in_progress: ['waiting', 'resolved', 'closed'],
  waiting: ['in_progress', 'resolved', 'closed'],
  resolved: ['in_progress', 'closed'],
  closed: [],
};

export const CountryCode = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as CM' });

/** Routing fields: readable for triage (the reporter agrees to reveal them). */
export const RoutingSchema = z
  .object({
    category: z.enum(CASE_CATEGORIES, { message: `must be one of ${CASE_CATEGORIES.join(', ')}` }),
    country: z.union([CountryCode, z.literal('').transform(() => null)]).nullable().default(null),
    urgency: z.enum(URGENCIES, { message: `must be one of ${URGENCIES.join(', ')}` }),
    safeNow: z.enum(SAFE_NOW, { message: `must be one of ${SAFE_NOW.join(', ')}` }),
    language: z.enum(LANGS).default('en'),
  })
  .strict();
export type Routing = z.output<typeof RoutingSchema>;

export const MAX_NARRATIVE = 20_000;
export const MAX_CONTACT = 1_000;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_FILES = 5;
export const MAX_UPLOAD_BYTES = 12 * 1024 * 1024;

export const VettingSchema = z
  .object({
    method: z.enum(['known_contact', 'trusted_referral', 'public_profile', 'video_call', 'other']),
    vouchedBy: z.string().max(200).default(''),
    note: z.string().max(1000).default(''),
    trusted: z.boolean(),
  })
  .strict();

export const CasePatchSchema = z
  .object({
    status: z.enum(CASE_STATUSES).optional(),
    assignedTo: z.uuid().nullable().optional(),
    vetting: VettingSchema.optional(),
    legalHold: z.boolean().optional(),
    /** Why a legal hold is placed or lifted (required with legalHold; kept on the case and in the audit log). */
    legalHoldReason: z.string().trim().min(3, 'give the reason (at least 3 characters)').max(500).optional(),
  })
  .strict()
  .refine((p) => p.legalHold === undefined || Boolean(p.legalHoldReason), { message: 'a legal hold is placed or lifted with a reason', path: ['legalHoldReason'] });

const B64 = z.string().regex(/^[A-Za-z0-9+/]+=*$/, 'must be base64');

export const SealedKeyInput = z
  .object({
    purpose: z.enum(['report', 'internal']),
    recipient: z.enum(['responder', 'escrow', 'reporter']),
    keyId: z.uuid().nullable(),
    sealed: B64.max(200),
  })
  .strict();

/** What the reporter's browser sends with the sealed blobs (multipart field `meta`). */
export const SealedSubmissionSchema = z
  .object({
    routing: RoutingSchema,
    receipt: z.object({ prefix: z.string().regex(/^[A-Z2-7]{4}$/, 'must be 4 base32 letters'), salt: B64.max(40), verifier: B64.max(60), reporterPublicKey: B64.max(60) }).strict(),
    keys: z.array(SealedKeyInput).min(3).max(200),
    items: z.array(z.object({ kind: z.enum(['report', 'attachment']), field: z.string().regex(/^item_\d{1,2}$/) }).strict()).min(1).max(MAX_FILES + 1),
    formToken: z.string().max(200),
    /** Proof-of-work stamp for the form token (required when the desk turns proof of work on). */
    pow: z.string().max(16).optional(),
  })
  .strict();

/** A returning reporter's browser proving the receipt (see openWithAuth). */
export const ReporterAuthSchema = z
  .object({ prefix: z.string().regex(/^[A-Z2-7]{4}$/, 'must be 4 base32 letters'), auth: B64.max(60) })
  .strict();
export const ReporterAddSchema = ReporterAuthSchema.extend({
  items: z.array(z.object({ kind: z.enum(['reporter_message', 'attachment']), field: z.string().regex(/^item_\d{1,2}$/) }).strict()).min(1).max(MAX_FILES + 1),
}).strict();

export const SealedItemInput = z.object({ ciphertext: B64.max(1_000_000, 'the sealed message must be under 700 KiB') }).strict();

export const ResponderKeyInput = z
  .object({
    publicKey: B64.max(60),
    wrappedPrivateKey: B64.max(200),
    salt: B64.max(40),
    opslimit: z.number().int().min(2).max(20),
    memlimit: z.number().int().min(8 * 1024 * 1024).max(1024 * 1024 * 1024),
  })
  .strict();

export const SettingsSchema = z
  .object({
    targetMinutes: z.number().int().min(5).max(7 * 24 * 60),
    warnMinutes: z.number().int().min(1).max(7 * 24 * 60),
    escalateMinutes: z.number().int().min(1).max(7 * 24 * 60),
    retentionDays: z.number().int().min(1).max(3650),
    retentionByCategory: z.partialRecord(z.enum(CASE_CATEGORIES), z.number().int().min(1).max(3650)),
    webhookUrl: z.url({ protocol: /^https?$/ }).nullable(),
    notifyEmails: z.array(z.email()).max(50),
    smtpUrl: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').max(500).nullable(),
    mailFrom: z.email().nullable(),
    grantPeriodBudgetEur: z.number().min(0).max(100_000_000),
  })
  .partial()
  .strict()
  .refine((s) => s.warnMinutes === undefined || s.escalateMinutes === undefined || s.warnMinutes < s.escalateMinutes, { message: 'must be later than warnMinutes', path: ['escalateMinutes'] });

export const ESCALATION_OUTCOMES = ['content_removed', 'content_restored', 'account_restored', 'account_secured', 'no_action', 'other'] as const;
export const EscalationInput = z
  .object({
    platform: z.string().trim().min(1).max(100),
    channel: z.enum(['trusted_partner', 'helpdesk_form', 'email', 'abuse_contact', 'legal', 'other']),
    escalatedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export const EscalationAnswer = z
  .object({ answeredAt: z.iso.datetime({ offset: true }).optional(), outcome: z.enum(ESCALATION_OUTCOMES) })
  .strict();

export const GRANT_COST_CATEGORIES = [
  'replacement_hardware_software',
  'secure_hardware_software',
  'urgent_response',
  'physical_security',
  'psychosocial_support',
  'legal_fees',
  'secure_hosting',
] as const;
export const GRANT_CRITERIA = ['urgency', 'context', 'beneficiary', 'need', 'feasibility_security', 'value_for_money', 'complementarity'] as const;
export const MAX_GRANT_EUR = 10_000;
export const MAX_GRANT_MONTHS = 4;
export const GRANT_DECISION_DAYS = 14;
export const GRANT_WARN_DAYS = 10;

const Day = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });
export const GrantInput = z
  .object({
    amountEur: z.number().positive('must be more than 0').max(MAX_GRANT_EUR, `must be at most EUR ${MAX_GRANT_EUR} (the emergency fund's ceiling)`),
    categories: z.array(z.enum(GRANT_COST_CATEGORIES)).min(1, 'choose at least one cost category'),
    activityStart: Day,
    activityEnd: Day,
    period: z.string().regex(/^\d{4}(-Q[1-4])?$/, 'must be a year (2026) or a quarter (2026-Q3)'),
    /** Person-naming fields (beneficiary, bank details), sealed in the responder's browser under the internal key. */
    sealedPerson: B64.max(100_000).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    const s = Date.parse(g.activityStart);
    const e = Date.parse(g.activityEnd);
    if (e < s) ctx.addIssue({ code: 'custom', path: ['activityEnd'], message: 'must not be before activityStart' });
    const limit = new Date(s);
    limit.setUTCMonth(limit.getUTCMonth() + MAX_GRANT_MONTHS);
    if (e > limit.getTime()) ctx.addIssue({ code: 'custom', path: ['activityEnd'], message: `activities may last at most ${MAX_GRANT_MONTHS} months` });
  });

export const VoteInput = z
  .object({
    vote: z.enum(['approve', 'reject', 'abstain']),
    criteria: z.record(z.enum(GRANT_CRITERIA), z.number().int().min(1).max(5)).refine((c) => GRANT_CRITERIA.every((k) => k in c), { message: `score every criterion 1–5: ${GRANT_CRITERIA.join(', ')}` }),
  })
  .strict();
export const DecisionInput = z.object({ decision: z.enum(['approved', 'rejected']) }).strict();
export const DisburseInput = z.object({ amountEur: z.number().positive() }).strict();
export const FinalReportInput = z.object({ report: z.string().trim().min(1).max(10_000) }).strict();

export const RegistryLinkInput = z
  .object({
    incidentId: z.uuid().optional(),
    newIncident: z
      .object({
        type: z.enum(INCIDENT_TYPES, { message: 'must be an incident type of the registry, e.g. threat.harassment' }),
        title: z.string().trim().min(3).max(300),
        country: CountryCode,
        startAt: z.string().max(40).refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 date or date-time' }),
        tlp: z.enum(['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT']).default('TLP:AMBER'),
      })
      .strict()
      .optional(),
    summary: z.string().trim().min(10, 'write a redacted summary of at least 10 characters').max(2000),
  })
  .strict()
  .refine((v) => Boolean(v.incidentId) !== Boolean(v.newIncident), { message: 'give either incidentId or newIncident', path: ['incidentId'] });

export const MISP_CASE_FIELDS = ['category', 'country', 'summary', 'received_month'] as const;
export const MispExportInput = z
  .object({
    caseSummary: z.object({ caseId: z.uuid(), fields: z.array(z.enum(MISP_CASE_FIELDS)).min(1), summary: z.string().trim().max(2000).default('') }).strict().optional(),
  })
  .strict();

const MispAttribute = z.object({
  uuid: z.string().optional(),
  type: z.string().min(1),
  category: z.string().min(1),
  value: z.string(),
  to_ids: z.boolean().optional(),
  comment: z.string().optional(),
}).loose();
export const MispEventSchema = z
  .object({
    Event: z
      .object({
        uuid: z.uuid({ message: 'must be the event UUID' }),
        info: z.string().trim().min(1, 'must describe the event'),
        date: Day,
        threat_level_id: z.coerce.string().regex(/^[1-4]$/, 'must be 1–4').optional(),
        analysis: z.coerce.string().regex(/^[0-2]$/, 'must be 0–2').optional(),
        Orgc: z.object({ name: z.string(), uuid: z.string().optional() }).loose().optional(),
        Tag: z.array(z.object({ name: z.string() }).loose()).default([]),
        Attribute: z.array(MispAttribute).default([]),
      })
      .loose(),
  })
  .strict();
