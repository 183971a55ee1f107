//! Migrations apply on an empty SQLite and an empty PostgreSQL database, are idempotent, and a
//! changed landed migration is refused.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_db::testing::TestDb;
use custodian_db::{Component, DbError, Migration, MigrationStatus};

const V1: Migration = Migration {
    version: 1,
    name: "widgets",
    sqlite: "CREATE TABLE widget (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
    postgres: "CREATE TABLE widget (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
};
const V2: Migration = Migration {
    version: 2,
    name: "widget colour",
    sqlite: "ALTER TABLE widget ADD COLUMN colour TEXT; CREATE INDEX widget_colour ON widget (colour);",
    postgres: "ALTER TABLE widget ADD COLUMN colour TEXT; CREATE INDEX widget_colour ON widget (colour);",
};
const COMPONENT: Component = Component {
    name: "test",
    migrations: &[V1, V2],
};

async fn migrations_apply_once(t: &TestDb) {
    let db = &t.db;
    assert_eq!(
        db.migration_status(&[COMPONENT]).await.unwrap(),
        MigrationStatus::Pending(vec!["test/1".into(), "test/2".into()])
    );
    assert_eq!(db.migrate(&[COMPONENT]).await.unwrap(), 2);
    assert_eq!(
        db.migrate(&[COMPONENT]).await.unwrap(),
        0,
        "second run is a no-op"
    );
    assert_eq!(
        db.migration_status(&[COMPONENT]).await.unwrap(),
        MigrationStatus::Current
    );
    let id: i64 =
        sqlx::query_scalar("INSERT INTO widget (name, colour) VALUES ($1, $2) RETURNING id")
            .bind("a")
            .bind("red")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(id > 0);
    let dup = sqlx::query("INSERT INTO widget (name) VALUES ($1)")
        .bind("a")
        .execute(db.pool())
        .await
        .unwrap_err();
    assert!(custodian_db::is_unique_violation(&dup));
}

async fn changed_migration_is_refused(t: &TestDb) {
    let db = &t.db;
    db.migrate(&[COMPONENT]).await.unwrap();
    const CHANGED: Component = Component {
        name: "test",
        migrations: &[
            Migration {
                sqlite: "CREATE TABLE widget (id INTEGER PRIMARY KEY);",
                postgres: "CREATE TABLE widget (id BIGINT PRIMARY KEY);",
                ..V1
            },
            V2,
        ],
    };
    let err = db.migrate(&[CHANGED]).await.unwrap_err();
    assert!(
        matches!(err, DbError::MigrationDrift { version: 1, .. }),
        "{err}"
    );
}

async fn failed_migration_leaves_nothing(t: &TestDb) {
    let db = &t.db;
    const BROKEN: Component = Component {
        name: "broken",
        migrations: &[Migration {
            version: 1,
            name: "half",
            sqlite: "CREATE TABLE half (id INTEGER); CREATE TABLE oops (;",
            postgres: "CREATE TABLE half (id INTEGER); CREATE TABLE oops (;",
        }],
    };
    let err = db.migrate(&[BROKEN]).await.unwrap_err();
    assert!(matches!(err, DbError::MigrationFailed { .. }), "{err}");
    let exists = sqlx::query("SELECT id FROM half").execute(db.pool()).await;
    assert!(
        exists.is_err(),
        "the first statement of a failed migration was kept"
    );
    assert!(matches!(
        db.migration_status(&[BROKEN]).await.unwrap(),
        MigrationStatus::Pending(_)
    ));
}

async fn newer_database_is_refused(t: &TestDb) {
    let db = &t.db;
    db.migrate(&[COMPONENT]).await.unwrap();
    const OLDER: Component = Component {
        name: "test",
        migrations: &[V1],
    };
    let err = db.migrate(&[OLDER]).await.unwrap_err();
    assert!(
        matches!(err, DbError::DatabaseNewer { version: 2, .. }),
        "{err}"
    );
}

custodian_db::backend_tests!(
    migrations_apply_once,
    changed_migration_is_refused,
    failed_migration_leaves_nothing,
    newer_database_is_refused
);
