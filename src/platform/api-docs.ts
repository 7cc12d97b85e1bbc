/** A readable page for the OpenAPI document, rendered in the browser from /api/openapi.json without any CDN. */
export function apiDocsHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stackwatch API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2230}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem;text-transform:capitalize}
.op{border:1px solid #dde;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.get{color:#0a6}.post{color:#06c}.patch{color:#a60}.delete{color:#c22}
code,pre{font-family:ui-monospace,monospace;font-size:13px} pre{background:#f4f5f8;padding:.5rem;overflow:auto;max-height:20rem}
details summary{cursor:pointer}
</style></head><body>
<h1>Stackwatch API</h1>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Sign in with <code>POST /api/auth/login</code> (cookie; send <code>X-CSRF-Token</code> on writes) or use an API token: <code>Authorization: Bearer sw_…</code>.</p>
<div id="ops">Loading…</div>
<script src="/api/docs.js"></script>
</body></html>`;
}

export const apiDocsScript = `
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      (byTag[tag] = byTag[tag] || []).push({ path, method, op });
    }
  }
  const root = document.getElementById('ops');
  root.textContent = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const { path, method, op } of ops) {
      const d = document.createElement('details'); d.className = 'op';
      const s = document.createElement('summary');
      const m = document.createElement('span'); m.className = 'm ' + method; m.textContent = method.toUpperCase();
      const p = document.createElement('code'); p.textContent = '/api' + path;
      s.append(m, p, document.createTextNode(' — ' + (op.summary || '')));
      d.appendChild(s);
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: Object.keys(op.responses || {}) }, null, 2);
      d.appendChild(pre);
      root.appendChild(d);
    }
  }
});`;
