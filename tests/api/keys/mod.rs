//! API keys: *Organization settings > API keys* and *User settings > API keys*.
//!
//! Most tests start from a [`Team`] (`support::people`: Alice admin of Acme, Mia
//! member of Acme, Bob admin of Bolt, Olga in no organization), on an app whose
//! clock stands still at [`test_epoch`] (28 Feb 2027, 12:00 UTC) so that dates
//! are exact (`both_databases!(name, at_epoch)`).

mod access;
mod empty_state;
mod escaping;
mod expiry;
mod filters;
mod one_time_token;
pub mod oversight;
mod pagination;
mod permissions;
mod policy;
mod purge;
mod revocation;
mod roll;
mod scope;
mod validation;
mod visible_text;

use chrono::{DateTime, Utc};
use diesel::RunQueryDsl;
use monkeyci_accounts::clock::FixedClock;
use monkeyci_accounts::domain::api_key::{KeyKind, ParsedToken};

use diesel::Connection;
use monkeyci_accounts::config::DatabaseTarget;
use reqwest::{Response, StatusCode};
use secrecy::ExposeSecret;

use crate::support::{Backend, Options, TestApp, location, test_epoch};
pub use crate::support::{
    Browser, Team, attrs, audit_rows_with_names, count, execute, join, org_id, page_text, quietly, quoted,
    rows_with_breaks, squash, strings, text, texts, value,
};

pub const ACME_KEYS: &str = "/o/acme/settings/api-keys";
pub const BOLT_KEYS: &str = "/o/bolt/settings/api-keys";
pub const USER_KEYS: &str = "/settings/api-keys";

/// The list of keys, its empty state and the one-time dialog.
pub const KEYS: &str = "[data-testid=keys]";
pub const EMPTY: &str = "[data-testid=keys-empty]";
pub const DIALOG: &str = "[data-testid=new-key-dialog]";
pub const CONFIRM: &str = "[data-testid=confirm-revoke]";

/// An app on either database whose clock stands still at [`test_epoch`]; `None`
/// when PostgreSQL is unreachable and not required (the run is skipped).
pub async fn spawn_at_epoch(backend: Backend) -> Option<TestApp> {
    spawn_at_epoch_with(backend, |options| options).await
}

/// [`spawn_at_epoch`] with `change` applied to the app's options first.
pub async fn spawn_at_epoch_with(
    backend: Backend,
    change: impl FnOnce(Options) -> Options,
) -> Option<TestApp> {
    let options = change(Options { clock: Some(FixedClock::at(test_epoch())), ..Options::new(backend) });
    match backend {
        Backend::Sqlite => Some(TestApp::spawn_with(options).await),
        Backend::Postgres => TestApp::spawn_with_postgres(options).await,
    }
}

/// Moves the app's clock to `time`.
pub fn set_clock(app: &TestApp, time: DateTime<Utc>) {
    app.clock.as_ref().expect("started with a fixed clock").set(time);
}

// ---------------------------------------------------------------------------
// People and their browsers.

/// The Add form's choice of full access. The helpers below ask for it, so that
/// the keys tests make work as they did before permissions could be chosen
/// (the form's own default, Run builds, is what a browser sends unless the
/// person chooses: see `permissions.rs`).
pub const FULL_ACCESS: (&str, &str) = ("permissions", "full_access");

impl Browser {
    /// Sends the Add form of the keys screen at `list`, asking for full access.
    pub async fn add_key(&self, list: &str, description: &str, valid_until: &str) -> Response {
        self.add_key_with(list, description, valid_until, &[FULL_ACCESS]).await
    }

    /// Sends the Add form with these fields besides the description and date
    /// (`permissions`, `level_repos`, `reach`, `orgs`, `allowed_networks`).
    pub async fn add_key_with(
        &self,
        list: &str,
        description: &str,
        valid_until: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form = vec![("description", description), ("valid_until", valid_until)];
        form.extend_from_slice(fields);
        self.post(list, &form).await
    }

    /// Creates a key through the form and returns its token, read from the dialog
    /// of the list page that the form leads to.
    pub async fn create_key(&self, list: &str, description: &str, valid_until: &str) -> String {
        self.create_key_with(list, description, valid_until, &[FULL_ACCESS]).await
    }

