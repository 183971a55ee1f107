-- Forced resets update every member row twice (marked, then notified) and every credential once.
-- With pages filled to the brim, each update writes its new row version to another page and
-- every index gets a new entry; with room left on the page the update is a heap-only tuple
-- update and no index is touched. Applies to pages written from now on.
ALTER TABLE guard_reset_members SET (fillfactor = 50);
ALTER TABLE guard_credentials SET (fillfactor = 80);
