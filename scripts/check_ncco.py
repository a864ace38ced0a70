"""Validates NCCOs with Vonage's own Python SDK models (vonage-voice), as an outside oracle.

Reads JSON lines {"name": ..., "ncco": [...]} (from `cargo run -p devtools --bin ncco-variants`)
on stdin. Each action must validate against its vonage-voice model, and the model's own
serialisation must give back exactly the action we sent (no field misspelt, dropped or extra);
each talk text must be 1 to 1,500 characters. Exits 1 on the first variant that fails.
"""

import json
import sys
from importlib.metadata import version

from pydantic import ValidationError
from vonage_voice.errors import NccoActionError
from vonage_voice.models import ncco as models

MODELS = {
    "talk": models.Talk,
    "stream": models.Stream,
    "input": models.Input,
    "record": models.Record,
    "connect": models.Connect,
    "conversation": models.Conversation,
    "notify": models.Notify,
    "wait": models.Wait,
}


def check_action(action):
    model = MODELS.get(action.get("action"))
    if model is None:
        raise ValueError(f"unknown action {action.get('action')!r}")
    data = dict(action)
    if "from" in data:  # the SDK names the field `from_` and serialises it as `from`
        data["from_"] = data.pop("from")
    parsed = model.model_validate(data)
    dumped = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    if dumped != action:
        raise ValueError(f"the SDK reads it back as {json.dumps(dumped)}")
    if action["action"] == "talk" and not 1 <= len(action["text"]) <= 1500:
        raise ValueError(f"talk text has {len(action['text'])} characters")


def check(ncco):
    if not isinstance(ncco, list) or not ncco:
        raise ValueError("an NCCO is a non-empty array")
    for action in ncco:
        check_action(action)


def must_fail(what, ncco):
    try:
        check(ncco)
    except (ValidationError, NccoActionError, ValueError):
        return
    sys.exit(f"check_ncco: the oracle accepted {what}; it cannot be trusted")


def main():
    # The oracle must bite before its word counts.
    must_fail("a connect without from", [{"action": "connect", "endpoint": [{"type": "app", "user": "a"}]}])
    must_fail("a 1,501-character talk", [{"action": "talk", "text": "a" * 1501}])
    must_fail("a misspelt field", [{"action": "talk", "text": "hi", "bargein": True}])
    must_fail("a limit over 7,200 s", [{"action": "connect", "from": "447700900001", "limit": 7201,
                                         "endpoint": [{"type": "phone", "number": "447700900000"}]}])

    names, actions, kinds = [], 0, set()
    for line in sys.stdin:
        if not line.strip():
            continue
        variant = json.loads(line)
        try:
            check(variant["ncco"])
        except (ValidationError, NccoActionError, ValueError) as e:
            sys.exit(f"check_ncco: {variant['name']}: {json.dumps(variant['ncco'])}\n{e}")
        names.append(variant["name"])
        actions += len(variant["ncco"])
        for action in variant["ncco"]:
            for endpoint in action.get("endpoint", []):
                kinds.add(f"connect-{endpoint['type']}")
        if all(action["action"] == "talk" for action in variant["ncco"]):
            kinds.add("talk-only")
    if not names:
        sys.exit("check_ncco: no NCCO variants on stdin")
    missing = {"connect-phone", "connect-app", "talk-only"} - kinds
    if missing:
        sys.exit(f"check_ncco: no variant shows {sorted(missing)}")
    print(f"check_ncco: {len(names)} NCCO variants ({actions} actions) valid for vonage-voice "
          f"{version('vonage-voice')}")


if __name__ == "__main__":
    main()
