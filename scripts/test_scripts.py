"""Checks of the project's own scripts and build settings, run by `make test`.

- `make run`'s start-up message only prints: nothing in it is run (it once ran
  `make token USER=alice` through an unquoted heredoc's backticks, printing a token).
- Release builds are reproducible: `sam build` (through cargo-lambda's settings in Cargo.toml)
  and every cargo command of `make bench`, `make build` and `make deploy` use `--locked`.
"""
import os
import re
import stat
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


banner_runs_nothing()
builds_are_locked()
print("test_scripts: make run's banner runs nothing; release builds and sam build are --locked")
