//! Running the real `ternd serve` for a test: free ports, a temporary data directory, the
//! freshly built plugins, and its log captured for assertions.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::Api;

/// How to start a daemon.
#[derive(Debug, Clone)]
pub struct Options {
    /// Data directory; shared between restarts of one test.
    pub data_dir: PathBuf,
    /// Plugin directory.
    pub plugin_dir: PathBuf,
    /// Extra arguments after `serve`.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

/// A running `ternd serve`. Killed when dropped.
pub struct Daemon {
    child: Child,
    /// Admin API base URL.
    pub admin_url: String,
    /// Callback listener base URL.
    pub callback_url: String,
    /// The admin token it uses.
    pub token: String,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    data_dir: PathBuf,
}

impl Daemon {
    /// Starts `ternd serve` on free loopback ports and waits until both listeners are up.
    pub fn start(options: &Options) -> Daemon {
        Daemon::start_binary(&crate::ternd(), options)
    }

    /// Like [`Daemon::start`], with a given `ternd` binary (a release build, for benchmarks)
    /// instead of the freshly built debug one.
    pub fn start_binary(ternd: &Path, options: &Options) -> Daemon {
        let mut cmd = Command::new(ternd);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&options.data_dir)
            .arg("--plugin-dir")
            .arg(&options.plugin_dir)
            .args([
                "--admin-listen",
                "127.0.0.1:0",
                "--callback-listen",
                "127.0.0.1:0",
            ])
            .args(&options.args)
            .env_remove("TERN_ADMIN_TOKEN")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("ternd starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let (admin_url, callback_url) = loop {
            let text = log.lock().unwrap().clone();
            let admin = find_url(&text, "admin API listening on ");
            let callback = find_url(&text, "callback listener on ");
            if let (Some(a), Some(c)) = (admin, callback) {
                break (a, c);
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("ternd exited with {status} before it was ready:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "ternd not ready after 60 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let token = options
            .env
            .iter()
            .find(|(k, _)| k == "TERN_ADMIN_TOKEN")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                std::fs::read_to_string(options.data_dir.join("admin.token"))
                    .expect("admin.token written")
                    .trim()
                    .to_owned()
            });
        Daemon {
            child,
            admin_url,
            callback_url,
            token,
            log,
            reader: Some(reader),
            data_dir: options.data_dir.clone(),
        }
    }

    /// A client for the admin API with the right token.
    pub fn admin(&self) -> Api {
        Api::new(&self.admin_url, Some(&self.token))
    }

    /// A client for the callback listener.
    pub fn callbacks(&self) -> Api {
        Api::new(&self.callback_url, None)
    }

    /// Everything it has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A handle on the growing log, for code that must watch it from elsewhere.
    pub fn log_handle(&self) -> Arc<Mutex<String>> {
        self.log.clone()
    }

    /// Waits until the log reader has seen the end of stderr (the process has exited).
    fn drain_log(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.log()
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (up to 60 s) for it to exit.
    pub fn stop(self) -> (ExitStatus, String) {
        signal(self.child.id(), "TERM");
        self.wait()
    }

    /// Waits (up to 60 s) for it to exit by itself, after a signal sent with [`signal`].
    pub fn wait(mut self) -> (ExitStatus, String) {
        let status = wait_timeout(&mut self.child, Duration::from_secs(60)).expect("ternd exits");
        (status, self.drain_log())
    }

    /// Whether it has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.drain_log()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a signal by name with `kill(1)`.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {pid} failed");
}

fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find_url(log: &str, marker: &str) -> Option<String> {
    let start = log.find(marker)? + marker.len();
    let url: String = log[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ',')
        .collect();
    Some(url)
}
