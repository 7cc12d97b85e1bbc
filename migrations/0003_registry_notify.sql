-- Tell every Stackwatch process when the registry changes, so that read caches on PostgreSQL stay correct even when
-- another process (a CLI import, a second server) writes. One notification per statement, not per row.
create or replace function stackwatch_registry_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('stackwatch_registry', tg_table_name);
  return null;
end
$$;
create trigger incidents_changed after insert or update or delete on incidents for each statement execute function stackwatch_registry_changed();
create trigger incident_sources_changed after insert or update or delete on incident_sources for each statement execute function stackwatch_registry_changed();
create trigger incident_evidence_changed after insert or update or delete on incident_evidence for each statement execute function stackwatch_registry_changed();
create trigger laws_changed after insert or update or delete on laws for each statement execute function stackwatch_registry_changed();
create trigger law_incidents_changed after insert or update or delete on law_incidents for each statement execute function stackwatch_registry_changed();
