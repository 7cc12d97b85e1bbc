/**
 * The public reporting page at /report: server-rendered HTML, no third-party assets, works with JavaScript off (the
 * server seals on arrival) and, with JavaScript on, loads /report/seal.js which seals in the browser before upload.
 * Small pages (a few kB), English, French, Spanish and Arabic (right-to-left). Nothing about the visitor is stored.
 *
 *   GET  /report                 the form (?lang=fr|es|ar)
 *   POST /report                 a plain submission (multipart), sealed here in memory; shows the receipt once
 *   POST /report/sealed          a submission sealed in the browser (multipart: meta + item_N blobs); JSON answer
 *   GET  /report/status          the receipt form
 *   POST /report/status          read the case with the receipt (the receipt travels only in POST bodies)
 *   POST /report/status/add      answer and add files
 *   POST /report/status/delete   destroy the report
 *   GET  /report/seal.js         the sealing script (bundled from src/desk/browser/report-seal.ts)
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import { fileURLToPath } from 'node:url';
import type { AppEnv } from '../platform/http.js';
import { AppError } from '../core/errors.js';
import { CASE_CATEGORIES, CONTACT_PREFS, LANGS, MAX_NARRATIVE, MAX_CONTACT, MAX_UPLOAD_BYTES, ReporterAddSchema, ReporterAuthSchema, RoutingSchema, SAFE_NOW, SealedSubmissionSchema, URGENCIES, type Lang } from './model.js';
import { REPORT_TEXT, type ReportText } from './report-text.js';
import { deskOrg, openWithAuth, openWithReceipt, receiptSalts, reporterAdd, reporterAddSealed, reporterCiphertext, reporterDelete, reporterThread, submitPlain, submitSealed, type PlainFile } from './service.js';
import { powOk, sodiumReady } from './crypto.js';
import { DeskGuard } from './guard.js';

const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
h1{font-size:1.5rem}label{display:block;font-weight:600;margin-top:1rem}fieldset{border:1px solid #bbb;margin-top:1rem}legend{font-weight:600}
fieldset label{font-weight:400;margin:.2rem 0}input[type=text],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4rem}
textarea{min-height:9rem}.hint{color:#555;font-size:.9rem}button{margin-top:1rem;font:inherit;padding:.6rem 1.2rem;background:#0b5;border:0;color:#fff;border-radius:4px}
.err{background:#fde;border:1px solid #c33;padding:.6rem}.ok{background:#dfd;border:1px solid #3a3;padding:.6rem}.receipt{font:1.4rem/1.6 monospace;background:#ffe;border:2px dashed #aa0;padding:.8rem;word-break:break-all}
nav a{margin-inline-end:.8rem}.entry{border-inline-start:4px solid #ccc;padding:.2rem .8rem;margin:.8rem 0;white-space:pre-wrap}.entry.desk{border-color:#0b5}
.danger{background:#b22}small{color:#555}`;

function page(t: ReportText, lang: Lang, title: string, body: string, script: '' | 'seal' | 'status' = ''): string {
  const langs = LANGS.map((l) => `<a href="/report?lang=${l}" hreflang="${l}" lang="${l}">${esc(REPORT_TEXT[l].title.split(' ')[0]!)} (${l})</a>`).join(' ');
  return `<!doctype html><html lang="${lang}" dir="${t.dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${STYLE}</style>${script ? `<script type="module" src="/report/${script}.js"></script>` : ''}</head>
<body><nav>${langs} · <a href="/report/status?lang=${lang}">${esc(t.returnTitle)}</a></nav>${body}<p><small>${esc(t.noJs)}</small></p></body></html>`;
}

function langOf(c: Context, form?: Record<string, unknown>): Lang {
  const l = String(form?.lang ?? c.req.query('lang') ?? '').toLowerCase();
  if ((LANGS as readonly string[]).includes(l)) return l as Lang;
  const accept = (c.req.header('accept-language') ?? '').slice(0, 2).toLowerCase();
  return (LANGS as readonly string[]).includes(accept) ? (accept as Lang) : 'en';
}

function radios(name: string, values: readonly string[], labels: Record<string, string>, checked?: string): string {
  return values.map((v) => `<label><input type="radio" name="${name}" value="${v}" required${checked === v ? ' checked' : ''}> ${esc(labels[v] ?? v)}</label>`).join('');
}

function reportForm(t: ReportText, lang: Lang, token: string, orgId: string, values: Record<string, string> = {}, error = '', powBits = 0): string {
  return `<h1>${esc(t.title)}</h1><p>${esc(t.intro)}</p><p class="hint">${esc(t.safety)}</p>${error ? `<p class="err" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/report" enctype="multipart/form-data" id="report-form" data-org="${esc(orgId)}" data-sealing="${esc(t.sealing)}"
 data-receipt-title="${esc(t.receiptTitle)}" data-receipt-once="${esc(t.receiptOnce)}" data-receipt-keep="${esc(t.receiptKeep)}" data-error="${esc(t.errors.form!)}" data-pow-bits="${powBits}" data-working="${esc(t.working)}">
<input type="hidden" name="lang" value="${lang}"><input type="hidden" name="formToken" value="${esc(token)}">
<fieldset><legend>${esc(t.category)}</legend>${radios('category', CASE_CATEGORIES, t.categories, values.category)}</fieldset>
<label for="country">${esc(t.country)}</label><input type="text" id="country" name="country" maxlength="2" size="4" autocomplete="off" value="${esc(values.country ?? '')}"><div class="hint">${esc(t.countryHint)}</div>
<fieldset><legend>${esc(t.urgency)}</legend>${radios('urgency', URGENCIES, t.urgencies, values.urgency)}</fieldset>
<fieldset><legend>${esc(t.safeNow)}</legend>${radios('safeNow', SAFE_NOW, t.safe, values.safeNow)}</fieldset>
<fieldset><legend>${esc(t.contactPref)}</legend>${radios('contactPreference', CONTACT_PREFS, t.contactPrefs, values.contactPreference ?? 'page_only')}</fieldset>
<label for="contact">${esc(t.contact)}</label><input type="text" id="contact" name="contact" maxlength="${MAX_CONTACT}" autocomplete="off" value="${esc(values.contact ?? '')}"><div class="hint">${esc(t.contactHint)}</div>
<label for="narrative">${esc(t.narrative)}</label><textarea id="narrative" name="narrative" maxlength="${MAX_NARRATIVE}" required>${esc(values.narrative ?? '')}</textarea><div class="hint">${esc(t.narrativeHint)}</div>
<label for="files">${esc(t.files)}</label><input type="file" id="files" name="files" multiple><div class="hint">${esc(t.filesHint)}</div>
<button type="submit">${esc(t.send)}</button></form>`;
}

const receiptBox = (t: ReportText, receipt: string, stripped: string[]) =>
  `<h1>${esc(t.receiptTitle)}</h1><p>${esc(t.receiptOnce)}</p><p class="receipt" id="receipt">${esc(receipt)}</p><p>${esc(t.receiptKeep)}</p>${stripped.length ? `<p class="hint">${esc(t.stripped)} ${esc([...new Set(stripped)].join(', '))}</p>` : ''}`;

async function filesOf(form: Record<string, unknown>, field: string): Promise<PlainFile[]> {
  const raw = form[field];
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((f): f is File => typeof f === 'object' && f !== null && 'arrayBuffer' in f);
  const out: PlainFile[] = [];
  for (const f of list) {
    if (!f.size && !f.name) continue;
    out.push({ name: f.name || 'file', type: f.type || 'application/octet-stream', bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function addressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const scripts = new Map<string, Promise<string>>();
/** Bundles a browser script of the reporting pages (and libsodium) once per process, with esbuild (which tsx already brings). */
export function buildSealScript(name: 'report-seal' | 'report-status' = 'report-seal'): Promise<string> {
  let p = scripts.get(name);
  if (!p) {
    p = (async () => {
      const { build } = await import('esbuild');
      const entry = fileURLToPath(new URL(`./browser/${name}.ts`, import.meta.url));
      const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, legalComments: 'none', logLevel: 'silent' });
      return out.outputFiles[0]!.text;
    })();
    scripts.set(name, p);
    p.catch(() => scripts.delete(name));
  }
  return p;
}

