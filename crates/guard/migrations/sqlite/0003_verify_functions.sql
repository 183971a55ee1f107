-- PostgreSQL only (server-side functions that spare a verification's round trips); SQLite runs
-- the same statements in process, one by one.
SELECT 1;
