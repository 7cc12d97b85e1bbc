/**
 * Runs on /report/status when JavaScript is on: the returning reporter's receipt never leaves this browser. The page
 * fetches the salts stored under the receipt's first four letters, runs Argon2id here, proves the receipt with the
 * first half of the result (the server keeps only its BLAKE2b hash), opens the reporter's copy of the report key with
 * the second half, and reads the replies here; new messages and files are sealed here before upload. If the browser
 * cannot do this (no WebAssembly), the form is sent the plain way and the server opens the case for that request.
 */
import { b64, bytesText, decrypt, deriveReporterAuth, encrypt, isWellFormedReceipt, openSealed, packFile, receiptPrefix, sodiumReady, textBytes, unb64, unpackFile, type Sodium } from '../crypto.js';
import { stripMetadata } from '../sanitize.js';

interface Texts {
  opening: string; thread: string; you: string; desk: string; file: string; addTitle: string; message: string; files: string; filesHint: string; add: string; added: string;
  deleteTitle: string; deleteText: string; deleteConfirm: string; deleted: string; deletedHeld: string; status: Record<string, string>; errors: Record<string, string>;
}
interface Opened { ref: number; status: string; sealedKey: string; items: { kind: string; at: string; ciphertext: string }[] }

const form = document.getElementById('status-form') as HTMLFormElement | null;
const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

class Refused extends Error {}

async function postJson<T>(path: string, body: unknown, t: Texts): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' });
  const out = (await res.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string } };
  if (!res.ok) throw new Refused((out.error?.code && t.errors[out.error.code]) || out.error?.message || `HTTP ${res.status}`);
  return out;
}

if (form) {
  const t = JSON.parse(form.dataset.t ?? '{}') as Texts;
  form.addEventListener('submit', (ev) => {
    if (form.dataset.plain === '1') return;
    ev.preventDefault();
    const receipt = String(new FormData(form).get('receipt') ?? '');
    void open(form, receipt, t).catch((e: unknown) => {
      if (e instanceof Refused) return alertIn(form, e.message);
      form.dataset.plain = '1'; // the browser could not do it: the server-side path still works
      form.submit();
    });
  });
}

function alertIn(el: HTMLElement, msg: string) {
  el.querySelector('.err')?.remove();
  const p = document.createElement('p');
  p.className = 'err';
  p.setAttribute('role', 'alert');
  p.textContent = msg;
  el.prepend(p);
}

async function open(f: HTMLFormElement, receipt: string, t: Texts) {
  const button = f.querySelector('button[type=submit]') as HTMLButtonElement | null;
  if (button) {
    button.disabled = true;
    button.textContent = t.opening;
  }
  try {
    const s = await sodiumReady();
    if (!isWellFormedReceipt(receipt)) throw new Refused(t.errors.receipt_unknown ?? 'receipt');
    const prefix = receiptPrefix(receipt);
    const { salts } = await postJson<{ salts: string[] }>('/report/status/salts', { prefix }, t);
    let lastError: unknown = null;
    for (const salt of salts) {
      const k = deriveReporterAuth(s, receipt, unb64(s, salt));
      const auth = b64(s, k.auth);
      try {
        const opened = await postJson<Opened>('/report/status/open', { prefix, auth }, t);
        const reportKey = openSealed(s, unb64(s, opened.sealedKey), k.publicKey, k.privateKey);
        s.memzero(k.privateKey);
        render(s, { prefix, auth }, reportKey, opened, t);
        return;
      } catch (e) {
        s.memzero(k.privateKey);
        lastError = e;
        if (!(e instanceof Refused)) throw e;
      }
    }
    throw lastError ?? new Refused(t.errors.receipt_unknown ?? 'receipt');
  } finally {
    if (button) button.disabled = false;
  }
}

