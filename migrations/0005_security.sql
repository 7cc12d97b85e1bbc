-- Security (issue #7): sign-in failures per (account, address), an account-wide failure window, TOTP replay
-- protection and a pending second factor that replaces the current one only once confirmed.
create table login_failures (
  user_id uuid not null references users(id) on delete cascade,
  addr text not null,                     -- client address (X-Forwarded-For only from a configured trusted proxy)
  failures int not null default 0,
  window_start timestamptz not null default now(),
  locked_until timestamptz,
  primary key (user_id, addr)
);

alter table users add column failed_window_start timestamptz;
alter table users add column totp_last_step bigint;
alter table users add column totp_pending_secret text;
