use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Instant;

use super::*;

const LONG: Duration = Duration::from_secs(10);
/// Long enough for a new thread to take its job even on a loaded machine, so a call under this
/// limit is running, not queued, when the limit passes.
const LIMIT: Duration = Duration::from_secs(1);

/// A job that reports when it starts and returns when `release` is sent to (or dropped).
fn stuck() -> (
    mpsc::Sender<()>,
    oneshot::Receiver<()>,
    impl FnOnce() + Send + 'static,
) {
    let (release, wait) = mpsc::channel::<()>();
    let (started_tx, started) = oneshot::channel();
    let work = move || {
        let _ = started_tx.send(());
        let _ = wait.recv();
    };
    (release, started, work)
}

async fn until_counts(pool: &CallPool, expected: (usize, usize)) {
    let deadline = Instant::now() + LONG;
    while pool.counts() != expected {
        assert!(
            Instant::now() < deadline,
            "{:?}, not {expected:?}",
            pool.counts()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_many_calls_on_at_most_its_size_in_threads() {
    let pool = Arc::new(CallPool::new(2));
    let calls = (0..200u64).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move { pool.run(LONG, move || i * 2).await })
    });
    let mut sum = 0;
    for call in calls {
        sum += call.await.unwrap().unwrap();
    }
    assert_eq!(sum, (0..200u64).map(|i| i * 2).sum::<u64>());
    let (threads, abandoned) = pool.counts();
    assert!((1..=2).contains(&threads), "{threads} threads");
    assert_eq!(abandoned, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_call_times_out_and_its_thread_is_replaced() {
    // One thread: without a replacement, nothing could run while the first call is stuck.
    let pool = CallPool::new(1);
    let (release, started, work) = stuck();
    let began = Instant::now();
    let first = pool.run(LIMIT, work).await;
    assert!(matches!(first, Err(PoolError::TimedOut(_))), "{first:?}");
    assert!(began.elapsed() < LONG);
    started.await.unwrap();
    assert_eq!(pool.counts(), (1, 1));

    assert_eq!(
        pool.run(LONG, || "still serving").await.unwrap(),
        "still serving"
    );

    // When the stuck call returns, its thread ends: the pool is back to its size.
    release.send(()).unwrap();
    until_counts(&pool, (1, 0)).await;
    assert_eq!(pool.run(LONG, || 7).await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_gives_its_thread_up_as_a_timed_out_one_does() {
    let pool = Arc::new(CallPool::new(1));
    let (release, started, work) = stuck();
    let caller = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.run(LONG, work).await })
    };
    started.await.unwrap();
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(pool.counts(), (1, 1));
    assert_eq!(pool.run(LONG, || 2).await.unwrap(), 2);
    drop(release);
    until_counts(&pool, (1, 0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_given_up_while_queued_never_runs_and_is_not_a_timeout() {
    let pool = Arc::new(CallPool::new(1));
    let (release, started, work) = stuck();
    let blocker = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.run(LONG, work).await })
    };
    started.await.unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = ran.clone();
        pool.run(Duration::from_millis(50), move || {
            ran.store(true, Ordering::SeqCst)
        })
        .await
    };
    assert!(
        matches!(queued, Err(PoolError::Busy { threads: 1, .. })),
        "{queued:?}"
    );
    // Given up while queued: no thread was stuck, so none was replaced.
    assert_eq!(pool.counts(), (1, 0));

    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();
    assert_eq!(pool.run(LONG, || 1).await.unwrap(), 1);
    assert!(!ran.load(Ordering::SeqCst), "an abandoned queued call ran");
}

#[tokio::test]
async fn a_panic_is_an_error_and_the_thread_goes_on() {
    let pool = CallPool::new(1);
    let err = pool
        .run(LONG, || -> u8 { panic!("boom") })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PoolError::Panicked(text) if text == "boom"),
        "{err:?}"
    );
    assert_eq!(pool.run(LONG, || 3).await.unwrap(), 3);
    assert_eq!(pool.counts(), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_stuck_threads_are_not_replaced_until_they_return() {
    let pool = CallPool::with_cap(1, 2);
    let mut releases = Vec::new();
    for _ in 0..3 {
        let (release, started, work) = stuck();
        releases.push(release);
        let result = pool.run(LIMIT, work).await;
        assert!(matches!(result, Err(PoolError::TimedOut(_))), "{result:?}");
        started.await.unwrap();
    }
    // The third stuck thread had no replacement: no thread can take work, and a call says so
    // at once.
    assert_eq!(pool.counts(), (0, 3));
    let refused = pool.run(LONG, || ()).await;
    assert!(
        matches!(&refused, Err(PoolError::Unavailable(reason)) if reason.contains("stuck")),
        "{refused:?}"
    );
    drop(releases);
    until_counts(&pool, (1, 0)).await;
    assert_eq!(pool.run(LONG, || 5).await.unwrap(), 5);
}

#[tokio::test]
async fn a_dropped_pool_ends_its_threads() {
    let pool = CallPool::new(2);
    assert_eq!(pool.run(LONG, || 1).await.unwrap(), 1);
    let shared = pool.shared.clone();
    drop(pool);
    let deadline = Instant::now() + LONG;
    while shared.lock().threads != 0 {
        assert!(
            Instant::now() < deadline,
            "plugin threads outlived their pool"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
