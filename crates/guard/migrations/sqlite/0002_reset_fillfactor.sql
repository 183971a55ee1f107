-- PostgreSQL only (page fill factors for heap-only updates); SQLite has no equivalent.
SELECT 1;
