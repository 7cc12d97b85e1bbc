/**
 * The "who may call what" table of docs/security.md, generated from the app's own OpenAPI document and the roles'
 * permissions, so that the documentation says what the code enforces. Regenerate after adding routes:
 *
 *   npx tsx src/platform/access-table.ts > /tmp/table.md   (then paste it between the markers in docs/security.md)
 */
import { pathToFileURL } from 'node:url';
import { ROLES } from '../core/taxonomy.js';
import { rolePermissions } from './auth.js';

type OpenApiDoc = { paths: Record<string, Record<string, Record<string, unknown>>> };

export function accessTable(doc: OpenApiDoc): string {
  const head = `| operation | access | ${ROLES.join(' | ')} | API token | anonymous |`;
  const sep = `|---|---|${ROLES.map(() => ':-:').join('|')}|:-:|:-:|`;
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const access = op['x-stackwatch-access'] as string | undefined;
      const mark = (ok: boolean) => (ok ? '✓' : '—');
      let cells: string[];
      let token: string;
      if (access === undefined) {
        cells = ROLES.map(() => '?');
        token = '?';
      } else if (access === 'public') {
        cells = ROLES.map(() => '✓');
        token = '✓';
      } else if (access === 'signed-in') {
        cells = ROLES.map(() => '✓');
        token = '✓';
      } else if (access === 'admin') {
        cells = ROLES.map((r) => mark(r === 'admin'));
        token = '—';
      } else {
        cells = ROLES.map((r) => mark(rolePermissions(r).includes(access)));
        token = `with scope \`${access}\``;
      }
      rows.push(`| \`${method.toUpperCase()} /api${path}\` | ${access === undefined ? '**missing**' : `\`${access}\``} | ${cells.join(' | ')} | ${token} | ${mark(access === 'public')} |`);
    }
  }
  return [head, sep, ...rows].join('\n') + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { buildApp } = await import('../app.js');
  const { openDb } = await import('./db.js');
  const { silentLogger } = await import('./log.js');
  const db = await openDb({ dataDir: 'memory://' });
  const app = buildApp({ db, log: silentLogger });
  const doc = (await (await app.request('http://localhost/api/openapi.json')).json()) as OpenApiDoc;
  process.stdout.write(accessTable(doc));
  await db.close();
}
