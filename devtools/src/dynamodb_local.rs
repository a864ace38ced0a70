//! A DynamoDB Local process of a test's own, for tests that stop, pause or restart it, started
//! by the project's one launcher, `scripts/dynamodb-local.sh --exec` (which becomes the Java
//! process, so killing or pausing this child is killing or pausing DynamoDB Local).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct DynamoDbLocal {
    child: Option<Child>,
    port: u16,
    db_path: Option<PathBuf>,
    /// Scratch working directory: DynamoDB Local writes a metadata file into its cwd.
    work: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl DynamoDbLocal {
    /// Starts an instance on a free port, in memory or on `db_path`, and waits until it answers.
    pub fn start(db_path: Option<&Path>) -> Self {
        let work =
            std::env::temp_dir().join(format!("ddb-local-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&work).expect("scratch dir");
        let mut local = Self {
            child: None,
            port: free_port(),
            db_path: db_path.map(Path::to_path_buf),
            work,
        };
        local.spawn();
        local
    }

    fn spawn(&mut self) {
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/dynamodb-local.sh");
        let mut cmd = Command::new(launcher);
        cmd.args(["--exec", "--port", &self.port.to_string()])
            .current_dir(&self.work)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(path) = &self.db_path {
            cmd.arg("--db-path").arg(path);
        }
        self.child = Some(cmd.spawn().expect("start scripts/dynamodb-local.sh --exec"));
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.answers() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "DynamoDB Local on port {} did not start within 60 s",
            self.port
        );
    }

    /// Whether it answers a `ListTables` call right now. On a thread of its own: callers may
    /// be inside an async runtime, and the blocking client starts one.
    fn answers(&self) -> bool {
        let endpoint = self.endpoint();
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let (status, _) = crate::http::request_with_headers(
                        "POST",
                        &endpoint,
                        &[
                            ("content-type", "application/x-amz-json-1.0"),
                            ("x-amz-target", "DynamoDB_20120810.ListTables"),
                            ("authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"),
                        ],
                        b"{}",
                        Duration::from_secs(2),
                    )?;
                    Ok::<_, std::io::Error>(status == 200)
                })
                .join()
                .ok()
                .and_then(Result::ok)
                .unwrap_or(false)
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the process (as a crash or an outage would); `restart` brings it back on the
    /// same port, with the same data when it has a `db_path`.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Freezes the process: connections open but nothing answers (a hung service).
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("running");
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} failed");
    }
}

impl Drop for DynamoDbLocal {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A paused JVM must be resumed to die promptly.
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(child.id().to_string())
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.work);
    }
}
