import type { App } from './platform/http.js';
import { outagesRoutes } from './outages/routes.js';
import { measureRoutes } from './measure/routes.js';
import { opsRoutes } from './ops/routes.js';
import { ledgerRoutes } from './ledger/routes.js';
import { deskRoutes } from './desk/routes.js';
import { publishRoutes } from './publish/api.js';
import { sourceRoutes } from './outages/source-routes.js';

/** Routes of the wings beyond the registry, mounted under /api. */
export function wingRoutes(): App[] {
  return [measureRoutes(), outagesRoutes(), opsRoutes(), ledgerRoutes(), deskRoutes(), publishRoutes(), sourceRoutes()];
}
