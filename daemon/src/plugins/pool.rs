//! The plugin threads: a small pool of dedicated threads that run every plugin call, off the
//! async workers and under a time limit.
//!
//! Why not tokio's blocking pool: it keeps a thread for every call in flight, so under load each
//! call landed on one of dozens of idle threads, which had to be woken (a futex wake, and on a
//! virtual machine an inter-processor interrupt) and ran with cold caches. On the benchmark
//! machine that hand-off cost more CPU than the call itself (`docs/benchmarks.md`). This pool
//! has one thread per core: under load its threads stay busy and warm, a thread that finishes a
//! call takes the next one queued without sleeping, and a caller wakes a thread only when one
//! is idle.
//!
//! A stuck call (a plugin bug, or an input that sends a plugin into a pathological loop) must
//! not take the pool with it. When a running call's caller gives up on it (its time limit
//! passed, or the request was cancelled), the pool starts a replacement thread, so it keeps its
//! full number of threads able to take work; the stuck thread ends, or rejoins if the pool is
//! short, when its call returns. The pool never holds more than its size plus
//! [`MAX_ABANDONED`] threads: once stuck calls hold all of them, calls fail at once with
//! [`PoolError::Unavailable`] (and an error in the log) until some stuck call returns.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

/// Most threads left to calls their callers gave up on. Each holds a stack and whatever the
/// plugin holds; past this, stuck threads are not replaced, and the log says to fix the plugin.
pub const MAX_ABANDONED: usize = 64;

/// A job's life: taken from the queue, run, finished; or given up by its caller.
const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const ABANDONED: u8 = 3;

/// Why a call did not produce its value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// The call started but did not finish within its limit; its thread was replaced.
    #[error("did not answer within {0:?}")]
    TimedOut(Duration),
    /// The call never started: every thread was busy for the whole limit. Not the fault of
    /// the call's plugin.
    #[error("waited {waited:?} for a free plugin thread; all {threads} were busy")]
    Busy {
        /// The limit it waited.
        waited: Duration,
        /// The pool's size.
        threads: usize,
    },
    /// The call panicked.
    #[error("panicked: {0}")]
    Panicked(String),
    /// No thread could run the call: the pool is closed, the OS refused a thread, or stuck
    /// calls hold every thread the pool may have.
    #[error("{0}")]
    Unavailable(String),
}

struct Job {
    state: Arc<AtomicU8>,
    work: Box<dyn FnOnce() + Send>,
}

struct State {
    jobs: VecDeque<Job>,
    /// Threads able to take work (not counting threads stuck in abandoned calls).
    threads: usize,
    /// Of those, the ones waiting for work.
    idle: usize,
    /// Threads still inside a call their caller gave up on.
    abandoned: usize,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    work_ready: Condvar,
    size: usize,
    /// [`MAX_ABANDONED`], but for tests.
    max_abandoned: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock and catch their panics, so it is never poisoned by them.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The pool. Threads start on demand, up to `size`, and stop when the pool is dropped.
pub struct CallPool {
    shared: Arc<Shared>,
}

impl CallPool {
    /// A pool of `size` threads (at least one).
    pub fn new(size: usize) -> CallPool {
        CallPool::with_cap(size, MAX_ABANDONED)
    }

