//! Transactions that write. On SQLite they take the write lock at `BEGIN`.
//!
//! In WAL mode SQLite lets a transaction that began by reading become a writer
//! only if no other write committed since its first read; otherwise the upgrade
//! fails at once with "database is locked" (`SQLITE_BUSY_SNAPSHOT`), and the
//! busy timeout does not apply to it. `BEGIN IMMEDIATE` takes the write lock
//! first, waiting out the busy timeout like a single write statement does, so
//! writers queue instead of failing. PostgreSQL locks rows and waits by itself:
//! there it is a plain `BEGIN`.
//!
//! `Connection::transaction` is refused by clippy (`clippy.toml`) so that no
//! write path goes back to a deferred `BEGIN` by accident.

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::Error;

use super::DbConnection;

type Manager = <DbConnection as Connection>::TransactionManager;

impl DbConnection {
    /// Runs `work` in a transaction that may write: committed if it returns
    /// `Ok`, rolled back if it returns `Err`. Inside another transaction it is
    /// a savepoint of that one (which already holds the lock).
    pub fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<Error>,
    {
        let DbConnection::Sqlite(sqlite) = self else {
            #[allow(clippy::disallowed_methods)] // PostgreSQL: a plain BEGIN is right
            return self.transaction(work);
        };
        let depth = <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::transaction_manager_status_mut(sqlite)
            .transaction_depth()?;
        if depth.is_some() {
            #[allow(clippy::disallowed_methods)]
            return self.transaction(work);
        }
        // The same manager state that `Manager` (the `MultiConnection`'s, which
        // delegates to the SQLite connection's own) commits or rolls back below.
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        match work(self) {
            Ok(value) => {
                Manager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => match Manager::rollback_transaction(self) {
                // As diesel's own `transaction`: the work's error says more.
                Ok(()) | Err(Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};

    use super::*;

    fn open(path: &str) -> DbConnection {
        let mut conn = SqliteConnection::establish(path).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL;").unwrap();
        DbConnection::Sqlite(conn)
    }

    fn count(conn: &mut DbConnection) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT COUNT(*) AS n FROM t").get_result::<Count>(conn).unwrap().n
    }

    /// Reads, lets another connection write, then writes: what a plain `BEGIN`
    /// refuses at once (the other write committed in between), and what
    /// `BEGIN IMMEDIATE` makes the other writer wait for. Returns this
    /// transaction's result and the other write's.
    fn read_then_write_while_another_writes(immediate: bool) -> (Result<(), Error>, Result<(), Error>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").to_string_lossy().into_owned();
        open(&path).batch_execute("CREATE TABLE t (v INTEGER)").unwrap();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel::<Result<(), Error>>();
        let other_path = path.clone();
        let other = std::thread::spawn(move || {
            let mut other = open(&other_path);
            if go_rx.recv().is_ok() {
                let _ = done_tx.send(other.batch_execute("INSERT INTO t VALUES (2)"));
            }
        });
        let mut conn = open(&path);
        let work = |conn: &mut DbConnection| {
            count(conn);
            go.send(()).unwrap();
            if !immediate {
                // The other write commits before this one starts.
                done.recv().unwrap()?;
            }
            conn.batch_execute("INSERT INTO t VALUES (1)")
        };
        let result = if immediate {
            conn.write_transaction(work)
        } else {
            #[allow(clippy::disallowed_methods)]
            conn.transaction(work)
        };
        let other_result = if immediate { done.recv().unwrap() } else { Ok(()) };
        other.join().unwrap();
        (result, other_result)
    }

    #[test]
    fn a_deferred_transaction_that_reads_first_cannot_write_after_another_commit() {
        let (result, _) = read_then_write_while_another_writes(false);
        let error = result.expect_err("refused");
        assert!(error.to_string().contains("locked"), "{error}");
    }

    #[test]
    fn a_write_transaction_holds_the_lock_from_the_start_and_others_wait() {
        let (result, other) = read_then_write_while_another_writes(true);
        result.expect("this write succeeds");
        other.expect("the other write waited, then succeeded");
    }

    #[test]
    fn a_write_transaction_rolls_back_on_error_and_nests_as_a_savepoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db").to_string_lossy());
        conn.batch_execute("CREATE TABLE t (v INTEGER)").unwrap();
        let failed: Result<(), Error> = conn.write_transaction(|conn| {
            conn.batch_execute("INSERT INTO t VALUES (1)")?;
            Err(Error::RollbackTransaction)
        });
        assert!(failed.is_err());
        assert_eq!(count(&mut conn), 0);
        conn.write_transaction(|conn| {
            conn.batch_execute("INSERT INTO t VALUES (1)")?;
            let inner: Result<(), Error> = conn.write_transaction(|conn| {
                conn.batch_execute("INSERT INTO t VALUES (2)")?;
                Err(Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            Ok::<_, Error>(())
        })
        .unwrap();
        assert_eq!(count(&mut conn), 1);
    }
}
