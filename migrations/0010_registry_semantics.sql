-- Registry semantics (issue #8): how an incident ends, how long it counts, which data-set records it carries,
-- likely duplicates, and sources for laws.

-- 1. The end of an incident. end_at set: it ended then ('ended'). end_at null: either the sources say it still
--    continues ('ongoing', as of ongoing_as_of, the last day a source confirmed it) or nobody recorded when it ended
--    ('unknown'). An incident is counted as active from start_at to active_until: its end, the day it was last known
--    to continue, or — end unknown — its first day only (the one day the record proves).
alter table incidents add column end_state text not null default 'unknown' check (end_state in ('ended','ongoing','unknown'));
alter table incidents add column ongoing_as_of timestamptz;
update incidents set end_state = 'ended' where end_at is not null;
-- Writers that do not know the rule (older code, other wings) stay consistent: an end date means 'ended'; no end
-- date and no word means 'unknown'; 'ongoing' keeps its as-of day only while it has no end.
create or replace function stackwatch_incident_end_state() returns trigger language plpgsql as $$
begin
  if new.end_at is not null then
    new.end_state := 'ended';
    new.ongoing_as_of := null;
  elsif new.end_state = 'ended' or new.end_state is null then
    new.end_state := 'unknown';
  end if;
  if new.end_state <> 'ongoing' then new.ongoing_as_of := null; end if;
  return new;
end
$$;
create trigger incidents_end_state before insert or update on incidents for each row execute function stackwatch_incident_end_state();
-- ongoing without an as-of day: known to continue now (live), so active without bound.
alter table incidents add column active_until timestamptz generated always as (
  coalesce(end_at, case when end_state = 'ongoing' then (case when ongoing_as_of is null then 'infinity'::timestamptz else greatest(ongoing_as_of, start_at) end) end, start_at)
) stored;
create index incidents_active_idx on incidents using gist (tstzrange(start_at, active_until, '[]'));
create index incidents_end_state_idx on incidents (end_state);

-- 2. Records of published data sets (Access Now STOP, IODA) behind each incident, with the period the data set lists
--    them under. A merge moves them to the surviving incident, so a data set's own counts stay reproducible.
create table dataset_records (
  dataset text not null,                    -- stop | ioda
  record_key text not null,                 -- the row's origin key (stop:<sheet>:<hash>, ioda:<ID>)
  period text,                              -- the data set's own period for the row: STOP's sheet year ('2019'); null if none
  incident_id uuid not null references incidents(id) on delete cascade,
  primary key (dataset, record_key)
);
create index dataset_records_incident_idx on dataset_records (incident_id);
create index dataset_records_period_idx on dataset_records (dataset, period);
-- Existing registries: STOP rows created as incidents, and STOP rows kept as documents on an earlier incident. The
-- combined 2016–2018 sheet lists a row under its "year" column; for stored rows that is the start year, except two
-- old shutdowns (2009, 2010) that the sheet lists under 2018.
insert into dataset_records (dataset, record_key, period, incident_id)
select 'stop', i.origin_key,
       case when split_part(i.origin_key, ':', 2) = '2016+2017+2018' then greatest(2018 * (extract(year from i.start_at)::int < 2016)::int, extract(year from i.start_at)::int)::text
            when split_part(i.origin_key, ':', 2) ~ '^\d{4}' then left(split_part(i.origin_key, ':', 2), 4) end,
       i.id
  from incidents i where i.origin = 'stop' and i.origin_key like 'stop:%'
on conflict do nothing;
insert into dataset_records (dataset, record_key, period, incident_id)
select 'stop', e.ref, case when split_part(e.ref, ':', 2) ~ '^\d{4}' then left(split_part(e.ref, ':', 2), 4) end, e.incident_id
  from incident_evidence e where e.kind = 'document' and e.ref like 'stop:%'
on conflict do nothing;
insert into dataset_records (dataset, record_key, period, incident_id)
select 'ioda', i.origin_key, to_char(i.start_at, 'YYYY'), i.id from incidents i where i.origin = 'ioda' and i.origin_key like 'ioda:%'
on conflict do nothing;
insert into dataset_records (dataset, record_key, period, incident_id)
select 'ioda', e.ref, e.data->>'begin', e.incident_id from incident_evidence e where e.kind = 'outage_event' and e.ref like 'ioda:%'
on conflict do nothing;
update dataset_records set period = left(period, 4) where dataset = 'ioda' and period is not null;

-- 3. Likely duplicates: pairs found on import or on create, shown to analysts until merged or dismissed. A merged
--    incident stays as a record pointing at the one it was merged into (its history stays readable; links to it
--    from other wings still resolve); lists, exports and statistics leave it out.
alter table incidents add column merged_into uuid references incidents(id);
create index incidents_merged_into_idx on incidents (merged_into) where merged_into is not null;
-- 3b.: pairs found on import or on create, shown to analysts until merged or dismissed.
create table incident_duplicates (
  a uuid not null references incidents(id) on delete cascade,   -- the smaller id of the pair
  b uuid not null references incidents(id) on delete cascade,
  reasons jsonb not null default '[]',      -- ["same country", "overlapping time …", …]
  score real not null default 0,
  state text not null default 'open' check (state in ('open','dismissed','merged')),
  detected_at timestamptz not null default now(),
  decided_by text,
  decided_at timestamptz,
  primary key (a, b),
  check (a < b)
);
create index incident_duplicates_b_idx on incident_duplicates (b);
create trigger incident_duplicates_changed after insert or update or delete on incident_duplicates for each statement execute function stackwatch_registry_changed();
create trigger dataset_records_changed after insert or update or delete on dataset_records for each statement execute function stackwatch_registry_changed();

-- 4. Laws: public sources beside the official text.
alter table laws add column sources jsonb not null default '[]';   -- [{url, title, publisher}]