function render(s: Sodium, who: { prefix: string; auth: string }, reportKey: Uint8Array, c: Opened, t: Texts, notice = '') {
  const entries = c.items
    .map((it) => {
      const plain = decrypt(s, reportKey, unb64(s, it.ciphertext));
      const whoLabel = it.kind === 'reply' ? t.desk : t.you;
      let body: string;
      if (it.kind === 'attachment') {
        const file = unpackFile(plain);
        body = `${esc(t.file)}: ${esc(file.name)} (${Math.ceil(file.size / 1024)} kB)`;
      } else if (it.kind === 'report') body = esc((JSON.parse(bytesText(plain)) as { narrative: string }).narrative);
      else body = esc((JSON.parse(bytesText(plain)) as { text: string }).text);
      return `<div class="entry${it.kind === 'reply' ? ' desk' : ''}"><small>${esc(whoLabel)} · ${esc(it.at.slice(0, 16).replace('T', ' '))} UTC</small>\n${body}</div>`;
    })
    .join('');
  const holder = document.getElementById('status-main') ?? document.body;
  holder.innerHTML = `<h1>${esc(t.thread)} #${c.ref}</h1>${notice ? `<p class="ok" role="status">${esc(notice)}</p>` : ''}<p><strong>${esc(t.status[c.status] ?? c.status)}</strong></p>${entries}
${c.status === 'closed' ? '' : `<h2>${esc(t.addTitle)}</h2><form id="add-js"><label for="message">${esc(t.message)}</label><textarea id="message" name="message"></textarea>
<label for="files">${esc(t.files)}</label><input type="file" id="files" name="files" multiple><div class="hint">${esc(t.filesHint)}</div><button type="submit">${esc(t.add)}</button></form>`}
<h2>${esc(t.deleteTitle)}</h2><p>${esc(t.deleteText)}</p><form id="delete-js"><label><input type="checkbox" name="confirm" value="yes" required> ${esc(t.deleteConfirm)}</label><button class="danger" type="submit">${esc(t.deleteTitle)}</button></form>`;
  document.body.dataset.openedBy = 'browser';

  const add = document.getElementById('add-js') as HTMLFormElement | null;
  add?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      const data = new FormData(add);
      const parts: { kind: 'reporter_message' | 'attachment'; ct: Uint8Array }[] = [];
      const text = String(data.get('message') ?? '').trim();
      if (text) parts.push({ kind: 'reporter_message', ct: encrypt(s, reportKey, textBytes(JSON.stringify({ text }))) });
      for (const v of data.getAll('files')) {
        if (!(v instanceof File) || (!v.size && !v.name)) continue;
        const bytes = stripMetadata(new Uint8Array(await v.arrayBuffer())).bytes;
        parts.push({ kind: 'attachment', ct: encrypt(s, reportKey, packFile({ name: v.name.replace(/[\\/]/g, '_').slice(0, 200), type: v.type || 'application/octet-stream' }, bytes)) });
      }
      const body = new FormData();
      body.set('meta', JSON.stringify({ ...who, items: parts.map((p, i) => ({ kind: p.kind, field: `item_${i}` })) }));
      parts.forEach((p, i) => body.set(`item_${i}`, new Blob([p.ct as BlobPart], { type: 'application/octet-stream' }), `item_${i}`));
      const res = await fetch('/report/status/add-sealed', { method: 'POST', body, credentials: 'omit' });
      const out = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      if (!res.ok) return alertIn(add, (out.error?.code && t.errors[out.error.code]) || out.error?.message || `HTTP ${res.status}`);
      const again = await postJson<Opened>('/report/status/open', who, t);
      render(s, who, reportKey, again, t, t.added);
    })().catch((e: unknown) => alertIn(add, e instanceof Error ? e.message : String(e)));
  });
  const del = document.getElementById('delete-js') as HTMLFormElement | null;
  del?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void postJson<{ deferred: boolean }>('/report/status/delete-sealed', who, t)
      .then((d) => {
        s.memzero(reportKey);
        holder.innerHTML = `<h1>${esc(t.deleteTitle)}</h1><p class="ok" role="status">${esc(d.deferred ? t.deletedHeld : t.deleted)}</p>`;
      })
      .catch((e: unknown) => alertIn(del, e instanceof Error ? e.message : String(e)));
  });
}
