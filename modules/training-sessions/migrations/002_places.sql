-- Sessions that fill: a price per place, attendance reminders, a colleague
-- substituted into a booked place, and freed places offered to the waiting
-- list with a time-limited link.

-- Pence per place; null means the session is free.
alter table training_sessions add column charge_pence int check (charge_pence between 0 and 10000000);

-- The partnership's booking terms: one row, edited by administrators.
create table session_booking_terms (
  id boolean primary key default true check (id),
  -- attendance reminder: this many days before the session starts
  reminder_days int not null default 3 check (reminder_days between 1 and 60),
  -- how long a freed place is held for the person it is offered to
  offer_hours int not null default 48 check (offer_hours between 1 and 336),
  -- a cancellation less than this many days before the start is charged
  late_cancellation_days int not null default 7 check (late_cancellation_days between 0 and 90),
  -- a place booked and not attended (no-show) is charged
  charge_no_shows boolean not null default true,
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now()
);
insert into session_booking_terms (id) values (true);

-- A substituted place: the colleague's booking names the one it replaces.
alter table session_bookings add column substitutes_id uuid references session_bookings(id);
-- Why a booking ended: 'cancelled' (a place given up), 'left-waiting-list', 'substituted', 'declined' or 'offer-lapsed' (an offered place).
alter table session_bookings add column cancel_reason text;
-- A freed place offered to someone on the waiting list (status stays 'waiting' until they accept).
alter table session_bookings add column offer_token_hash text;
alter table session_bookings add column offered_at timestamptz;
alter table session_bookings add column offer_expires_at timestamptz;

create unique index session_bookings_offer_token on session_bookings (offer_token_hash) where offer_token_hash is not null;
