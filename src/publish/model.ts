import { z } from '@hono/zod-openapi';
import { isCountryCode } from '../core/countries.js';
import { INCIDENT_TYPES, SEVERITIES } from '../core/taxonomy.js';

/** Public filters: every value checked, every error names its field. */
export const TYPE_FILTERS = [...new Set([...INCIDENT_TYPES, ...INCIDENT_TYPES.filter((t) => t.includes('.')).map((t) => t.split('.')[0]!)])].sort();

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real date');

export const MAX_PAGE = 1000;

export const PublicFilterSchema = z
  .object({
    country: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .refine((s) => s === '' || isCountryCode(s), 'must be an ISO 3166-1 alpha-2 country code such as IR or CM')
      .optional(),
    type: z.string().refine((s) => s === '' || TYPE_FILTERS.includes(s), `must be one of ${TYPE_FILTERS.join(', ')}`).optional(),
    severity: z.string().refine((s) => s === '' || (SEVERITIES as readonly string[]).includes(s), `must be one of ${SEVERITIES.join(', ')}`).optional(),
    from: z.union([z.literal(''), day]).optional(),
    to: z.union([z.literal(''), day]).optional(),
    q: z.string().max(200, 'must be at most 200 characters').optional(),
    page: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`).default(1),
    pageSize: z.coerce.number().int().min(1).max(200, 'must be at most 200').default(25),
  })
  .strict();
export type PublicFilter = z.infer<typeof PublicFilterSchema>;

export function toRegistryFilter(f: PublicFilter) {
  return {
    country: f.country || undefined,
    type: f.type || undefined,
    severity: f.severity || undefined,
    from: f.from ? `${f.from}T00:00:00Z` : undefined,
    to: f.to ? `${f.to}T23:59:59Z` : undefined,
    q: f.q || undefined,
    page: f.page,
    pageSize: f.pageSize,
  };
}

export function describeZod(e: z.ZodError): { field: string; message: string } {
  const i = e.issues[0];
  const field = i?.path.join('.') || (i && 'keys' in i ? String((i as { keys: string[] }).keys[0]) : '(query)');
  return { field, message: `${field}: ${i?.message ?? 'invalid'}` };
}
