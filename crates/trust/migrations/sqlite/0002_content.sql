-- Content authored in the console: security practices pages (markdown), the subprocessor list,
-- the FAQ and the disclosure programme's scope. Each list is ordered by position, then name.
CREATE TABLE trust_practice_pages (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE trust_subprocessors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    location TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE TABLE trust_faq (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL UNIQUE,
    answer_md TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE TABLE trust_scope (
    id INTEGER PRIMARY KEY,
    asset TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('in', 'out')),
    notes TEXT NOT NULL,
    position BIGINT NOT NULL
);
