-- Full-text search that stays cheap on the embedded database (issue #8, point 7).
-- The text vector is computed once when a row is written, not for every row a search reads: ordering a search by
-- date scanned rows and re-parsed each one's text (0.2–0.7 s per search on PGlite, holding its only connection).
alter table incidents add column search_vec tsvector generated always as (to_tsvector('simple', search_text)) stored;
create index incidents_search_vec_idx on incidents using gin (search_vec);
drop index if exists incidents_search_idx;
-- A law's incidents are looked up per incident on every list page: index that direction too.
create index if not exists law_incidents_incident_idx on law_incidents (incident_id);
