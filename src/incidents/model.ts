import { z } from '@hono/zod-openapi';
import { isCountryCode } from '../core/countries.js';
import { isRealDate } from '../core/dates.js';
import {
  ACTOR_ROLES, EVIDENCE_KINDS, INCIDENT_STATUSES, INCIDENT_TYPES, LAW_STATUSES, RIGHTS, SEVERITIES, TARGET_KINDS, TIME_PRECISIONS,
} from '../core/taxonomy.js';
import { TLP_LABELS } from '../core/tlp.js';

export const END_STATES = ['ended', 'ongoing', 'unknown'] as const;
export type EndState = (typeof END_STATES)[number];
export const INCIDENT_SORTS = ['start', 'end', 'duration'] as const;

export const CountryCode = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as IR or CM' })
  .openapi({ example: 'IR' });

/** A date ("2019-11-16") or a date-time with zone ("2019-11-16T14:00:00Z"), stored as UTC. */
export const Instant = z
  .string()
  .refine((s) => isRealDate(s) && !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s)), {
    message: 'must be a real date (YYYY-MM-DD, years 0001–9999) or an ISO 8601 date-time',
  })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s).toISOString())
  .openapi({ example: '2019-11-16T14:00:00Z' });

export const Network = z.object({ asn: z.number().int().min(0).max(4294967295).nullable().optional(), name: z.string().max(200).optional() }).strict();
export const IncidentActor = z.object({ name: z.string().min(1).max(200), role: z.enum(ACTOR_ROLES) }).strict();

const incidentFields = {
  type: z.enum(INCIDENT_TYPES),
  title: z.string().trim().min(3, 'must be at least 3 characters').max(300),
  country: CountryCode,
  area: z.string().max(300).nullable().optional(),
  networks: z.array(Network).max(200).optional(),
  services: z.array(z.string().min(1).max(100)).max(100).optional(),
  actors: z.array(IncidentActor).max(50).optional(),
  targets: z.array(z.enum(TARGET_KINDS)).max(20).optional(),
  startAt: Instant,
  startPrecision: z.enum(TIME_PRECISIONS).optional(),
  endAt: Instant.nullable().optional(),
  endPrecision: z.enum(TIME_PRECISIONS).optional(),
  /** ended (endAt set), ongoing (known to continue; as of ongoingAsOf, or now when that is empty) or unknown (never recorded). */
  endState: z.enum(END_STATES).optional(),
  ongoingAsOf: Instant.nullable().optional(),
  status: z.enum(INCIDENT_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  tlp: z.enum(TLP_LABELS),
  redRecipients: z.array(z.uuid()).max(50).optional(),
  summary: z.string().max(5000).optional(),
  description: z.string().max(100_000).optional(),
  tags: z.array(z.string().trim().min(1).max(60)).max(50).optional(),
  confidence: z.number().min(0).max(1).nullable().optional(),
};

export const IncidentInputSchema = z
  .object({ ...incidentFields, origin: z.string().max(40).optional(), originKey: z.string().max(300).optional() })
  .strict()
  .refine((v) => !v.endAt || v.endAt >= v.startAt, { message: 'must not be before startAt', path: ['endAt'] })
  .refine((v) => !(v.endAt && v.endState && v.endState !== 'ended'), { message: 'an incident with an end date has ended; leave endState out or send "ended"', path: ['endState'] })
  .refine((v) => !(v.endState === 'ended' && !v.endAt), { message: 'endState "ended" needs endAt', path: ['endAt'] })
  .refine((v) => !(v.ongoingAsOf && v.endState !== 'ongoing'), { message: 'only an ongoing incident has an as-of date', path: ['ongoingAsOf'] })
  .openapi('IncidentInput');
export type IncidentInput = z.input<typeof IncidentInputSchema>;
export type IncidentInputParsed = z.output<typeof IncidentInputSchema>;

export const IncidentPatchSchema = z
  .object({
    ...Object.fromEntries(Object.entries(incidentFields).map(([k, v]) => [k, (v as z.ZodType).optional()])),
    version: z.number().int().min(1, 'send the version you edited'),
  } as { [K in keyof typeof incidentFields]: z.ZodOptional<(typeof incidentFields)[K]> } & { version: z.ZodNumber })
  .strict()
  .openapi('IncidentPatch');
export type IncidentPatch = z.output<typeof IncidentPatchSchema>;

export const IncidentSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    title: z.string(),
    country: z.string(),
    area: z.string().nullable(),
    networks: z.array(z.object({ asn: z.number().nullable().optional(), name: z.string().optional() })),
    services: z.array(z.string()),
    actors: z.array(z.object({ name: z.string(), role: z.string() })),
    targets: z.array(z.string()),
    startAt: z.string().nullable(),
    startPrecision: z.string(),
    endAt: z.string().nullable(),
    endPrecision: z.string(),
    endState: z.enum(END_STATES),
    ongoingAsOf: z.string().nullable(),
    /** The last instant the incident is counted as active: its end, the day it was last known to continue, or (end unknown) its start. Null: ongoing now. */
    activeUntil: z.string().nullable(),
    /** Days from start to end (end day counted whole at day precision); for ongoing, to its as-of day or now (a minimum). Null when the end is unknown. */
    durationDays: z.number().nullable(),
    durationIsMinimum: z.boolean(),
    status: z.string(),
    severity: z.string(),
    tlp: z.string(),
    summary: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    dataQuality: z.array(z.object({ code: z.string(), reason: z.string() })),
    confidence: z.number().nullable(),
    origin: z.string(),
    orgId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number(),
    lawIds: z.array(z.string()),
    /** Set when this incident was merged into another one (it is then left out of lists and statistics). */
    mergedInto: z.string().nullable(),
  })
  .openapi('Incident');
