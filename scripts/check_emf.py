"""Validates CloudWatch embedded metric format (EMF) documents: JSON lines on stdin, each against
the JSON schema AWS publishes (fixtures/emf/emf-schema.json) and the rules of the specification
the schema cannot express (fixtures/emf/README.md). Prints how many passed; exits 1 on the
first document that does not.

    python scripts/check_emf.py < documents.jsonl
"""

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

from jsonschema import Draft7Validator

SCHEMA = Path(__file__).resolve().parent.parent / "fixtures" / "emf" / "emf-schema.json"


def rule_errors(doc):
    """What the specification says beyond the schema."""
    errors = []
    aws = doc["_aws"]
    now_ms = time.time() * 1000
    if not now_ms - 14 * 86400_000 <= aws["Timestamp"] <= now_ms + 2 * 3600_000:
        errors.append(f"Timestamp {aws['Timestamp']} is not epoch milliseconds of now")
    for directive in aws["CloudWatchMetrics"]:
        if len(directive["Metrics"]) > 100:
            errors.append("more than 100 metrics in one directive")
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                value = doc.get(key)
                if not isinstance(value, str) or not 1 <= len(value) <= 1024:
                    errors.append(f"dimension {key} does not resolve to a string of 1-1024 characters")
        for metric in directive["Metrics"]:
            value = doc.get(metric["Name"])
            numbers = value if isinstance(value, list) else [value]
            if len(numbers) > 100 or not all(isinstance(n, (int, float, Decimal)) and not isinstance(n, bool) for n in numbers):
                errors.append(f"metric {metric['Name']} does not resolve to a number or up to 100 numbers")
            if metric.get("StorageResolution") not in (None, 1, 60):
                errors.append(f"metric {metric['Name']}: StorageResolution is 1 or 60")
    return errors


def main():
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    count = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        doc = json.loads(line, parse_float=Decimal)
        errors = [e.message for e in validator.iter_errors(json.loads(line))] + rule_errors(doc)
        if errors:
            sys.exit(f"check_emf: invalid EMF document {line.strip()}\n  " + "\n  ".join(errors))
        count += 1
    if count == 0:
        sys.exit("check_emf: no EMF document on stdin")
    print(f"check_emf: {count} EMF documents valid")


if __name__ == "__main__":
    main()
