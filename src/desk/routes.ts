/**
 * HTTP routes of the desk wing, under /api (mounted from src/wings.ts). Every case, grant and sealed item is read
 * only by people of the owning organisation with `cases:read` (grants: `grants:decide`); others get 403 (role) or
 * 404 (another organisation's id). The server hands out ciphertext; opening happens in the responder's browser.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, newRouter, requireActor, requireAdmin, type App } from '../platform/http.js';
import { CANNED } from './canned.js';
import {
  CASE_CATEGORIES, CASE_STATUSES, CasePatchSchema, DecisionInput, DisburseInput, EscalationAnswer, EscalationInput, FinalReportInput, GrantInput, LANGS,
  MispExportInput, RegistryLinkInput, ResponderKeyInput, SealedItemInput, SettingsSchema, VoteInput,
} from './model.js';
import {
  addEscalation, addSealedItem, answerEscalation, createGrant, decideGrant, deskOrg, disburseGrant, exportMisp, finalReportGrant, getCase, getGrant,
  getItemCiphertext, getSettings, importMisp, linkToRegistry, listCases, listGrants, myKey, platformFigures, publicRecipients, publicSettings,
  responderFigures, retireResponderKey, setEscrowKey, setResponderKey, shareKeys, updateCase, updateSettings, voteGrant,
} from './service.js';
import { notFound } from '../core/errors.js';

const json = (description = 'OK') => ({ description, content: { 'application/json': { schema: z.any() } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const Id = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const access = (a: string) => ({ 'x-stackwatch-access': a }) as Record<string, string>;

export function deskRoutes(): App {
  const r = newRouter();
  const tags = ['desk'];

  r.openapi(
    createRoute({ method: 'get', path: '/desk/recipients', tags, summary: 'Public keys a new report is sealed to (for the reporting page)', request: { query: z.object({ org: z.uuid().optional() }) }, responses: { 200: json(), ...errorResponses }, ...access('public') }),
    async (c) => {
      const org = await deskOrg(c.get('db'), c.req.valid('query').org);
      if (!org) throw notFound('Desk');
      return c.json({ items: await publicRecipients(c.get('db'), org) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/settings', tags, summary: 'Service targets, retention, notifications, grant budget', responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const a = requireActor(c, 'cases:read');
      return c.json(publicSettings(await getSettings(c.get('db'), a.orgId), a.role === 'admin'), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'patch', path: '/desk/settings', tags, summary: 'Change the desk settings (admins)', request: body(SettingsSchema), responses: { 200: json(), ...errorResponses }, ...access('admin') }),
    async (c) => {
      const a = requireAdmin(c);
      return c.json(publicSettings(await updateSettings(c.get('db'), a, c.req.valid('json')), true), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/keys/escrow', tags, summary: 'Register the organisation\'s offline escrow public key (admins)', request: body(z.object({ publicKey: z.string().max(60) }).strict()), responses: { 200: json(), ...errorResponses }, ...access('admin') }),
    async (c) => {
      const a = requireAdmin(c);
      return c.json(await setEscrowKey(c.get('db'), a, c.req.valid('json').publicKey), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/keys/me', tags, summary: 'My responder key (public key and the wrapped private key)', responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const a = requireActor(c, 'cases:read');
      return c.json({ key: await myKey(c.get('db'), a) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'put', path: '/desk/keys/me', tags, summary: 'Set my responder key (made in the browser)', request: body(ResponderKeyInput), responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const a = requireActor(c, 'cases:read');
      return c.json(await setResponderKey(c.get('db'), a, c.req.valid('json')), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/responders', tags, summary: 'Responders of my organisation with their active key ids', responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const a = requireActor(c, 'cases:read');
      const rows = await c.get('db').query<{ id: string; email: string; name: string; key_id: string | null; public_key: Buffer | null }>(
        `select u.id, u.email, u.name, k.id key_id, k.public_key from users u left join desk_keys k on k.user_id = u.id and k.kind = 'responder' and k.retired_at is null
         where u.org_id = $1 and u.role in ('responder', 'admin') and u.disabled = false order by u.email`,
        [a.orgId],
      );
      return c.json({ items: rows.rows.map((u) => ({ id: u.id, email: u.email, name: u.name, keyId: u.key_id, publicKey: u.public_key ? Buffer.from(u.public_key).toString('base64') : null })) }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/keys/{id}/retire', tags, summary: 'Rotate a responder out: retire their key and delete every case key sealed to it (admins)', request: { params: Id }, responses: { 200: json(), ...errorResponses }, ...access('admin') }),
    async (c) => c.json(await retireResponderKey(c.get('db'), requireAdmin(c), c.req.valid('param').id), 200),
  );

  const CaseQuery = z
    .object({
      status: z.enum(CASE_STATUSES).optional(),
      open: z.enum(['1', 'true']).optional(),
      category: z.enum(CASE_CATEGORIES).optional(),
      assignedTo: z.uuid().optional(),
      q: z.string().max(40).optional(),
      page: z.coerce.number().int().min(1).max(100_000).default(1),
      pageSize: z.coerce.number().int().min(1).max(500).default(50),
    })
    .strict();

  r.openapi(
    createRoute({ method: 'get', path: '/desk/cases', tags, summary: 'The cases queue (unanswered first, then by urgency and age)', request: { query: CaseQuery }, responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const a = requireActor(c, 'cases:read');
      const q = c.req.valid('query');
      return c.json(await listCases(c.get('db'), a, { ...q, open: Boolean(q.open) }), 200);
    },
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/cases/{id}', tags, summary: 'One case: routing fields, my sealed keys, sealed items', request: { params: Id }, responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => c.json(await getCase(c.get('db'), requireActor(c, 'cases:read'), c.req.valid('param').id), 200),
  );

  r.openapi(
    createRoute({ method: 'patch', path: '/desk/cases/{id}', tags, summary: 'Status, assignment, vetting, legal hold', request: { params: Id, ...body(CasePatchSchema) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await updateCase(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/cases/{id}/items/{itemId}', tags, summary: 'One sealed item (ciphertext, base64)', request: { params: z.object({ id: z.uuid(), itemId: z.uuid() }) }, responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      const p = c.req.valid('param');
      const ct = await getItemCiphertext(c.get('db'), requireActor(c, 'cases:read'), p.id, p.itemId);
      return c.json({ ciphertext: Buffer.from(ct).toString('base64') }, 200);
    },
  );

  for (const kind of ['reply', 'note'] as const) {
    r.openapi(
      createRoute({ method: 'post', path: `/desk/cases/{id}/${kind === 'reply' ? 'replies' : 'notes'}`, tags, summary: kind === 'reply' ? 'A reply to the reporter, sealed in the browser under the report key' : 'An internal note, sealed under the internal key', request: { params: Id, ...body(SealedItemInput) }, responses: { 201: json('Created'), ...errorResponses }, ...access('cases:write') }),
      async (c) => c.json(await addSealedItem(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, kind, c.req.valid('json').ciphertext), 201),
    );
  }

  r.openapi(
    createRoute({ method: 'post', path: '/desk/cases/{id}/keys', tags, summary: 'Share a case with another responder (keys sealed in the browser to their key)', request: { params: Id, ...body(z.object({ keyId: z.uuid(), report: z.string().max(200), internal: z.string().max(200) }).strict()) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => {
      const v = c.req.valid('json');
      await shareKeys(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, v.keyId, { report: v.report, internal: v.internal });
      return c.json({ ok: true }, 200);
    },
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/cases/{id}/escalations', tags, summary: 'Record an escalation to a platform or provider', request: { params: Id, ...body(EscalationInput) }, responses: { 201: json('Created'), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await addEscalation(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  r.openapi(
    createRoute({ method: 'patch', path: '/desk/escalations/{id}', tags, summary: 'Record the platform\'s answer and the outcome', request: { params: Id, ...body(EscalationAnswer) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await answerEscalation(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/figures/responders', tags, summary: 'Time to first reply per responder (median, p90, within target)', request: { query: z.object({ from: z.iso.date().optional(), to: z.iso.date().optional() }) }, responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => c.json(await responderFigures(c.get('db'), requireActor(c, 'cases:read'), c.req.valid('query')), 200),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/figures/platforms', tags, summary: 'Escalations per platform: count, median and p90 hours to answer, outcomes', responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => c.json({ items: await platformFigures(c.get('db'), requireActor(c, 'cases:read')) }, 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/cases/{id}/grants', tags, summary: 'An emergency grant request from a case', request: { params: Id, ...body(GrantInput) }, responses: { 201: json('Created'), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await createGrant(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json')), 201),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/grants', tags, summary: 'Grant requests with deadlines and the budget per period', request: { query: z.object({ period: z.string().max(10).optional(), status: z.string().max(20).optional() }) }, responses: { 200: json(), ...errorResponses }, ...access('grants:decide') }),
    async (c) => c.json(await listGrants(c.get('db'), requireActor(c, 'grants:decide'), c.req.valid('query')), 200),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/grants/{id}', tags, summary: 'One grant with the committee\'s votes', request: { params: Id }, responses: { 200: json(), ...errorResponses }, ...access('grants:decide') }),
    async (c) => c.json(await getGrant(c.get('db'), requireActor(c, 'grants:decide'), c.req.valid('param').id), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/grants/{id}/votes', tags, summary: 'A committee member\'s vote with scores per criterion', request: { params: Id, ...body(VoteInput) }, responses: { 200: json(), ...errorResponses }, ...access('grants:decide') }),
    async (c) => c.json(await voteGrant(c.get('db'), requireActor(c, 'grants:decide'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/grants/{id}/decision', tags, summary: 'Approve or reject (refuses to overspend the period budget)', request: { params: Id, ...body(DecisionInput) }, responses: { 200: json(), ...errorResponses }, ...access('grants:decide') }),
    async (c) => c.json(await decideGrant(c.get('db'), requireActor(c, 'grants:decide'), c.req.valid('param').id, c.req.valid('json').decision), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/grants/{id}/disbursement', tags, summary: 'Record the disbursement', request: { params: Id, ...body(DisburseInput) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await disburseGrant(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json').amountEur), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/grants/{id}/final-report', tags, summary: 'Record the final report', request: { params: Id, ...body(FinalReportInput) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await finalReportGrant(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json').report), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/cases/{id}/link', tags, summary: 'Turn what a case shows into an incident or evidence, with a redacted summary', request: { params: Id, ...body(RegistryLinkInput) }, responses: { 200: json(), ...errorResponses }, ...access('cases:write') }),
    async (c) => c.json(await linkToRegistry(c.get('db'), requireActor(c, 'cases:write'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/misp/export/{id}', tags, summary: 'An incident as a MISP event (TLP applied), optionally with chosen fields of a case summary', request: { params: Id, ...body(MispExportInput) }, responses: { 200: json(), ...errorResponses }, ...access('incidents:read') }),
    async (c) => c.json(await exportMisp(c.get('db'), requireActor(c, 'incidents:read'), c.req.valid('param').id, c.req.valid('json')), 200),
  );

  r.openapi(
    createRoute({ method: 'post', path: '/desk/misp/import', tags, summary: 'A peer\'s MISP event as a draft incident', request: { body: { required: true, content: { 'application/json': { schema: z.any() } } } }, responses: { 201: json('Created'), ...errorResponses }, ...access('incidents:write') }),
    async (c) => c.json(await importMisp(c.get('db'), requireActor(c, 'incidents:write'), await c.req.json()), 201),
  );

  r.openapi(
    createRoute({ method: 'get', path: '/desk/canned', tags, summary: 'Canned replies and self-help steps', request: { query: z.object({ lang: z.enum(LANGS).default('en') }) }, responses: { 200: json(), ...errorResponses }, ...access('cases:read') }),
    async (c) => {
      requireActor(c, 'cases:read');
      const lang = c.req.valid('query').lang;
      return c.json({ items: CANNED.map((k) => ({ id: k.id, categories: k.categories, title: k.title[lang], body: k.body[lang] })) }, 200);
    },
  );

  return r;
}
