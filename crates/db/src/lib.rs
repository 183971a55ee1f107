//! Storage: the connection to SQLite or PostgreSQL, migrations, and the helpers both backends share.
