-- Platform: organisations, accounts, sessions, API tokens, audit log.
create table orgs (
  id uuid primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  email text not null,
  name text not null default '',
  role text not null check (role in ('admin','analyst','responder','partner','viewer')),
  password_hash text not null,
  totp_secret text,
  totp_enabled boolean not null default false,
  failed_logins int not null default 0,
  locked_until timestamptz,
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  last_login_at timestamptz
);
create unique index users_email_idx on users (lower(email));

create table sessions (
  id text primary key,               -- SHA-256 of the cookie value; the value itself is never stored
  user_id uuid not null references users(id) on delete cascade,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index sessions_user_idx on sessions (user_id);

create table api_tokens (
  id uuid primary key,
  user_id uuid not null references users(id) on delete cascade,
  name text not null,
  prefix text not null,              -- first characters, shown in lists so a user can tell tokens apart
  token_hash text not null unique,   -- SHA-256 of the secret; the secret is shown once
  scopes text[] not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor_user_id uuid,
  actor_label text not null,         -- e-mail, token name or 'system'
  org_id uuid,
  action text not null,              -- e.g. incident.create, user.update, token.revoke
  entity_type text not null,
  entity_id text,
  before jsonb,
  after jsonb
);
create index audit_log_at_idx on audit_log (at desc);
create index audit_log_entity_idx on audit_log (entity_type, entity_id);

create table settings (
  key text primary key,
  value jsonb not null
);
