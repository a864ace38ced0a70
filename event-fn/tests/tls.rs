//! The compiled-in trust store verifies certificates for real: a TLS server on 127.0.0.1 whose
//! certificate comes from an authority of its own is refused, and the same server is reached by
//! a client that trusts that authority, so the refusal is the trust store's doing.

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use shared::config::aws::dynamodb_client_over;
use shared::config::{https_client, AWS_ROOT_CERTIFICATES};
use shared::testkit::Vars;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl {args:?}");
}

/// `openssl s_server` on a free port with a certificate for 127.0.0.1 from a certificate
/// authority no one else trusts; killed when dropped. `certificate` is that authority's.
struct SelfSignedServer {
    child: Child,
    port: u16,
    certificate: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl SelfSignedServer {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dir = TempDir(dir);
        // A certificate authority of the test's own, and the server's certificate it signs.
        let file = |name: &str| dir.0.join(name);
        let (ca, ca_key) = (file("ca.pem"), file("ca.key"));
        let (cert, key, csr) = (file("cert.pem"), file("key.pem"), file("cert.csr"));
        let ext = file("ext.cnf");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=voice-hooks test CA",
            "-keyout",
            path(&ca_key),
            "-out",
            path(&ca),
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            path(&key),
            "-out",
            path(&csr),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            path(&csr),
            "-CA",
            path(&ca),
            "-CAkey",
            path(&ca_key),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            path(&ext),
            "-out",
            path(&cert),
        ]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-www", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let certificate = std::fs::read_to_string(&ca).unwrap();
        Self {
            child,
            port,
            certificate,
            _dir: dir,
        }
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One DynamoDB call to the server over a client trusting `roots`.
async fn list_tables(server: &SelfSignedServer, roots: &str) -> String {
    let env = Vars::new(&[
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]);
    let endpoint = format!("https://127.0.0.1:{}", server.port);
    let client = dynamodb_client_over(&env, Some(&endpoint), https_client(roots).unwrap()).unwrap();
    match client.list_tables().send().await {
        Ok(_) => panic!("openssl s_server is not DynamoDB"),
        Err(e) => {
            let kind = match e {
                SdkError::DispatchFailure(_) => "dispatch",
                _ => "answered",
            };
            format!("{kind}: {}", DisplayErrorContext(&e))
        }
    }
}

#[tokio::test]
async fn a_server_whose_certificate_no_aws_root_signed_is_refused() {
    let server = SelfSignedServer::start();
    let refused = list_tables(&server, AWS_ROOT_CERTIFICATES).await;
    assert!(refused.starts_with("dispatch:"), "{refused}");
    assert!(
        refused.contains("UnknownIssuer") || refused.contains("certificate"),
        "{refused}"
    );

    // Control: trusting the server's authority, the handshake succeeds and the (not DynamoDB)
    // server answers.
    let reached = list_tables(&server, &server.certificate).await;
    assert!(reached.starts_with("answered:"), "{reached}");
}
