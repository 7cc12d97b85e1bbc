import type { Queryable } from './db.js';
import type { Role } from '../core/taxonomy.js';

/** Who does something: a signed-in user, a user acting through an API token, or the system itself. */
export interface Actor {
  userId: string | null;
  label: string;
  orgId: string;
  role: Role;
  /** Scopes of the API token used, or null for a console session (all the role allows). */
  scopes?: string[] | null;
}

/** Appends one entry to the audit log. Call it inside the transaction that makes the change. */
export async function audit(
  tx: Queryable,
  actor: Actor,
  action: string,
  entityType: string,
  entityId: string | null,
  before: unknown,
  after: unknown,
): Promise<void> {
  await tx.query(
    `insert into audit_log (actor_user_id, actor_label, org_id, action, entity_type, entity_id, before, after)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [actor.userId, actor.label, actor.orgId, action, entityType, entityId, before == null ? null : JSON.stringify(before), after == null ? null : JSON.stringify(after)],
  );
}

export interface AuditEntry {
  id: number;
  at: string;
  actorLabel: string;
  action: string;
  entityType: string;
  entityId: string | null;
  /** The entity's name when it still exists (user e-mail, incident or law title, token name). */
  entityLabel?: string | null;
  before: unknown;
  after: unknown;
}

/**
 * Which records of one entity type a reader may read, for the audit log: the wing that owns the type registers it
 * (the registry does for incidents and laws). An entry about a record the reader may not read keeps its who, what
 * and when, but its before and after bodies are withheld, so that the audit log never shows more than the record
 * itself would (TLP:RED to an admin who is not named on it, for instance).
 */
export type AuditReadCheck = (db: Queryable, actor: Actor, ids: string[]) => Promise<Set<string>>;
const readChecks = new Map<string, AuditReadCheck>();
export function registerAuditReadCheck(entityType: string, check: AuditReadCheck): void {
  readChecks.set(entityType, check);
}

export async function listAudit(
  db: Queryable,
  actor: Actor,
  opts: { page: number; pageSize: number; entityType?: string; action?: string },
): Promise<{ items: (AuditEntry & { redacted?: true })[]; total: number }> {
  // An organisation's log: what its people did, and what was done to its users (filed under the user's organisation).
  const where = ['org_id = $1'];
  const params: unknown[] = [actor.orgId];
  if (opts.entityType) {
    params.push(opts.entityType);
    where.push(`entity_type = $${params.length}`);
  }
  if (opts.action) {
    params.push(opts.action);
    where.push(`action = $${params.length}`);
  }
  const w = where.join(' and ');
  const total = (await db.query<{ n: number }>(`select count(*)::int n from audit_log where ${w}`, params)).rows[0]?.n ?? 0;
  // What the entry is about, by name rather than id (a user's e-mail, an incident's or law's title, a token's name).
  const rows = await db.query<{ id: number; at: Date; actor_label: string; action: string; entity_type: string; entity_id: string | null; entity_label: string | null; before: unknown; after: unknown }>(
    `select a.id::int id, a.at, a.actor_label, a.action, a.entity_type, a.entity_id, a.before, a.after,
       case a.entity_type
         when 'user' then (select u.email from users u where u.id::text = a.entity_id::text)
         when 'incident' then (select i.title from incidents i where i.id::text = a.entity_id::text)
         when 'law' then (select l.title from laws l where l.id::text = a.entity_id::text)
         when 'api_token' then (select t.name from api_tokens t where t.id::text = a.entity_id::text)
       end as entity_label
     from (select * from audit_log where ${w} order by id desc limit ${opts.pageSize} offset ${(opts.page - 1) * opts.pageSize}) a
     order by a.id desc`,
    params,
  );
  const readable = new Map<string, Set<string>>();
  for (const [type, check] of readChecks) {
    const ids = [...new Set(rows.rows.filter((r) => r.entity_type === type && r.entity_id).map((r) => r.entity_id!))];
    if (ids.length) readable.set(type, await check(db, actor, ids));
  }
  return {
    total,
    items: rows.rows.map((r) => {
      const entry: AuditEntry & { redacted?: true } = {
        id: r.id,
        at: new Date(r.at).toISOString(),
        actorLabel: r.actor_label,
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        entityLabel: r.entity_label,
        before: r.before,
        after: r.after,
      };
      const may = readable.get(r.entity_type);
      if (may && !(r.entity_id && may.has(r.entity_id))) {
        entry.before = null;
        entry.after = null;
        entry.entityLabel = null; // a title can be as secret as the body
        entry.redacted = true;
      }
      return entry;
    }),
  };
}
