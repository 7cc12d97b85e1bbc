import type { App } from './platform/http.js';

/** Routes of the wings beyond the registry, mounted under /api. */
export function wingRoutes(): App[] {
  return [];
}
