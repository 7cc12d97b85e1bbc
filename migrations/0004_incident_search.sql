-- Faster incident search on large registries.
-- A period filter asks for incidents whose [start, end] overlaps it: a GiST index on that range answers it directly
-- (a b-tree on start_at alone can bound only one side).
create index incidents_period_idx on incidents using gist (tstzrange(start_at, coalesce(end_at, start_at), '[]'));
-- Counting a country's incidents under TLP needs only these columns: an index that carries them lets PostgreSQL count
-- without reading the table.
drop index if exists incidents_country_start_idx;
create index incidents_country_start_idx on incidents (country, start_at desc nulls last, id) include (tlp, org_id, type, status);
drop index if exists incidents_type_start_idx;
create index incidents_type_start_idx on incidents (type, start_at desc nulls last, id) include (tlp, org_id, country, status);
