-- measure wing: measurements belong to an organisation (raw data holds the probe's IP and annotations), may be
-- marked public (OONI's published data), and are de-duplicated by the SHA-256 of their bytes only: the old unique
-- key on (report id, input, start time) dropped distinct measurements of one URL in one report.
alter table measure_measurements add column if not exists org_id uuid references orgs(id);
alter table measure_measurements add column if not exists public boolean not null default false;
update measure_measurements set org_id = (select id from orgs order by created_at, id limit 1) where org_id is null;
drop index if exists measure_measurements_report_input;
alter table measure_measurements drop constraint if exists measure_measurements_sha256_key;
create unique index if not exists measure_measurements_org_sha256
  on measure_measurements (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), sha256);
create index if not exists measure_measurements_org on measure_measurements (org_id, public);