    /// [`Browser::create_key`] with these fields (see [`Browser::add_key_with`]).
    pub async fn create_key_with(
        &self,
        list: &str,
        description: &str,
        valid_until: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let response = self.add_key_with(list, description, valid_until, fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} creates key {description:?}", self.who());
        assert_eq!(location(&response), list);
        let html = self.page(list).await;
        new_token(&html).unwrap_or_else(|| panic!("the list shows the new token of {description:?}"))
    }

    /// Creates a key through the form and returns its token, checked and split.
    pub async fn new_key(&self, list: &str, description: &str, valid_until: &str) -> Token {
        self.new_key_with(list, description, valid_until, &[FULL_ACCESS]).await
    }

    /// [`Browser::new_key`] with these fields (see [`Browser::add_key_with`]).
    pub async fn new_key_with(
        &self,
        list: &str,
        description: &str,
        valid_until: &str,
        fields: &[(&str, &str)],
    ) -> Token {
        let kind = if list.starts_with("/o/") { KeyKind::Organization } else { KeyKind::User };
        Token::parse(&self.create_key_with(list, description, valid_until, fields).await, kind)
    }
}

// ---------------------------------------------------------------------------
// Tokens.

/// A token split into its documented parts.
pub struct Token {
    pub full: String,
    pub public_id: String,
    pub secret: String,
}

impl Token {
    /// Checks the documented shape (prefix, 62 base62 characters after it, a valid
    /// checksum) and splits the token.
    pub fn parse(token: &str, kind: KeyKind) -> Token {
        assert_eq!(token.len(), 62, "{token} has 62 characters");
        assert!(token.starts_with(kind.prefix()), "{token} starts with {}", kind.prefix());
        assert!(token[8..].bytes().all(|b| b.is_ascii_alphanumeric()), "{token} is base62 after the prefix");
        let parsed = ParsedToken::parse(token).expect("the token's checksum is right");
        assert_eq!(parsed.kind, kind);
        assert_eq!(parsed.public_id.as_str(), &token[8..24]);
        assert_eq!(parsed.secret.expose(), &token[24..56]);
        Token {
            full: token.to_string(),
            public_id: token[8..24].to_string(),
            secret: token[24..56].to_string(),
        }
    }

    /// What lists show: the prefix and the public id's first four characters.
    pub fn hint(&self) -> String {
        format!("{}{}…", &self.full[..8], &self.public_id[..4])
    }

    /// What the list's "Key id" cell reads: the whole public id, and its Copy
    /// button's name (shown when scripts run).
    pub fn id_cell(&self, description: &str) -> String {
        format!("{} Copy key id of {description}", self.public_id)
    }

    /// True when `text` holds the token or its secret part.
    pub fn leaks_into(&self, text: &str) -> bool {
        text.contains(&self.full) || text.contains(&self.secret)
    }
}

/// The token in the one-time dialog of a page, if it shows one.
pub fn new_token(html: &str) -> Option<String> {
    let dialogs = attrs(html, &format!("{DIALOG} #new-key-token"), "value");
    assert!(dialogs.len() <= 1, "at most one new-key dialog");
    dialogs.into_iter().next()
}

// ---------------------------------------------------------------------------
// The database, read directly (not through the app's own queries).

/// Every key as stored, oldest first: "kind | owner | public id | description | valid until".
pub async fn stored_keys(app: &TestApp) -> Vec<String> {
    strings(
        app,
        "SELECT k.kind || ' | ' || COALESCE(o.slug, u.display_name) || ' | ' || k.public_id || ' | ' || \
         k.description || ' | ' || COALESCE(CAST(k.valid_until AS TEXT), 'never') AS v \
         FROM api_keys k LEFT JOIN organizations o ON o.id = k.organization_id \
         LEFT JOIN users u ON u.id = k.user_id ORDER BY k.id"
            .to_string(),
    )
    .await
}

pub async fn key_count(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM api_keys".to_string()).await
}

/// Whether a key with this public id is stored.
pub async fn key_exists(app: &TestApp, public_id: &str) -> bool {
    count(app, format!("SELECT COUNT(*) AS n FROM api_keys WHERE public_id = {}", quoted(public_id))).await
        == 1
}

