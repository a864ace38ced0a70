"""Lints template.yaml as CloudFormation will see it: translated by the SAM translator (the one
aws-sam-cli ships), then checked by cfn-lint as a plain CloudFormation template.

cfn-lint 1.x checks SAM resources against SAM's schema without translating them, so a `!Ref` to
a resource that does not exist, a `${Name}` typo in a `!Sub`, a managed policy that does not
exist or an invalid log level inside a SAM function pass unseen. After translation they are
ordinary CloudFormation, where cfn-lint finds them.

    python scripts/lint_template.py [TEMPLATE]      exit 0 when clean, 1 with cfn-lint's findings
"""

import json
import os
import sys

from cfnlint.api import ManualArgs, lint
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


# The translator fills in pseudo parameters such as AWS::Region; no account is ever asked.
REGION = os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


class OfflinePolicies:
    """The SAM translator resolves managed-policy names through IAM. Offline there are none to
    resolve: a name stays a name, which CloudFormation (and so cfn-lint) refuses where an ARN
    belongs. The template names its policies by ARN or inline."""

    def load(self):
        return {}


def translate(path):
    with open(path) as f:
        sam = yaml_parse(f.read())
    # `sam deploy` uploads each function's local CodeUri and puts its S3 address there.
    for name, resource in sam.get("Resources", {}).items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = f"s3://artifacts/{name}.zip"
    return transform(sam, {}, OfflinePolicies())


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    try:
        cfn = translate(path)
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"{path}: SAM translation: {cause.message}")
        return 1
    findings = lint(json.dumps(cfn, indent=1), config=ManualArgs(regions=[REGION]))
    for finding in findings:
        print(f"{path} (translated): {finding.rule.id} {finding.message} at {'/'.join(map(str, finding.path))}")
    if findings:
        return 1
    print(f"{path}: translated by the SAM translator, cfn-lint clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