export interface ReportPagesOptions {
  guard?: DeskGuard;
  now?: () => Date;
}

export function reportPages(opts: ReportPagesOptions = {}) {
  const guard = opts.guard ?? new DeskGuard();
  const now = opts.now ?? (() => new Date());
  const app = new Hono<AppEnv>();
  app.use('/report/*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('Cache-Control', 'no-store');
  });
  app.use('/report', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('Cache-Control', 'no-store');
  });
  const limit = bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: (c) => {
      const t = REPORT_TEXT[langOf(c)];
      return c.html(page(t, langOf(c), t.title, `<p class="err" role="alert">${esc(t.errors.body_too_large!)}</p><p><a href="/report?lang=${langOf(c)}">${esc(t.back)}</a></p>`), 413);
    },
  });

  const formPage = async (c: Context<AppEnv>, lang: Lang, values: Record<string, string> = {}, error = '', status = 200) => {
    const t = REPORT_TEXT[lang];
    const org = await deskOrg(c.get('db'), c.req.query('org'));
    if (!org) return c.html(page(t, lang, t.title, `<h1>${esc(t.title)}</h1><p class="err">${esc(t.errors.not_ready!)}</p>`), 503);
    return c.html(page(t, lang, t.title, reportForm(t, lang, guard.formToken(now().getTime()), org, values, error, guard.powBits), 'seal'), status as 200);
  };

  app.get('/report', (c) => formPage(c, langOf(c)));

  app.post('/report', limit, async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
    const lang = langOf(c, form);
    const t = REPORT_TEXT[lang];
    const values = Object.fromEntries(['category', 'country', 'urgency', 'safeNow', 'contactPreference', 'contact', 'narrative'].map((k) => [k, str(form[k])]));
    const tokenProblem = guard.useFormToken(str(form.formToken), now().getTime(), false);
    if (tokenProblem) return formPage(c, lang, values, tokenProblem === 'too_fast' ? t.errors.too_fast! : t.errors.form!, tokenProblem === 'too_fast' ? 429 : 400);
    const admitted = guard.admit(addressOf(c), now().getTime());
    if (admitted !== 'ok') return formPage(c, lang, values, t.errors.flood!, 429);
    const routing = RoutingSchema.safeParse({ category: values.category, country: values.country, urgency: values.urgency, safeNow: values.safeNow, language: lang });
    if (!routing.success) {
      const field = String(routing.error.issues[0]?.path[0] ?? '');
      const label = (t as unknown as Record<string, unknown>)[field];
      return formPage(c, lang, values, `${t.errors.validation} ${typeof label === 'string' ? label : field}`, 400);
    }
    const narrative = values.narrative!.trim().slice(0, MAX_NARRATIVE);
    if (!narrative) return formPage(c, lang, values, t.errors.narrative!, 400);
    const org = await deskOrg(c.get('db'), str(form.org) || c.req.query('org'));
    if (!org) return formPage(c, lang, values, t.errors.not_ready!, 503);
    const files = await filesOf(form, 'files');
    try {
      const r = await submitPlain(c.get('db'), org, routing.data, { narrative, contact: values.contact!.slice(0, MAX_CONTACT), contactPreference: values.contactPreference || 'page_only' }, files, now(), c.get('log'));
      guard.markUsed(str(form.formToken), now().getTime());
      return c.html(page(t, lang, t.receiptTitle, receiptBox(t, r.receipt, r.stripped) + `<p><a href="/report/status?lang=${lang}">${esc(t.returnTitle)}</a></p>`));
    } catch (e) {
      if (e instanceof AppError) return formPage(c, lang, values, t.errors[e.code] ?? e.message, e.status);
      throw e;
    }
  });

  app.post('/report/sealed', limit, async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
    let meta: unknown;
    try {
      meta = JSON.parse(str(form.meta));
    } catch {
      return c.json({ error: { code: 'bad_request', message: 'meta must be JSON.', field: 'meta' } }, 400);
    }
    const parsed = SealedSubmissionSchema.safeParse(meta);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return c.json({ error: { code: 'validation_failed', message: `${i.path.join('.')}: ${i.message}`, field: i.path.join('.') } }, 400);
    }
    const tokenProblem = guard.useFormToken(parsed.data.formToken, now().getTime(), false);
    if (tokenProblem) return c.json({ error: { code: tokenProblem === 'too_fast' ? 'too_fast' : 'form', message: `Form token: ${tokenProblem}`, field: 'formToken' } }, tokenProblem === 'too_fast' ? 429 : 400);
    if (guard.powBits > 0 && !(parsed.data.pow && powOk(await sodiumReady(), parsed.data.formToken, parsed.data.pow, guard.powBits))) {
      const t = REPORT_TEXT[langOf(c, { lang: parsed.data.routing.language })];
      return c.json({ error: { code: 'pow_required', message: t.errors.pow_required, field: 'pow' } }, 400);
    }
    if (guard.admit(addressOf(c), now().getTime(), guard.powBits > 0 ? 'pow' : 'plain') !== 'ok') return c.json({ error: { code: 'flood', message: 'Too many reports right now; wait a few minutes.' } }, 429);
    const org = await deskOrg(c.get('db'), str(form.org) || undefined);
    if (!org) return c.json({ error: { code: 'desk_not_ready', message: 'This desk is not set up yet.' } }, 503);
    const blobs = new Map<string, Uint8Array>();
    for (const it of parsed.data.items) {
      const f = form[it.field];
      if (f && typeof f === 'object' && 'arrayBuffer' in f) blobs.set(it.field, new Uint8Array(await (f as File).arrayBuffer()));
    }
    try {
      const r = await submitSealed(c.get('db'), org, parsed.data, blobs, now(), c.get('log'));
      guard.markUsed(parsed.data.formToken, now().getTime());
      return c.json({ ref: r.ref }, 201);
    } catch (e) {
      if (e instanceof AppError) return c.json({ error: { code: e.code, message: e.message, field: e.field } }, e.status as 400);
      throw e;
    }
  });

  const statusForm = (t: ReportText, lang: Lang, error = '') =>
    `<main id="status-main"><h1>${esc(t.returnTitle)}</h1><p>${esc(t.returnIntro)}</p>${error ? `<p class="err" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/report/status" id="status-form" data-t="${esc(JSON.stringify({ opening: t.opening, thread: t.thread, you: t.you, desk: t.desk, file: t.file, addTitle: t.addTitle, message: t.message, files: t.files, filesHint: t.filesHint, add: t.add, added: t.added, deleteTitle: t.deleteTitle, deleteText: t.deleteText, deleteConfirm: t.deleteConfirm, deleted: t.deleted, deletedHeld: t.deletedHeld, status: t.status, errors: t.errors }))}"><input type="hidden" name="lang" value="${lang}"><label for="receipt">${esc(t.receipt)}</label>
