//! SQLite's writer: one thread, one connection, and group commit.
//!
//! SQLite lets one connection write at a time, and each commit writes every page it touched
//! to the write-ahead log. Writes therefore go to this thread, which takes every write queued
//! at that moment and runs them in one transaction, each inside a savepoint of its own: a
//! write that fails rolls back to its savepoint and takes nothing else with it, and every
//! caller is answered only once the batch has committed. Pages that several writes touch
//! (the ends of the indexes, the day's ticket counter) are then written once per batch
//! instead of once per write, and the caller threads hand over work instead of queuing on a
//! lock.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryResult, RunQueryDsl};

use super::connection::{ConnectionManager, DbConnection};

/// Most writes committed together.
const MAX_BATCH: usize = 128;

/// A write waiting for the writer thread.
trait Job: Send {
    /// Runs the write inside the batch's transaction, in a savepoint of its own. An error
    /// means the savepoint could not be rolled back: the batch must not commit.
    fn run(&mut self, conn: &mut DbConnection) -> QueryResult<()>;
    /// Answers the caller: with the write's own result when the batch committed (`None`), or
    /// with the reason the batch did not.
    fn finish(self: Box<Self>, batch_failure: Option<&str>);
}

/// Hands the outcome to whoever waits for it: a blocked thread or an awaiting task.
type Reply<T, E> = Box<dyn FnOnce(Result<T, E>) + Send>;

struct Pending<F, T, E> {
    write: Option<F>,
    result: Option<Result<T, E>>,
    reply: Reply<T, E>,
}

/// How a failure of the writer itself reaches callers: as a database error (answered 500).
pub(super) fn writer_error(message: &str) -> DieselError {
    DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_string()))
}

impl<F, T, E> Job for Pending<F, T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send,
    T: Send,
    E: From<DieselError> + Send,
{
    fn run(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        let Some(write) = self.write.take() else {
            return Ok(());
        };
        let DbConnection::Sqlite(c) = conn else {
            self.result = Some(conn.transaction(write));
            return Ok(());
        };
        if let Err(e) = BEGIN.execute(c) {
            self.result = Some(Err(E::from(e)));
            return Ok(());
        }
        let result = write(conn);
        let DbConnection::Sqlite(c) = conn else {
            return Err(writer_error("the writer's connection changed backend"));
        };
        // Were either to fail, the failed write's changes could be committed with the
        // batch: the batch is rolled back instead.
        if result.is_err() {
            ROLL_BACK.execute(c)?;
        }
        RELEASE.execute(c)?;
        self.result = Some(result);
        Ok(())
    }

    fn finish(self: Box<Self>, batch_failure: Option<&str>) {
        let result = match (self.result, batch_failure) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), None) => Ok(value),
            (Some(Ok(_)), Some(why)) | (None, Some(why)) => Err(E::from(writer_error(why))),
            (None, None) => Err(E::from(writer_error("the write was not run"))),
        };
        (self.reply)(result);
    }
}

/// The handle through which writes reach the writer thread.
#[derive(Clone)]
pub(super) struct SqliteWriter {
    /// Unbounded, so that handing a write over never blocks (an async caller must not): the
    /// queue holds at most one write per request in flight, which the server already bounds.
    queue: Sender<Box<dyn Job>>,
}

impl SqliteWriter {
    /// Starts the writer thread; it stops when the last handle is dropped.
    pub(super) fn start(manager: ConnectionManager) -> std::io::Result<SqliteWriter> {
        let (queue, jobs) = channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(&manager, &jobs))?;
        Ok(SqliteWriter { queue })
    }

    fn submit<T, E, F>(&self, write: F, reply: Reply<T, E>) -> Result<(), E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
    {
        let job = Box::new(Pending {
            write: Some(write),
            result: None,
            reply,
        });
        self.queue
            .send(job)
            .map_err(|_| E::from(writer_error("the SQLite writer has stopped")))
    }

    /// Runs `write` in a transaction on the writer thread and blocks until it is committed.
    pub(super) fn write<T, E, F>(&self, write: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
    {
        let (reply, answer) = sync_channel(1);
        // The caller may have gone; then there is no one to tell.
        self.submit(write, Box::new(move |result| drop(reply.send(result))))?;
        answer
            .recv()
            .map_err(|_| E::from(writer_error("the SQLite writer stopped before answering")))?
    }

    /// Like [`write`](Self::write), but awaits the commit instead of blocking a thread.
    pub(super) async fn write_async<T, E, F>(&self, write: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(write, Box::new(move |result| drop(reply.send(result))))?;
        answer
            .await
            .map_err(|_| E::from(writer_error("the SQLite writer stopped before answering")))?
    }
}

/// `SAVEPOINT`, `ROLLBACK TO` and `RELEASE` of each write's savepoint (steps 0, 1, 2), each
/// a query diesel keeps prepared by its type: diesel's nested transactions run theirs as
/// text, which SQLite parses for every write. Named apart from diesel's, so that a write may
/// still nest transactions of its own.
#[derive(Debug, Clone, Copy)]
struct Savepoint<const STEP: u8>;

const BEGIN: Savepoint<0> = Savepoint;
const ROLL_BACK: Savepoint<1> = Savepoint;
const RELEASE: Savepoint<2> = Savepoint;

impl<const STEP: u8> QueryFragment<Sqlite> for Savepoint<STEP> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(match STEP {
            0 => "SAVEPOINT qiyeshao_write",
            1 => "ROLLBACK TO qiyeshao_write",
            _ => "RELEASE qiyeshao_write",
        });
        Ok(())
    }
}

impl<const STEP: u8> QueryId for Savepoint<STEP> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const STEP: u8> RunQueryDsl<SqliteConnection> for Savepoint<STEP> {}

fn writer_loop(manager: &ConnectionManager, jobs: &Receiver<Box<dyn Job>>) {
    let mut conn: Option<DbConnection> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match manager.establish() {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    let why = format!("cannot open the SQLite database: {e}");
                    tracing::error!(error = %why, "SQLite writer");
                    batch.into_iter().for_each(|job| job.finish(Some(&why)));
                    continue;
                }
            },
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            c.transaction::<_, DieselError, _>(|c| {
                for job in batch.iter_mut() {
                    job.run(c)?;
                }
                Ok(())
            })
        }));
        match outcome {
            Ok(Ok(())) => batch.into_iter().for_each(|job| job.finish(None)),
            Ok(Err(e)) => {
                let why = format!("the transaction could not commit: {e}");
                tracing::error!(error = %why, writes = batch.len(), "SQLite writer");
                batch.into_iter().for_each(|job| job.finish(Some(&why)));
            }
            Err(_) => {
                // A write panicked: its transaction state is unknown, so the connection goes.
                conn = None;
                let why = "a write failed unexpectedly";
                tracing::error!(writes = batch.len(), "{why}; the batch was rolled back");
                batch.into_iter().for_each(|job| job.finish(Some(why)));
            }
        }
    }
}