/// Stores keys straight into the table, many at once (far faster than the form,
/// for lists of hundreds). Each row is the SQL tuple of `(public_id, kind,
/// organization_id, user_id, secret_hash, description, valid_until, created_at,
/// created_by)`.
pub async fn insert_key_rows(app: &TestApp, rows: &[String]) {
    execute(
        app,
        format!(
            "INSERT INTO api_keys (public_id, kind, organization_id, user_id, secret_hash, description, \
             valid_until, created_at, created_by) VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
}

/// Whether the key is stored as revoked (its row kept, `revoked_at` set).
pub async fn key_revoked(app: &TestApp, public_id: &str) -> bool {
    count(
        app,
        format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE public_id = {} AND revoked_at IS NOT NULL",
            quoted(public_id)
        ),
    )
    .await
        == 1
}

/// The stored hash of a key's secret.
pub async fn secret_hash(app: &TestApp, public_id: &str) -> String {
    strings(app, format!("SELECT secret_hash AS v FROM api_keys WHERE public_id = {}", quoted(public_id)))
        .await
        .into_iter()
        .next()
        .expect("the key is stored")
}

/// The audit log rows about API keys and the key policy, of every organization.
pub async fn key_audit_rows(app: &TestApp) -> Vec<String> {
    strings(
        app,
        "SELECT o.slug || ' | ' || a.action || ' | ' || a.details AS v FROM audit_events a \
         JOIN organizations o ON o.id = a.organization_id \
         WHERE a.action LIKE 'api_key.%' OR a.action LIKE '%key_policy%' ORDER BY a.id"
            .to_string(),
    )
    .await
}

/// Every text column of every table, row by row: what a copy of the database holds.
pub async fn every_stored_text(app: &TestApp) -> Vec<String> {
    const COLUMNS: &[(&str, &str)] = &[
        ("api_keys", "public_id"),
        ("api_keys", "kind"),
        ("api_keys", "secret_hash"),
        ("api_keys", "description"),
        ("api_keys", "created_by_key_hint"),
        ("api_keys", "created_by_key_description"),
        ("pending_tokens", "id"),
        ("pending_tokens", "list_url"),
        ("pending_tokens", "sealed"),
        ("sessions", "id"),
        ("sessions", "state"),
        ("audit_events", "action"),
        ("audit_events", "details"),
        ("audit_events", "actor_key_hint"),
        ("audit_events", "actor_key_description"),
        ("users", "display_name"),
        ("organizations", "slug"),
        ("organizations", "name"),
        ("join_requests", "status"),
        ("memberships", "role"),
        ("identities", "platform"),
        ("identities", "platform_user_id"),
        ("identities", "login"),
        ("identities", "display_name"),
        ("identities", "email"),
        ("identities", "avatar_url"),
    ];
    let mut all = Vec::new();
    for (table, column) in COLUMNS {
        let sql = format!("SELECT '{table}.{column}: ' || COALESCE({column}, '') AS v FROM {table}");
        all.extend(strings(app, sql).await);
    }
    all
}

/// The organization's key policy as stored.
pub async fn policy(app: &TestApp, slug: &str) -> Option<String> {
    strings(
        app,
        format!(
            "SELECT COALESCE(CAST(max_key_lifetime_days AS TEXT), 'none') AS v \
             FROM organizations WHERE slug = {}",
            quoted(slug)
        ),
    )
    .await
    .into_iter()
    .next()
}

// ---------------------------------------------------------------------------
// Pages.

/// The keys a list page shows, as the text of their cells: description, key id,
/// created ("28 Feb 2027 by Alice"), last used, valid until, status, permissions
/// ("Run builds read repositories, …", and a user key's organizations), actions.
pub fn key_rows(html: &str) -> Vec<Vec<String>> {
    rows_with_breaks(html, KEYS)
}

/// The descriptions of the keys a list page shows, in order.
pub fn descriptions(html: &str) -> Vec<String> {
    key_rows(html).into_iter().filter_map(|row| row.into_iter().next()).collect()
}

/// What the Permissions cell of a full-access key reads; a user key's adds its reach.
pub fn full_access_cell(key: &Token) -> String {
    let reach = if key.full.starts_with(KeyKind::User.prefix()) { " in all my organizations" } else { "" };
    format!("Full access everything its holder may do{reach}")
}

/// One expected row of the list (of a key made with [`Browser::create_key`]: full access).
pub fn key_row(
    description: &str,
    key: &Token,
    created: &str,
    valid_until: &str,
    status: &str,
) -> Vec<String> {
    [
        description,
        &key.id_cell(description),
        created,
        "never",
        valid_until,
        status,
        &full_access_cell(key),
        &format!("Roll {description} Revoke {description}"),
    ]
    .iter()
    .map(|s| squash(s))
    .collect()
}

/// The one-time messages of a page (not the dialog's notice).
pub fn flashes(html: &str) -> Vec<String> {
    texts(html, "main > .flash")
}

// ---------------------------------------------------------------------------
// The database's files, as a copy or a backup would hold them.

/// Where the database's bytes stood when a test began: on PostgreSQL, the WAL
/// position (the WAL written since is read with the tables' files).
pub struct DatabaseFiles {
    wal_start: Option<String>,
}

impl DatabaseFiles {
    pub async fn mark(app: &TestApp) -> DatabaseFiles {
        match &app.database {
            DatabaseTarget::Sqlite { .. } => DatabaseFiles { wal_start: None },
            DatabaseTarget::Postgres { url } => {
                let url = url.expose_secret().to_string();
                let start = actix_web::rt::task::spawn_blocking(move || {
                    let mut conn = diesel::PgConnection::establish(&url).expect("PostgreSQL reachable");
                    current_wal_file(&mut conn)
                })
                .await
                .unwrap();
                DatabaseFiles { wal_start: Some(start) }
            }
        }
    }

    /// Every byte the database keeps on disk: on SQLite the file and its `-wal`;
    /// on PostgreSQL (after a checkpoint) every table's, index's and TOAST
    /// table's file, and the WAL written since [`DatabaseFiles::mark`].
    pub async fn read(&self, app: &TestApp) -> Vec<u8> {
        match &app.database {
            DatabaseTarget::Sqlite { path } => {
                let mut bytes = std::fs::read(path).expect("the SQLite file");
                bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
                bytes
            }
            DatabaseTarget::Postgres { url } => {
                let url = url.expose_secret().to_string();
                let start = self.wal_start.clone().expect("marked on PostgreSQL");
                actix_web::rt::task::spawn_blocking(move || postgres_files(&url, &start)).await.unwrap()
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct FileBytes {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    data: Vec<u8>,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn current_wal_file(conn: &mut diesel::PgConnection) -> String {
    diesel::sql_query("SELECT pg_walfile_name(pg_current_wal_lsn()) AS name")
        .get_result::<Name>(conn)
        .expect("the WAL position")
        .name
}

fn postgres_files(url: &str, wal_start: &str) -> Vec<u8> {
    use diesel::connection::SimpleConnection;
    let mut conn = diesel::PgConnection::establish(url).expect("PostgreSQL reachable");
    conn.batch_execute("CHECKPOINT").expect("CHECKPOINT (the test role must be allowed to)");
    let relations = diesel::sql_query(
        "SELECT pg_read_binary_file(pg_relation_filepath(c.oid)) AS data FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't', 'i') \
         AND pg_relation_filepath(c.oid) IS NOT NULL",
    )
    .load::<FileBytes>(&mut conn)
    .expect("the tables' files are readable (the test role must be allowed to)");
    let wal_end = current_wal_file(&mut conn);
    let wal = diesel::sql_query(
        "SELECT pg_read_binary_file('pg_wal/' || name) AS data FROM pg_ls_waldir() \
         WHERE name ~ '^[0-9A-F]{24}$' AND name >= $1 AND name <= $2",
    )
    .bind::<diesel::sql_types::Text, _>(wal_start)
    .bind::<diesel::sql_types::Text, _>(&wal_end)
    .load::<FileBytes>(&mut conn)
    .expect("the WAL is readable");
    relations.into_iter().chain(wal).flat_map(|file| file.data).collect()
}

/// True when `needle` occurs anywhere in `haystack`.
pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}