<input type="text" id="receipt" name="receipt" autocomplete="off" autocapitalize="characters" spellcheck="false" required><button type="submit">${esc(t.open)}</button></form></main>`;

  app.get('/report/status', (c) => {
    const lang = langOf(c);
    const t = REPORT_TEXT[lang];
    return c.html(page(t, lang, t.returnTitle, statusForm(t, lang), 'status'));
  });

  const withReceipt = async (c: Context<AppEnv>, form: Record<string, unknown>, then: (oc: Awaited<ReturnType<typeof openWithReceipt>>, lang: Lang, t: ReportText) => Promise<Response>) => {
    const lang = langOf(c, form);
    const t = REPORT_TEXT[lang];
    let oc;
    try {
      oc = await openWithReceipt(c.get('db'), str(form.receipt), guard, addressOf(c), now().getTime());
    } catch (e) {
      if (e instanceof AppError) return c.html(page(t, lang, t.returnTitle, statusForm(t, lang, t.errors[e.code] ?? e.message), 'status'), e.status as 404);
      throw e;
    }
    try {
      return await then(oc, lang, t);
    } finally {
      oc.reportKey.fill(0);
    }
  };

  const threadPage = async (c: Context<AppEnv>, oc: Awaited<ReturnType<typeof openWithReceipt>>, lang: Lang, t: ReportText, receipt: string, notice = '', status = 200) => {
    const th = await reporterThread(c.get('db'), oc);
    const entries = th.entries
      .map((e) => {
        const who = e.kind === 'reply' ? t.desk : t.you;
        const body = e.file ? `${esc(t.file)}: ${esc(e.file.name)} (${Math.ceil(e.file.size / 1024)} kB)` : esc(e.text ?? '');
        return `<div class="entry${e.kind === 'reply' ? ' desk' : ''}"><small>${esc(who)} · ${esc(e.at.slice(0, 16).replace('T', ' '))} UTC</small>\n${body}</div>`;
      })
      .join('');
    const hidden = `<input type="hidden" name="lang" value="${lang}"><input type="hidden" name="receipt" value="${esc(receipt)}">`;
    const body = `<h1>${esc(t.thread)} #${th.ref}</h1>${notice ? `<p class="ok" role="status">${esc(notice)}</p>` : ''}<p><strong>${esc(t.status[th.status] ?? th.status)}</strong></p>${entries}
