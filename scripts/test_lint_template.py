"""make test: scripts/lint_template.py must fail on broken copies of template.yaml that plain
`cfn-lint` and `sam validate --lint` call valid, and pass on the template itself."""

import os
import subprocess
import sys
import tempfile

BREAKAGES = {
    "a Ref to a table that does not exist": ("TABLE_NAME: !Ref CallsTable", "TABLE_NAME: !Ref CallTable"),
    "a ${Name} typo in an output's !Sub": ("https://${Api}.execute-api", "https://${Apii}.execute-api"),
    "a mistyped managed-policy name": ("      Policies:\n", "      Policies:\n        - AWSLambdaBasicExecutionRol\n"),
    "an invalid log level": ("ApplicationLogLevel: INFO", "ApplicationLogLevel: VERBOSE"),
}


def lint(path):
    return subprocess.run([sys.executable, "scripts/lint_template.py", path], capture_output=True, text=True)


def main():
    with open("template.yaml") as f:
        template = f.read()
    failures = []
    clean = lint("template.yaml")
    if clean.returncode != 0:
        failures.append(f"template.yaml itself: {clean.stdout}{clean.stderr}")
    with tempfile.TemporaryDirectory() as tmp:
        for what, (old, new) in BREAKAGES.items():
            if old not in template:
                failures.append(f"{what}: `{old.strip()}` is no longer in template.yaml; update this test")
                continue
            path = os.path.join(tmp, "template.yaml")
            with open(path, "w") as f:
                f.write(template.replace(old, new, 1))
            result = lint(path)
            if result.returncode == 0:
                failures.append(f"{what}: lint_template.py passed it")
    if failures:
        sys.exit("test_lint_template: " + "\n".join(failures))
    print(f"test_lint_template: {len(BREAKAGES)} broken copies refused, template.yaml clean")


if __name__ == "__main__":
    main()
