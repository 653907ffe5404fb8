//! The durable queue: one SQLite table in WAL mode, written in batched transactions.
//!
//! Rows are `(id, ts, line)`: `id` grows with insertion order (rows are sent oldest first),
//! `ts` is the time `log()` was called in epoch milliseconds (for the TTL), `line` the
//! serialized JSON object without its newline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, params};

use crate::{Error, Result};

/// One queued row.
pub(crate) struct Row {
    pub id: i64,
    pub ts: i64,
    pub line: Vec<u8>,
}

/// A connection to the queue database (the writer and the sender each own one).
pub(crate) struct Disk {
    conn: Connection,
    path: PathBuf,
}

/// Rows and payload bytes removed by a delete.
#[derive(Default, Clone, Copy)]
pub(crate) struct Removed {
    pub rows: u64,
    pub bytes: u64,
}

impl Disk {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|e| err(path, e))?;
        let disk = Self {
            conn,
            path: path.to_owned(),
        };
        disk.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(|e| disk.err(e))?;
        // WAL: the sender reads while the writer appends. synchronous=NORMAL keeps every
        // committed transaction across a process crash (kill -9); only an OS crash or power
        // loss can take the last commits.
        disk.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS event (
                     id   INTEGER PRIMARY KEY AUTOINCREMENT,
                     ts   INTEGER NOT NULL,
                     line BLOB    NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
            )
            .map_err(|e| disk.err(e))?;
        Ok(disk)
    }

    pub fn err(&self, e: rusqlite::Error) -> Error {
        err(&self.path, e)
    }

    /// The queue's token: random, made once per database (ids are never reused:
    /// AUTOINCREMENT), so `<token>-<id>` names an event for good.
    pub fn token(&self) -> Result<String> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('token', ?1)",
                [crate::es::random_token()],
            )
            .map_err(|e| self.err(e))?;
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'token'", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// Rows and payload bytes queued now.
    pub fn size(&self) -> Result<(u64, u64)> {
        self.conn
            .query_row(
                "SELECT count(*), coalesce(sum(length(line)), 0) FROM event",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .map(|(n, b)| (to_u64(n), to_u64(b)))
            .map_err(|e| self.err(e))
    }

    /// Inserts `lines` in one transaction; then, while the queue is over its limits, deletes
    /// the oldest rows above `protect` (rows up to `protect` are being sent).
    /// Returns what the limits made it delete.
    pub fn insert(
        &mut self,
        lines: &[(i64, Vec<u8>)],
        over_limit: impl Fn(u64, u64) -> Option<u64>,
        protect: impl Fn() -> i64,
    ) -> Result<Removed> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| err(&path, e))?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO event (ts, line) VALUES (?1, ?2)")
                .map_err(|e| err(&path, e))?;
            for (ts, line) in lines {
                stmt.execute(params![ts, line]).map_err(|e| err(&path, e))?;
            }
        }
        let mut removed = Removed::default();
        // `over_limit(rows_removed, bytes_removed)` says how many more rows to drop.
        while let Some(n) = over_limit(removed.rows, removed.bytes) {
            let r = delete_oldest(&tx, protect(), n).map_err(|e| err(&path, e))?;
            if r.rows == 0 {
                break;
            }
            removed.rows += r.rows;
            removed.bytes += r.bytes;
        }
        tx.commit().map_err(|e| err(&path, e))?;
        Ok(removed)
    }

    /// The oldest `limit` rows.
    pub fn oldest(&self, limit: usize) -> Result<Vec<Row>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, ts, line FROM event ORDER BY id LIMIT ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    line: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Deletes rows with ids in `first..=last` (a batch just delivered).
    pub fn delete_range(&self, first: i64, last: i64) -> Result<Removed> {
        self.removing(
            "DELETE FROM event WHERE id BETWEEN ?1 AND ?2 RETURNING length(line)",
            params![first, last],
        )
    }

    /// Deletes the rows `first..=last` except those in `keep`.
    pub fn delete_except(
        &mut self,
        first: i64,
        last: i64,
        keep: &std::collections::HashSet<i64>,
    ) -> Result<Removed> {
        if keep.is_empty() {
            return self.delete_range(first, last);
        }
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| err(&path, e))?;
        let mut removed = Removed::default();
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM event WHERE id = ?1 RETURNING length(line)")
                .map_err(|e| err(&path, e))?;
            for id in (first..=last).filter(|id| !keep.contains(id)) {
                let mut rows = stmt.query([id]).map_err(|e| err(&path, e))?;
                while let Some(r) = rows.next().map_err(|e| err(&path, e))? {
                    removed.rows += 1;
                    removed.bytes += to_u64(r.get::<_, i64>(0).map_err(|e| err(&path, e))?);
                }
            }
        }
        tx.commit().map_err(|e| err(&path, e))?;
        Ok(removed)
    }

    /// Deletes rows logged before `cutoff_ms` with ids above `protect`.
    pub fn delete_expired(&self, cutoff_ms: i64, protect: i64) -> Result<Removed> {
        self.removing(
            "DELETE FROM event WHERE ts < ?1 AND id > ?2 RETURNING length(line)",
            params![cutoff_ms, protect],
        )
    }

    fn removing(&self, sql: &str, p: impl rusqlite::Params) -> Result<Removed> {
        removing(&self.conn, sql, p).map_err(|e| self.err(e))
    }
}

fn delete_oldest(conn: &Connection, protect: i64, n: u64) -> rusqlite::Result<Removed> {
    removing(
        conn,
        "DELETE FROM event WHERE id IN \
         (SELECT id FROM event WHERE id > ?1 ORDER BY id LIMIT ?2) RETURNING length(line)",
        params![protect, i64::try_from(n).unwrap_or(i64::MAX)],
    )
}

fn removing(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<Removed> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(p)?;
    let mut removed = Removed::default();
    while let Some(r) = rows.next()? {
        removed.rows += 1;
        removed.bytes += to_u64(r.get::<_, i64>(0)?);
    }
    Ok(removed)
}

fn err(path: &Path, source: rusqlite::Error) -> Error {
    Error::Queue {
        path: path.to_owned(),
        source,
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
