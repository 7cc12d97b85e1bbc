/**
 * Runs on /report when JavaScript is on: seals the report and its files in the reporter's browser, to the desk's
 * public keys, before anything is uploaded; makes the receipt here (the server never sees it); shows it once.
 * If anything fails before upload, the form is sent the plain way (and sealed by the server on arrival).
 */
import { b64, deriveReporter, generateReceipt, newSalt, powSolve, receiptPrefix, sealReport, sodiumReady, unb64, type Recipient } from '../crypto.js';
import { stripMetadata } from '../sanitize.js';

const form = document.getElementById('report-form') as HTMLFormElement | null;

function show(el: HTMLElement, html: string) {
  el.innerHTML = html;
}

const escText = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

if (form) {
  form.addEventListener('submit', (ev) => {
    if (form.dataset.plain === '1') return;
    ev.preventDefault();
    void sealAndSend(form).catch((e: unknown) => {
      if ((e as { sent?: boolean }).sent) {
        const msg = document.createElement('p');
        msg.className = 'err';
        msg.setAttribute('role', 'alert');
        msg.textContent = (e as Error).message || form.dataset.error || 'Error';
        form.prepend(msg);
        return;
      }
      form.dataset.plain = '1';
      form.submit();
    });
  });
}

async function sealAndSend(f: HTMLFormElement) {
  const button = f.querySelector('button[type=submit]') as HTMLButtonElement | null;
  if (button) {
    button.disabled = true;
    button.textContent = f.dataset.sealing ?? '…';
  }
  const s = await sodiumReady();
  const data = new FormData(f);
  const org = f.dataset.org ?? '';
  const res = await fetch(`/api/desk/recipients?org=${encodeURIComponent(org)}`, { credentials: 'omit' });
  if (!res.ok) throw new Error('no recipients');
  const list = ((await res.json()) as { items: { keyId: string; kind: 'responder' | 'escrow'; publicKey: string }[] }).items;
  const recipients: Recipient[] = list.map((r) => ({ keyId: r.keyId, kind: r.kind, publicKey: unb64(s, r.publicKey) }));
  const receipt = generateReceipt(s);
  const salt = newSalt(s);
  const rep = deriveReporter(s, receipt, salt);
  s.memzero(rep.privateKey);
  const files: { name: string; type: string; bytes: Uint8Array }[] = [];
  for (const v of data.getAll('files')) {
    if (!(v instanceof File) || (!v.size && !v.name)) continue;
    files.push({ name: v.name, type: v.type || 'application/octet-stream', bytes: stripMetadata(new Uint8Array(await v.arrayBuffer())).bytes });
  }
  const str = (k: string) => String(data.get(k) ?? '');
  const env = sealReport(s, recipients, rep.publicKey, { narrative: str('narrative'), contact: str('contact'), contactPreference: str('contactPreference') || 'page_only' }, files);
  // Proof of work against floods, when the desk asks for it: about 2^bits SHA-256 hashes over the form's single-use token.
  const bits = Number(f.dataset.powBits ?? 0);
  let pow: string | undefined;
  if (bits > 0) {
    if (button) button.textContent = f.dataset.working ?? '…';
    await new Promise((r) => setTimeout(r, 0));
    pow = powSolve(s, str('formToken'), bits);
  }
  const meta = {
    routing: { category: str('category'), country: str('country'), urgency: str('urgency'), safeNow: str('safeNow'), language: str('lang') || 'en' },
    receipt: { prefix: receiptPrefix(receipt), salt: b64(s, salt), verifier: b64(s, rep.verifier), reporterPublicKey: b64(s, rep.publicKey) },
    keys: env.keys.map((k) => ({ purpose: k.purpose, recipient: k.recipient, keyId: k.keyId, sealed: b64(s, k.sealed) })),
    items: env.items.map((it, i) => ({ kind: it.kind, field: `item_${i}` })),
    formToken: str('formToken'),
    ...(pow ? { pow } : {}),
  };
  const body = new FormData();
  body.set('meta', JSON.stringify(meta));
  body.set('org', org);
  env.items.forEach((it, i) => body.set(`item_${i}`, new Blob([it.ciphertext as BlobPart], { type: 'application/octet-stream' }), `item_${i}`));
  const up = await fetch('/report/sealed', { method: 'POST', body, credentials: 'omit' });
  if (!up.ok) {
    const err = (await up.json().catch(() => ({}))) as { error?: { message?: string } };
    if (button) {
      button.disabled = false;
      button.textContent = '↻';
    }
    throw Object.assign(new Error(err.error?.message ?? `HTTP ${up.status}`), { sent: true });
  }
  const main = document.body;
  show(
    main,
    `<h1>${escText(f.dataset.receiptTitle ?? '')}</h1><p>${escText(f.dataset.receiptOnce ?? '')}</p><p class="receipt" id="receipt">${escText(receipt)}</p><p>${escText(f.dataset.receiptKeep ?? '')}</p><p><a href="/report/status?lang=${escText(str('lang'))}">↩</a></p>`,
  );
  document.body.dataset.sealedBy = 'browser';
}
