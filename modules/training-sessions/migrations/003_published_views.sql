-- What other modules may read of training sessions and their bookings in SQL, when they need it in a join:
-- they join these views, never the tables, so this module can change its tables
-- while the views keep their columns. PostgreSQL expands a view like this into the
-- query that uses it, so a join to it is planned exactly as a join to the
-- table, indexes and all. Writes go through the module (modules/training-sessions/api.ts).
create view training_session_list as
  select id, course_id, starts_at, ends_at, venue, online_url, capacity, trainer_user_id, multi_agency, open_to_all, notes, cancelled_at,
         register_marked_at, register_marked_by, created_by, created_at, charge_pence
    from training_sessions;
-- Without the hash of a place's offer link: that is the training-sessions module's alone.
create view training_session_bookings as
  select id, session_id, staff_id, status, booked_by, booked_at, promoted_at, cancelled_at, cancelled_by, attended, attendance_marked_at,
         substitutes_id, cancel_reason, offered_at, offer_expires_at
    from session_bookings;