    fn with_cap(size: usize, max_abandoned: usize) -> CallPool {
        CallPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    jobs: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    abandoned: 0,
                    closed: false,
                }),
                work_ready: Condvar::new(),
                size: size.max(1),
                max_abandoned,
            }),
        }
    }

    /// A pool with one thread per core: plugin calls are CPU work, so more threads would only
    /// queue in the kernel instead of here.
    pub fn per_core() -> CallPool {
        CallPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a pool thread and waits at most `limit` for it, queueing included. If the
    /// returned future is dropped before the answer, the call is given up as on a timeout.
    pub async fn run<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (tx, mut rx) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        self.submit(Job {
            state: state.clone(),
            work: Box::new(move || {
                // The caller may have given up; then nobody reads the value.
                let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
            }),
        })?;
        let mut pending = Pending {
            pool: self,
            state,
            settled: false,
        };
        let answer = match tokio::time::timeout(limit, &mut rx).await {
            Ok(answer) => answer.map_err(drop),
            Err(_) => {
                pending.settled = true;
                match self.abandon(&pending.state) {
                    QUEUED => {
                        return Err(PoolError::Busy {
                            waited: limit,
                            threads: self.shared.size,
                        });
                    }
                    // Finished as the limit passed: its answer is already sent.
                    DONE => rx.try_recv().map_err(drop),
                    _ => return Err(PoolError::TimedOut(limit)),
                }
            }
        };
        pending.settled = true;
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(PoolError::Panicked(panic_text(panic.as_ref()))),
            Err(_) => Err(PoolError::Unavailable("ternd is shutting down".into())),
        }
    }

    fn submit(&self, job: Job) -> Result<(), PoolError> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(PoolError::Unavailable("ternd is shutting down".into()));
        }
        state.jobs.push_back(job);
        // An idle thread for every queued job: wake one. Otherwise start one, if allowed.
        if state.idle >= state.jobs.len() {
            self.shared.work_ready.notify_one();
        } else if let Err(err) = self.add_thread(&mut state) {
            if state.threads == 0 {
                state.jobs.pop_back();
                drop(state);
                tracing::error!("a plugin call could not run: {err}");
                return Err(PoolError::Unavailable(err));
            }
        }
        Ok(())
    }

    /// Starts a thread if the pool is short of `size` threads able to work and the cap on all
    /// threads, stuck ones included, allows it.
    fn add_thread(&self, state: &mut State) -> Result<(), String> {
        let size = self.shared.size;
        if state.threads >= size {
            return Ok(());
        }
        if state.threads + state.abandoned >= size + self.shared.max_abandoned {
            return Err(format!(
                "{} plugin calls are stuck past their time limit, each holding a thread; calls go on as they return; fix or remove the plugin whose calls time out (each timeout is logged with its name)",
                state.abandoned
            ));
        }
        spawn_worker(&self.shared)
            .map_err(|err| format!("the system refused a new plugin thread: {err}"))?;
        state.threads += 1;
        Ok(())
    }

    /// The caller gave up on a job; returns the state the job was in. A queued job is skipped
    /// when its turn comes; a running one keeps its thread, which is replaced.
    fn abandon(&self, job: &AtomicU8) -> u8 {
        // Under the lock, so a worker that sees the job abandoned counts it only after this
        // has.
        let mut state = self.shared.lock();
        let previous = job.swap(ABANDONED, Ordering::AcqRel);
        if previous == RUNNING {
            state.threads -= 1;
            state.abandoned += 1;
            if let Err(err) = self.add_thread(&mut state) {
                drop(state);
                tracing::error!("cannot replace a plugin thread stuck in a call: {err}");
            }
        }
        previous
    }

    /// (threads able to take work, threads stuck in abandoned calls), for tests.
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.threads, state.abandoned)
    }
}

/// A submitted call whose answer has not been taken: dropping it gives the call up, so a
/// cancelled request frees (or replaces) its thread as a timed-out one does.
struct Pending<'a> {
    pool: &'a CallPool,
    state: Arc<AtomicU8>,
    settled: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.pool.abandon(&self.state);
        }
    }
}

impl std::fmt::Debug for CallPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("CallPool")
            .field("size", &self.shared.size)
            .field("threads", &state.threads)
            .field("abandoned", &state.abandoned)
            .field("queued", &state.jobs.len())
            .finish()
    }
}

impl Drop for CallPool {
    /// Threads finish the queued jobs, then end.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work_ready.notify_all();
    }
}

fn spawn_worker(shared: &Arc<Shared>) -> std::io::Result<()> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name("ternd-plugin".into())
        .spawn(move || worker(&shared))
        .map(drop)
}

fn worker(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            let started = job
                .state
                .compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if started {
                (job.work)();
            }
            let abandoned = started
                && job
                    .state
                    .compare_exchange(RUNNING, DONE, Ordering::AcqRel, Ordering::Acquire)
                    .is_err();
            state = shared.lock();
            if abandoned {
                // A replacement took this thread's place (unless the cap stopped it); rejoin
                // only if the pool is short.
                state.abandoned -= 1;
                if state.threads >= shared.size || state.closed {
                    return;
                }
                state.threads += 1;
            }
            continue;
        }
        if state.closed {
            state.threads -= 1;
            return;
        }
        state.idle += 1;
        state = shared
            .work_ready
            .wait(state)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.idle -= 1;
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests;
