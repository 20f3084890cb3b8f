use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Instant;

use super::*;

const LONG: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_many_calls_concurrently_on_few_threads() {
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
    let (release, stuck) = mpsc::channel::<()>();
    let began = Instant::now();
    let first = pool
        .run(Duration::from_millis(100), move || stuck.recv())
        .await;
    assert!(matches!(first, Err(PoolError::TimedOut(_))), "{first:?}");
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(pool.counts(), (1, 1));

    assert_eq!(
        pool.run(LONG, || "still serving").await.unwrap(),
        "still serving"
    );

    // When the stuck call returns, its thread ends: the pool is back to its size.
    release.send(()).unwrap();
    let deadline = Instant::now() + LONG;
    while pool.counts() != (1, 0) {
        assert!(Instant::now() < deadline, "{:?}", pool.counts());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(pool.run(LONG, || 7).await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_given_up_while_queued_never_runs() {
    let pool = Arc::new(CallPool::new(1));
    let (release, blocked) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let blocker = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.run(LONG, move || {
                started_tx.send(()).unwrap();
                blocked.recv().unwrap()
            })
            .await
        })
    };
    started.recv_timeout(LONG).unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = ran.clone();
        pool.run(Duration::from_millis(50), move || {
            ran.store(true, Ordering::SeqCst)
        })
        .await
    };
    assert!(matches!(queued, Err(PoolError::TimedOut(_))), "{queued:?}");
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

#[tokio::test]
async fn past_the_cap_stuck_threads_are_not_replaced() {
    let pool = CallPool::new(1);
    let mut releases = Vec::new();
    for _ in 0..=MAX_ABANDONED {
        let (release, stuck) = mpsc::channel::<()>();
        releases.push(release);
        let result = pool
            .run(Duration::from_millis(20), move || stuck.recv())
            .await;
        assert!(matches!(result, Err(PoolError::TimedOut(_))), "{result:?}");
    }
    // The last stuck thread had no replacement: no thread can take work, and a call says so.
    assert_eq!(pool.counts(), (0, MAX_ABANDONED + 1));
    let refused = pool.run(LONG, || ()).await;
    assert!(
        matches!(&refused, Err(PoolError::Unavailable(reason)) if reason.contains("stuck")),
        "{refused:?}"
    );
    drop(releases);
    let deadline = Instant::now() + LONG;
    while pool.counts() != (1, 0) {
        assert!(Instant::now() < deadline, "{:?}", pool.counts());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(pool.run(LONG, || 5).await.unwrap(), 5);
}
