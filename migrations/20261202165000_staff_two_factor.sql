-- Admins can require two-factor sign-in of everyone who moderates or administers: while it is
-- required, an admin or moderator without it is refused staff actions (403
-- `two_factor_required`) until they turn it on; everything else keeps working.
alter table site add column require_staff_two_factor boolean not null default false;
