//! A local stand-in for AWS Secrets Manager: moto's server mode, from the project's venv
//! (requirements-dev.txt), on 127.0.0.1. token-fn's key fetch is tested against it, never
//! against an AWS account.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SecretsStandIn {
    child: Child,
    port: u16,
}

impl Drop for SecretsStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SecretsStandIn {
    /// Starts `moto_server` and waits until it accepts connections.
    pub fn start() -> Self {
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        assert!(
            server.exists(),
            "{} is missing: run `make test` (it installs the venv)",
            server.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    /// `AWS_ENDPOINT_URL_SECRETSMANAGER` for it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stores a secret string; its ARN.
    pub async fn create_secret(&self, name: &str, value: &str) -> String {
        use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "test"))
            .endpoint_url(self.endpoint())
            .http_client(
                shared::config::https_client(shared::config::AWS_ROOT_CERTIFICATES)
                    .expect("the HTTP client"),
            )
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("create the secret in the stand-in")
            .arn
            .expect("an ARN")
    }
}
