import type { ImportedIncident } from './model.js';

/** The registry's own input contract: an imported incident must be editable through the API as it was stored. */
export function asRegistryInput(i: ImportedIncident) {
  return {
    type: i.type, title: i.title, country: i.country, area: i.area, networks: i.networks, services: i.services, actors: i.actors,
    targets: i.targets, startAt: i.startAt?.toISOString(), startPrecision: i.startPrecision, endAt: i.endAt?.toISOString() ?? null,
    endPrecision: i.endPrecision, status: i.status, severity: i.severity, tlp: i.tlp, summary: i.summary, description: i.description,
    tags: i.tags, origin: i.origin, originKey: i.originKey,
  };
}
