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
//! not take the pool with it. When a call runs past its limit, its caller gets the error at
//! once and the pool starts a replacement thread, so the pool keeps its full number of threads
//! able to take work; the stuck thread ends, or rejoins if the pool is short, when its call
//! returns. At most [`MAX_ABANDONED`] threads are left to stuck calls at once: past that no
//! replacement is started, the pool shrinks, and calls fail by timing out, which the plugin's
//! fault counter and the log show.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

/// Most threads left to calls that ran past their limit. Each holds a stack and whatever the
/// plugin holds; past this, stuck threads are not replaced, and the log says to fix the plugin
/// and restart.
pub const MAX_ABANDONED: usize = 64;

/// A job's life: taken from the queue, run, finished; or given up by its caller.
const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const ABANDONED: u8 = 3;

/// Why a call did not produce its value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// The call did not finish within its limit; its thread, if it had started, was replaced.
    #[error("did not finish within {0:?}")]
    TimedOut(Duration),
    /// The call panicked. Calls into plugins catch their panics, so this is a host bug.
    #[error("panicked: {0}")]
    Panicked(String),
    /// No thread could run the call: the pool is closed or the OS refused a thread.
    #[error("no plugin thread could run it: {0}")]
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
            }),
        }
    }

    /// A pool with one thread per core: plugin calls are CPU work, so more threads would only
    /// queue in the kernel instead of here.
    pub fn per_core() -> CallPool {
        CallPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a pool thread and waits at most `limit` for it, queueing included.
    pub async fn run<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (tx, rx) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        self.submit(Job {
            state: state.clone(),
            work: Box::new(move || {
                // The caller may have given up; then nobody reads the value.
                let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
            }),
        })?;
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(panic))) => Err(PoolError::Panicked(panic_text(panic.as_ref()))),
            Ok(Err(_)) => Err(PoolError::Unavailable("the pool stopped".into())),
            Err(_) => {
                self.abandon(&state);
                Err(PoolError::TimedOut(limit))
            }
        }
    }

    fn submit(&self, job: Job) -> Result<(), PoolError> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(PoolError::Unavailable("the pool stopped".into()));
        }
        state.jobs.push_back(job);
        if state.idle > 0 {
            self.shared.work_ready.notify_one();
        } else if let Err(err) = self.add_thread(&mut state) {
            if state.threads == 0 {
                state.jobs.pop_back();
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
        if state.threads + state.abandoned >= size + MAX_ABANDONED {
            return Err(format!(
                "{} plugin calls are stuck past their time limit, each holding a thread; fix or remove the plugin that times out, then restart ternd",
                state.abandoned
            ));
        }
        spawn_worker(&self.shared)
            .map_err(|err| format!("the system refused a new plugin thread: {err}"))?;
        state.threads += 1;
        Ok(())
    }

    /// The caller gave up on a job. A queued job is skipped when its turn comes; a running one
    /// keeps its thread, which is replaced.
    fn abandon(&self, job: &AtomicU8) {
        if job.swap(ABANDONED, Ordering::AcqRel) != RUNNING {
            // Queued: skipped later. Done: its thread is already back at work.
            return;
        }
        let mut state = self.shared.lock();
        state.threads -= 1;
        state.abandoned += 1;
        if let Err(err) = self.add_thread(&mut state) {
            tracing::error!("cannot replace a plugin thread stuck in a call: {err}");
        }
    }

    /// (threads able to take work, threads stuck in abandoned calls), for tests.
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.threads, state.abandoned)
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