export type Incident = z.infer<typeof IncidentSchema>;

export const IncidentFilterSchema = z
  .object({
    country: CountryCode.optional(),
    type: z.string().max(60).optional().openapi({ description: 'A type, or a prefix such as "shutdown" for all shutdown types' }),
    status: z.enum(INCIDENT_STATUSES).optional(),
    from: Instant.optional(),
    to: Instant.optional(),
    q: z.string().max(200).optional(),
    tlp: z.enum(TLP_LABELS).optional(),
    origin: z.string().max(40).optional(),
    endState: z.enum(END_STATES).optional(),
    sort: z.enum(INCIDENT_SORTS).default('start').openapi({ description: 'start, end or duration; a leading "-" is not used: see order' }),
    order: z.enum(['asc', 'desc']).default('desc'),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type IncidentFilter = z.output<typeof IncidentFilterSchema>;

export const SourceInputSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000),
    title: z.string().max(300).optional(),
    publisher: z.string().max(200).optional(),
    retrievedAt: Instant.optional(),
  })
  .strict();

export const DocumentInputSchema = z
  .object({
    fileName: z.string().min(1).max(300),
    contentType: z.string().max(100).default('application/octet-stream'),
    contentBase64: z.string().min(1).max(700_000, 'the document must be under 512 KiB'),
    title: z.string().max(300).optional(),
  })
  .strict();

export const EvidenceInputSchema = z
  .object({
    kind: z.enum(EVIDENCE_KINDS),
    ref: z.string().min(1).max(300),
    summary: z.string().max(2000).default(''),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type EvidenceInput = z.input<typeof EvidenceInputSchema>;

export const TimelineEntry = z.object({ status: z.enum(LAW_STATUSES), date: Instant, note: z.string().max(1000).optional() }).strict();
export const Article = z.object({ ref: z.string().min(1).max(100), text: z.string().max(5000).default(''), concern: z.string().max(2000).default('') }).strict();

export const LawSource = z
  .object({ url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000), title: z.string().max(300).default(''), publisher: z.string().max(200).default('') })
  .strict();

export const LawInputSchema = z
  .object({
    country: CountryCode,
    title: z.string().trim().min(3).max(300),
    status: z.enum(LAW_STATUSES),
    timeline: z.array(TimelineEntry).max(50).default([]),
    articles: z.array(Article).max(200).default([]),
    rights: z.array(z.enum(RIGHTS)).max(20).default([]),
    summary: z.string().max(10_000).default(''),
    url: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
    sources: z.array(LawSource).max(50).default([]),
    tlp: z.enum(TLP_LABELS).default('TLP:CLEAR'),
  })
  .strict()
  .openapi('LawInput');
export const LawPatchSchema = z
  .object({
    country: CountryCode.optional(),
    title: z.string().trim().min(3).max(300).optional(),
    status: z.enum(LAW_STATUSES).optional(),
    timeline: z.array(TimelineEntry).max(50).optional(),
    articles: z.array(Article).max(200).optional(),
    rights: z.array(z.enum(RIGHTS)).max(20).optional(),
    summary: z.string().max(10_000).optional(),
    url: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
    sources: z.array(LawSource).max(50).optional(),
    tlp: z.enum(TLP_LABELS).optional(),
    version: z.number().int().min(1),
  })
  .strict();

export interface Law {
  id: string;
  country: string;
  title: string;
  status: string;
  timeline: { status: string; date: string; note?: string }[];
  articles: { ref: string; text: string; concern: string }[];
  rights: string[];
  summary: string;
  url: string | null;
  sources: { url: string; title: string; publisher: string }[];
  tlp: string;
  incidentIds: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}
