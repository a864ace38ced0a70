"""Checks of the project's own scripts and build settings, run by `make test`.

- `make run`'s start-up message only prints: nothing in it is run (it once ran
  `make token USER=alice` through an unquoted heredoc's backticks, printing a token).
- Release builds are reproducible: `sam build` (through cargo-lambda's settings in Cargo.toml)
  and every cargo command of `make bench`, `make build` and `make deploy` use `--locked`.
- The local loop an app developer runs, through the project's own commands on a non-default
  PORT and DYNAMODB_PORT: `make run`; an app user's call answered; `make login USER=alice`;
  `POST /token` with that sign-in (its Vonage user made at a local stand-in for Vonage's Users
  API, the token checked with PyJWT); `GET /calls` with it; `make calls USER=alice` showing the
  call refused today and why.
- `make run` stops on Ctrl-C typed at its terminal without make's error line, exiting 0 or
  130, and leaves nothing running.
"""
import http.server
import json
import os
import pty
import threading
import urllib.error
import urllib.request
import uuid
import re
import select
import signal
import socket
import stat
import time
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def banner_runs_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp, "ran")
        for tool in ["make", "cargo", "curl"]:
            fake = Path(tmp, tool)
            fake.write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {marker}\necho TOKEN-PRINTED\n")
            fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
        env = dict(os.environ, PATH=f"{tmp}:{os.environ['PATH']}", VONAGE_NUMBER="447700900001",
                   TABLE_NAME="voice-hooks-calls", AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:8000")
        out = subprocess.run([ROOT / "scripts/banner.sh", "9123"], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        assert not marker.exists(), f"the banner ran: {marker.read_text()}"
        assert "TOKEN-PRINTED" not in out, out
        assert "`make token USER=alice`" in out, out
        assert "http://127.0.0.1:9123/voice/answer" in out, out
        assert "VONAGE_NUMBER=447700900001" in out, out
    run_sh = (ROOT / "scripts/run.sh").read_text()
    assert "scripts/banner.sh" in run_sh and "<<MSG" not in run_sh, "run.sh prints its own banner"


def builds_are_locked():
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    build = cargo["workspace"]["metadata"]["lambda"]["build"]
    assert build.get("locked") is True, "sam build (cargo-lambda) must compile with --locked"
    makefile = (ROOT / "Makefile").read_text()
    for target in ["bench", "build", "deploy"]:
        recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
        assert recipe, f"no {target} target"
        for line in recipe.group(1).splitlines():
            command = line.strip()
            if command.startswith("cargo ") and "--locked" not in command:
                raise AssertionError(f"make {target}: `{command}` without --locked")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_until(fd, wanted, seconds):
    """What the terminal shows until `wanted` appears (or it closes, or time runs out)."""
    out, deadline = b"", time.time() + seconds
    while time.time() < deadline and (wanted is None or wanted not in out):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


APP = "11111111-2222-3333-4444-555555555555"
FIRST_REQUEST = 600  # seconds: cargo lambda watch compiles a function on its first request


def users_stand_in(public_key):
    """Vonage's Users API as token-fn uses it: creates a user for a valid application token."""
    import jwt

    class Users(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                claims = jwt.decode(token, public_key, algorithms=["RS256"])
                ok = self.path == "/v1/users" and claims["application_id"] == APP
            except jwt.PyJWTError:
                ok = False
            reply = {"id": f"USR-{uuid.uuid4()}", "name": body.get("name")} if ok else {}
            self.send_response(201 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(reply).encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Users)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(method, url, body=None, token=None):
    """(status, headers, JSON body) of one request to the local stack."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=FIRST_REQUEST) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")


def make(target, env, *args):
    out = subprocess.run(["make", "--no-print-directory", "-s", target, *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=FIRST_REQUEST)
    assert out.returncode == 0, f"make {target}: {out.stderr}"
    return out.stdout


def the_local_loop(base, env, public_key):
    answer = f"{base}/voice/answer"
    status, _, ncco = call("POST", answer, {"to": "447700900000", "from_user": "alice",
                                            "uuid": "app-leg-1", "conversation_uuid": "CON-loop-1"})
    assert status == 200 and ncco[1]["action"] == "connect", (status, ncco)
    sign_in = make("login", env, "USER=alice").strip()
    import jwt
    status, _, issued = call("POST", f"{base}/token", token=sign_in)
    assert status == 200, (status, issued)
    claims = jwt.decode(issued["token"], public_key, algorithms=["RS256"])
    assert (claims["sub"], claims["application_id"]) == ("alice", APP), claims
    status, headers, page = call("GET", f"{base}/calls", token=sign_in)
    assert status == 200 and headers["Cache-Control"] == "no-store", (status, page)
    assert [(c["conversation_uuid"], c["to"]) for c in page["calls"]] == [("CON-loop-1", "447700900000")], page
    status, _, refused = call("GET", f"{base}/calls", token=sign_in + "x")
    assert status == 401, (status, refused)
    status, _, ncco = call("POST", answer, {"to": "449098790000", "from_user": "alice",
                                            "uuid": "app-leg-2", "conversation_uuid": "CON-loop-2"})
    assert status == 200 and all(a["action"] != "connect" for a in ncco), ncco
    report = make("calls", env, "USER=alice")
    assert "refused (blocked)" in report and "refused today: 1 (1 blocked" in report, report


def wait_for_port(port, seconds):
    """The banner shows as cargo lambda watch starts; it takes requests a moment later."""
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def make_run_serves_the_local_loop_and_stops_quietly_on_ctrl_c():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_key = key.public_key()
    vonage = users_stand_in(public_key)
    port, db_port = free_port(), free_port()
    env = dict(os.environ, PORT=str(port), DYNAMODB_PORT=str(db_port), VONAGE_APPLICATION_ID=APP,
               VONAGE_API_URL=f"http://127.0.0.1:{vonage.server_port}")
    for name in ["VONAGE_PRIVATE_KEY", "VONAGE_PRIVATE_KEY_SECRET", "POWERTOOLS_METRICS_NAMESPACE",
                 "AWS_ENDPOINT_URL_DYNAMODB", "TABLE_NAME", "MAKEFLAGS", "MAKELEVEL"]:
        env.pop(name, None)
    with tempfile.TemporaryDirectory() as data:
        env["DYNAMODB_DATA"] = data
        env["LOCAL_SIGN_IN_KEY_FILE"] = str(Path(data, "sign-in.key"))
        env["VONAGE_PRIVATE_KEY_FILE"] = str(Path(data, "private.key"))
        Path(env["VONAGE_PRIVATE_KEY_FILE"]).write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        pid, fd = pty.fork()
        if pid == 0:  # the terminal's foreground job, as when typed at a prompt
            os.chdir(ROOT)
            os.execvpe("make", ["make", "run"], env)
        shown = read_until(fd, b"Ctrl-C stops everything.", 240)
        assert b"Ctrl-C stops everything." in shown, shown.decode(errors="replace")
        # Keep reading what the terminal shows, so the functions' logs never fill it up.
        rest = []
        reader = threading.Thread(target=lambda: rest.append(read_until(fd, None, 3 * FIRST_REQUEST)))
        reader.start()
        try:
            wait_for_port(port, 60)
            the_local_loop(f"http://127.0.0.1:{port}", env, public_key)
        finally:
            os.write(fd, b"\x03")  # Ctrl-C, typed
            reader.join(90)
            _, status = os.waitpid(pid, 0)
            os.close(fd)
            vonage.shutdown()
    text = (shown + b"".join(rest)).decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 130, -signal.SIGINT), f"make run ended with {code}:\n{text}"
    assert "make: ***" not in text and "Error 130" not in text, text
    time.sleep(1)
    for pattern in [f"invoke-port {port}", f"-port {db_port}"]:
        left = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
        assert not left.strip(), f"still running after Ctrl-C: {pattern}"


banner_runs_nothing()
builds_are_locked()
make_run_serves_the_local_loop_and_stops_quietly_on_ctrl_c()
print("test_scripts: make run's banner runs nothing; the local loop (answer, make login, POST /token, "
      "GET /calls, make calls) works on other ports; Ctrl-C ends it quietly; release builds and sam "
      "build are --locked")
