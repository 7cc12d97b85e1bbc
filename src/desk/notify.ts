/**
 * Content-free notifications to responders: a webhook POST and an e-mail through the organisation's SMTP server.
 * They say only that something happened to case #N and where to sign in — never a category, a country, a name or
 * a word of the report (a responder's mailbox or a chat channel is not a safe place for them).
 */
import nodemailer from 'nodemailer';
import type { Queryable } from '../platform/db.js';
import type { Logger } from '../platform/log.js';

export type DeskEvent = 'report' | 'reporter_message' | 'sla_warning' | 'sla_escalation' | 'grant_deadline';

const SUBJECT: Record<DeskEvent, string> = {
  report: 'New report at the desk',
  reporter_message: 'New message on a desk case',
  sla_warning: 'Desk case waiting for a first reply (warning)',
  sla_escalation: 'Desk case waiting for a first reply (escalation)',
  grant_deadline: 'Emergency grant decision due soon',
};

export interface Notice {
  event: DeskEvent;
  caseRef: number;
}

export async function notify(db: Queryable, orgId: string, notice: Notice, log?: Logger): Promise<{ webhook: boolean; emails: number }> {
  const s = (await db.query<{ webhook_url: string | null; notify_emails: string[]; smtp_url: string | null; mail_from: string | null }>(
    'select webhook_url, notify_emails, smtp_url, mail_from from desk_settings where org_id = $1',
    [orgId],
  )).rows[0];
  const result = { webhook: false, emails: 0 };
  if (!s) return result;
  const text = `${SUBJECT[notice.event]}: case #${notice.caseRef}.\nSign in to the Stackwatch console (Desk) to read it. This message carries no content on purpose.`;
  if (s.webhook_url) {
    try {
      const res = await fetch(s.webhook_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event: `desk.${notice.event}`, case: notice.caseRef, text: `${SUBJECT[notice.event]}: case #${notice.caseRef}` }),
        signal: AbortSignal.timeout(5000),
      });
      result.webhook = res.ok;
    } catch (e) {
      log?.warn('desk webhook failed', { err: (e as Error).message });
    }
  }
  if (s.smtp_url && s.notify_emails.length) {
    try {
      const transport = nodemailer.createTransport(s.smtp_url, { tls: { rejectUnauthorized: !/^smtps?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(s.smtp_url) } } as never);
      const info = await transport.sendMail({ from: s.mail_from ?? 'desk@stackwatch.invalid', to: s.notify_emails, subject: `${SUBJECT[notice.event]} (#${notice.caseRef})`, text });
      result.emails = (info.accepted as unknown[]).length;
      transport.close();
    } catch (e) {
      log?.warn('desk e-mail failed', { err: (e as Error).message });
    }
  }
  return result;
}
