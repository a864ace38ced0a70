"""Checks of the project's own scripts and build settings, run by `make test`.

- `make run`'s start-up message only prints: nothing in it is run (it once ran
  `make token USER=alice` through an unquoted heredoc's backticks, printing a token).
- Release builds are reproducible: `sam build` (through cargo-lambda's settings in Cargo.toml)
  and every cargo command of `make bench`, `make build` and `make deploy` use `--locked`.
- `make run` stops on Ctrl-C typed at its terminal without make's error line, exiting 0 or
  130, and leaves nothing running.
"""
import os
import pty
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


def make_run_stops_quietly_on_ctrl_c():
    port, db_port = free_port(), free_port()
    env = dict(os.environ, PORT=str(port), DYNAMODB_PORT=str(db_port))
    with tempfile.TemporaryDirectory() as data:
        env["DYNAMODB_DATA"] = data
        pid, fd = pty.fork()
        if pid == 0:  # the terminal's foreground job, as when typed at a prompt
            os.chdir(ROOT)
            os.execvpe("make", ["make", "run"], env)
        shown = read_until(fd, b"Ctrl-C stops everything.", 240)
        assert b"Ctrl-C stops everything." in shown, shown.decode(errors="replace")
        os.write(fd, b"\x03")  # Ctrl-C, typed
        shown += read_until(fd, None, 60)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = shown.decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 130, -signal.SIGINT), f"make run ended with {code}:\n{text}"
    assert "make: ***" not in text and "Error 130" not in text, text
    time.sleep(1)
    for pattern in [f"invoke-port {port}", f"-port {db_port}"]:
        left = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
        assert not left.strip(), f"still running after Ctrl-C: {pattern}"


banner_runs_nothing()
builds_are_locked()
make_run_stops_quietly_on_ctrl_c()
print("test_scripts: make run's banner runs nothing and Ctrl-C ends it quietly; release builds and sam build are --locked")
