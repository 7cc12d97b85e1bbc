-- publish wing: what an organisation publishes, alert subscriptions, announced events, webhook deliveries.
create table publish_settings (
  org_id uuid primary key references orgs(id) on delete cascade,
  public_name text not null,
  publish_incidents boolean not null default true,
  publish_laws boolean not null default true,
  publish_measurements boolean not null default true,
  publish_outages boolean not null default true,
  updated_at timestamptz not null default now()
);

-- Events announced to subscribers (public facts only: copied from TLP:CLEAR, published records when announced).
create table publish_events (
  id bigserial primary key,
  kind text not null check (kind in ('incident.verified','outage.opened','outage.closed')),
  ref text not null,                        -- incident id or outage event id
  country char(2),
  type text not null default '',
  severity text not null default '',
  title text not null,
  summary text not null default '',
  url text not null default '',
  at timestamptz not null default now(),
  withdrawn boolean not null default false, -- the record stopped being public: no longer shown in feeds
  unique (kind, ref)
);
create index publish_events_at_idx on publish_events (at desc);

create table publish_subscriptions (
  id uuid primary key,
  channel text not null check (channel in ('webhook','email')),
  countries text[] not null default '{}',   -- empty = all
  types text[] not null default '{}',       -- types or families; empty = all
  severities text[] not null default '{}',
  events text[] not null default '{}',      -- kinds of publish_events; empty = all
  url text,                                 -- webhook
  secret text,                              -- webhook HMAC key (shown once to its creator)
  email text,                               -- e-mail address: personal data, never exported
  confirm_hash text,                        -- SHA-256 of the double opt-in token
  confirmed_at timestamptz,
  failures int not null default 0,          -- consecutive failed webhook attempts
  disabled_at timestamptz,
  disabled_reason text,
  created_by uuid,
  created_at timestamptz not null default now()
);

create table publish_deliveries (
  id uuid primary key,
  subscription_id uuid not null references publish_subscriptions(id) on delete cascade,
  event_id bigint not null references publish_events(id) on delete cascade,
  status text not null default 'pending' check (status in ('pending','delivered','failed','abandoned')),
  attempts int not null default 0,
  last_status int,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (subscription_id, event_id)
);
create index publish_deliveries_sub_idx on publish_deliveries (subscription_id, created_at desc);