${th.status === 'closed' ? '' : `<h2>${esc(t.addTitle)}</h2><form method="post" action="/report/status/add" enctype="multipart/form-data">${hidden}
<label for="message">${esc(t.message)}</label><textarea id="message" name="message" maxlength="${MAX_NARRATIVE}"></textarea>
<label for="files">${esc(t.files)}</label><input type="file" id="files" name="files" multiple><div class="hint">${esc(t.filesHint)}</div><button type="submit">${esc(t.add)}</button></form>`}
<h2>${esc(t.deleteTitle)}</h2><p>${esc(t.deleteText)}</p><form method="post" action="/report/status/delete">${hidden}<label><input type="checkbox" name="confirm" value="yes" required> ${esc(t.deleteConfirm)}</label><button class="danger" type="submit">${esc(t.deleteTitle)}</button></form>`;
    return c.html(page(t, lang, t.thread, body), status as 200);
  };

  app.post('/report/status', limit, async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    return withReceipt(c, form, (oc, lang, t) => threadPage(c, oc, lang, t, str(form.receipt)));
  });

  app.post('/report/status/add', limit, async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
    return withReceipt(c, form, async (oc, lang, t) => {
      try {
        await reporterAdd(c.get('db'), oc, str(form.message).slice(0, MAX_NARRATIVE), await filesOf(form, 'files'), now(), c.get('log'));
      } catch (e) {
        if (e instanceof AppError) return threadPage(c, oc, lang, t, str(form.receipt), t.errors[e.code] ?? e.message, e.status);
        throw e;
      }
      return threadPage(c, oc, lang, t, str(form.receipt), t.added);
    });
  });

  app.post('/report/status/delete', async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    return withReceipt(c, form, async (oc, lang, t) => {
      if (str(form.confirm) !== 'yes') return threadPage(c, oc, lang, t, str(form.receipt), t.deleteConfirm, 400);
      const d = await reporterDelete(c.get('db'), oc, now());
      return c.html(page(t, lang, t.deleteTitle, `<h1>${esc(t.deleteTitle)}</h1><p class="ok" role="status">${esc(d.deferred ? t.deletedHeld : t.deleted)}</p>`));
    });
  });

  app.get('/report/seal.js', async (c) => c.body(await buildSealScript(), 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/report/status.js', async (c) => c.body(await buildSealScript('report-status'), 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));

  // The returning reporter with JavaScript: the receipt never leaves the browser (docs/desk.md, "The receipt channel").
  const jsonError = (c: Context<AppEnv>, e: unknown) => {
    if (e instanceof AppError) return c.json({ error: { code: e.code, message: e.message, field: e.field } }, e.status as 400);
    throw e;
  };
  const authOf = async (c: Context<AppEnv>) => {
    const parsed = ReporterAuthSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw new AppError(400, 'validation_failed', `${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`, parsed.error.issues[0]!.path.join('.'));
    return parsed.data;
  };

  app.post('/report/status/salts', async (c) => {
    try {
      const body = (await c.req.json().catch(() => null)) as { prefix?: unknown } | null;
      const prefix = typeof body?.prefix === 'string' ? body.prefix : '';
      const addr = addressOf(c);
      if (guard.wrongReceipts.count(addr, now().getTime()) >= guard.wrongReceipts.max || !guard.saltLookups.take(addr, now().getTime())) {
        return c.json({ error: { code: 'too_many_requests', message: 'Too many tries from here. Wait 15 minutes and try again.' } }, 429);
      }
      return c.json({ salts: await receiptSalts(c.get('db'), prefix, (p) => guard.decoySalt(p)) }, 200);
    } catch (e) {
      return jsonError(c, e);
    }
  });

  app.post('/report/status/open', async (c) => {
    try {
      const a = await authOf(c);
      const rc = await openWithAuth(c.get('db'), a.prefix, a.auth, guard, addressOf(c), now().getTime());
      return c.json(await reporterCiphertext(c.get('db'), rc), 200);
    } catch (e) {
      return jsonError(c, e);
    }
  });

  app.post('/report/status/add-sealed', limit, async (c) => {
    try {
      const form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
      let meta: unknown;
      try {
        meta = JSON.parse(str(form.meta));
      } catch {
        throw new AppError(400, 'bad_request', 'meta must be JSON.', 'meta');
      }
      const parsed = ReporterAddSchema.safeParse(meta);
      if (!parsed.success) throw new AppError(400, 'validation_failed', `${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`, parsed.error.issues[0]!.path.join('.'));
      const rc = await openWithAuth(c.get('db'), parsed.data.prefix, parsed.data.auth, guard, addressOf(c), now().getTime());
      const parts: { kind: 'reporter_message' | 'attachment'; ciphertext: Uint8Array }[] = [];
      for (const it of parsed.data.items) {
        const f = form[it.field];
        if (!f || typeof f !== 'object' || !('arrayBuffer' in f)) throw new AppError(400, 'bad_request', `The sealed part ${it.field} is missing.`, it.field);
        parts.push({ kind: it.kind, ciphertext: new Uint8Array(await (f as File).arrayBuffer()) });
      }
      return c.json(await reporterAddSealed(c.get('db'), rc, parts, now(), c.get('log')), 201);
    } catch (e) {
      return jsonError(c, e);
    }
  });

  app.post('/report/status/delete-sealed', async (c) => {
    try {
      const a = await authOf(c);
      const rc = await openWithAuth(c.get('db'), a.prefix, a.auth, guard, addressOf(c), now().getTime());
      return c.json(await reporterDelete(c.get('db'), rc, now()), 200);
    } catch (e) {
      return jsonError(c, e);
    }
  });

  return app;
}

