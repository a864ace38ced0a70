//! template.yaml against the code: routes, environment variables, the table's key schema and
//! the event function's permissions must be what the code expects.

use serde_yaml::Value;
use shared::config::{
    ANSWER_ENV, CALLS_ENV, EVENT_ENV, IDENTITY_ENV, LOCAL_SIGN_IN_VAR, SIGNATURE_ENV, TOKEN_ENV,
};
use shared::metrics::NAMESPACE_VAR;
use shared::store::{EXPIRES_AT, PK, SK};
use std::collections::BTreeSet;
use std::path::Path;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    &template["Resources"][name]
}

/// `!Ref X` → "X" (short-form intrinsics are YAML tags).
fn reference(value: &Value) -> String {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => {
            tagged.value.as_str().unwrap_or_default().to_string()
        }
        other => panic!("expected !Ref, got {other:?}"),
    }
}

fn env_names(function: &Value, globals: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for source in [
        &globals["Environment"]["Variables"],
        &function["Properties"]["Environment"]["Variables"],
    ] {
        if let Some(map) = source.as_mapping() {
            names.extend(map.keys().map(|k| k.as_str().unwrap().to_string()));
        }
    }
    names
}

fn routes(function: &Value) -> BTreeSet<(String, String)> {
    function["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .map(|event| {
            assert_eq!(event["Type"], "HttpApi");
            assert_eq!(reference(&event["Properties"]["ApiId"]), "Api");
            let p = &event["Properties"];
            (
                p["Method"].as_str().unwrap().to_string(),
                p["Path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `[{AttributeName: a, <field>: b}, ...]` → `[(a, b), ...]`.
fn name_pairs<'a>(list: &'a Value, field: &str) -> Vec<(&'a str, &'a str)> {
    let pair = |item: &'a Value| {
        (
            item["AttributeName"].as_str().unwrap(),
            item[field].as_str().unwrap(),
        )
    };
    list.as_sequence().unwrap().iter().map(pair).collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn answers_and_events_come_by_post_only() {
    let t = template();
    // A GET's query is not covered by Vonage's signature.
    assert_eq!(
        routes(resource(&t, "AnswerFunction")),
        set(&[("POST", "/voice/answer")])
    );
    assert_eq!(
        routes(resource(&t, "EventFunction")),
        set(&[("POST", "/voice/event")])
    );
}

#[test]
fn the_template_sets_only_variables_the_functions_read_and_all_they_require() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    for (function, read, required) in [
        (
            "AnswerFunction",
            [ANSWER_ENV, SIGNATURE_ENV].concat(),
            vec!["VONAGE_NUMBER", "VONAGE_SIGNATURE_SECRET"],
        ),
        (
            "EventFunction",
            [EVENT_ENV, SIGNATURE_ENV].concat(),
            vec!["TABLE_NAME", "VONAGE_SIGNATURE_SECRET"],
        ),
        (
            "TokenFunction",
            [TOKEN_ENV, IDENTITY_ENV].concat(),
            vec![
                "VONAGE_APPLICATION_ID",
                "TABLE_NAME",
                "VONAGE_PRIVATE_KEY_SECRET",
                "USER_CLAIM",
            ],
        ),
        (
            "CallsFunction",
            [CALLS_ENV, IDENTITY_ENV].concat(),
            vec!["TABLE_NAME", "USER_CLAIM"],
        ),
    ] {
        let set_by_template = env_names(resource(&t, function), globals);
        let read: BTreeSet<String> = read.iter().map(|s| s.to_string()).collect();
        let unknown: Vec<_> = set_by_template.difference(&read).collect();
        assert!(
            unknown.is_empty(),
            "{function}: template sets variables the code never reads: {unknown:?}"
        );
        for name in required {
            assert!(
                set_by_template.contains(name),
                "{function}: template does not set {name}"
            );
        }
    }
    // Every function writes its metrics under the stack's namespace: setting it is what turns
    // them on (config::env::metrics).
    for function in [
        "AnswerFunction",
        "EventFunction",
        "TokenFunction",
        "CallsFunction",
    ] {
        assert!(
            env_names(resource(&t, function), globals).contains(NAMESPACE_VAR),
            "{function}: no {NAMESPACE_VAR}, so no metrics in production"
        );
    }
    assert_eq!(
        reference(&globals["Environment"]["Variables"][NAMESPACE_VAR]),
        "MetricsNamespace"
    );
    // The webhook secret reaches the two webhooks only, not token-fn.
    for function in ["AnswerFunction", "EventFunction"] {
        let vars = &resource(&t, function)["Properties"]["Environment"]["Variables"];
        assert_eq!(
            reference(&vars["VONAGE_SIGNATURE_SECRET"]),
            "SignatureSecret"
        );
    }
    assert_eq!(t["Parameters"]["SignatureSecret"]["NoEcho"], true);
    assert!(
        t["Parameters"]["SignatureSecret"].get("Default").is_none(),
        "the secret must be required"
    );
    // What only make run, the tools and the tests set never reaches a deployed function.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"))
            .unwrap();
    assert!(!text.contains("ALLOW_UNSIGNED_WEBHOOKS"));
    // The local sign-in neither: no deployed function may trust a key make run made.
    assert!(!text.contains(LOCAL_SIGN_IN_VAR));
    // The token service and the call history name users by the same claim, so a user's
    // history is the calls of the Vonage user their token is for.
    for function in ["TokenFunction", "CallsFunction"] {
        let vars = &resource(&t, function)["Properties"]["Environment"]["Variables"];
        assert_eq!(reference(&vars["USER_CLAIM"]), "UserClaim", "{function}");
    }
    // And the history reports the limits answer-fn applies.
    let answer = &resource(&t, "AnswerFunction")["Properties"]["Environment"]["Variables"];
    let calls = &resource(&t, "CallsFunction")["Properties"]["Environment"]["Variables"];
    for variable in ["MAX_CALLS_PER_USER_PER_DAY", "MAX_SPEND_PER_USER_PER_DAY"] {
        assert_eq!(reference(&answer[variable]), reference(&calls[variable]));
    }
}

#[test]
fn the_table_key_schema_and_ttl_are_the_ones_the_store_uses() {
    let t = template();
    let table = resource(&t, "CallsTable");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let p = &table["Properties"];
    assert_eq!(
        name_pairs(&p["KeySchema"], "KeyType"),
        [(PK, "HASH"), (SK, "RANGE")]
    );
    let attributes = name_pairs(&p["AttributeDefinitions"], "AttributeType");
    assert_eq!(attributes, [(PK, "S"), (SK, "S")]);
    // Every lookup is by key: no index to keep consistent or to pay for.
    assert!(p["GlobalSecondaryIndexes"].is_null());
    assert_eq!(p["TimeToLiveSpecification"]["AttributeName"], EXPIRES_AT);
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    let event_env = &resource(&t, "EventFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(reference(&event_env["TABLE_NAME"]), "CallsTable");
}

/// A function's policy statements (it has one inline policy).
fn statements<'a>(t: &'a Value, function: &str) -> &'a [Value] {
    let policies = resource(t, function)["Properties"]["Policies"]
        .as_sequence()
        .unwrap();
    assert_eq!(policies.len(), 1, "{function}");
    policies[0]["Statement"].as_sequence().unwrap()
}

fn actions(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::String(action) => vec![action.as_str()],
        list => list
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect(),
    }
}

#[test]
fn each_function_touches_the_table_only_with_the_calls_it_makes() {
    let t = template();
    let leading = |statement: &Value| -> Vec<String> {
        statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    // The event webhook: transition put, leg update, ledger charge; and reading a call's
    // owner item (OWNER# items only).
    let event = statements(&t, "EventFunction");
    assert_eq!(event.len(), 2);
    assert_eq!(
        actions(&event[0]),
        ["dynamodb:PutItem", "dynamodb:UpdateItem"]
    );
    assert_eq!(actions(&event[1]), ["dynamodb:GetItem"]);
    assert_eq!(leading(&event[1]), ["OWNER#*"]);
    // The answer webhook: the ledger's transaction, on USER# and OWNER# items only; reading
    // them (and learned rates) for a reservation.
    let answer = statements(&t, "AnswerFunction");
    assert_eq!(answer.len(), 2);
    assert_eq!(
        actions(&answer[0]),
        ["dynamodb:UpdateItem", "dynamodb:PutItem"]
    );
    assert_eq!(leading(&answer[0]), ["USER#*", "OWNER#*"]);
    assert_eq!(actions(&answer[1]), ["dynamodb:GetItem"]);
    assert_eq!(leading(&answer[1]), ["USER#*", "OWNER#*", "RATE#*"]);
    // The call history: reads of the users' partitions only.
    let calls = statements(&t, "CallsFunction");
    assert_eq!(calls.len(), 1);
    assert_eq!(actions(&calls[0]), ["dynamodb:Query", "dynamodb:GetItem"]);
    assert_eq!(leading(&calls[0]), ["USER#*"]);
    let answer_env = &resource(&t, "AnswerFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(reference(&answer_env["TABLE_NAME"]), "CallsTable");
    for (variable, parameter) in [
        ("MAX_CALLS_PER_USER_PER_DAY", "MaxCallsPerUserPerDay"),
        ("MAX_SPEND_PER_USER_PER_DAY", "MaxSpendPerUserPerDay"),
        ("LIMITS_FAIL_OPEN", "LimitsFailOpen"),
        ("RATE_TABLE", "RateTable"),
        ("DEFAULT_RATE_PER_MINUTE", "DefaultRatePerMinute"),
        ("MIN_CALL_SECONDS", "MinCallSeconds"),
        ("BILLING_INCREMENT_SECONDS", "BillingIncrementSeconds"),
    ] {
        assert_eq!(reference(&answer_env[variable]), parameter);
    }
    // Limits are off unless set.
    assert_eq!(t["Parameters"]["MaxCallsPerUserPerDay"]["Default"], "");
    assert_eq!(t["Parameters"]["MaxSpendPerUserPerDay"]["Default"], "");
    assert_eq!(t["Parameters"]["LimitsFailOpen"]["Default"], "false");
}

#[test]
fn both_functions_are_arm64_rust_builds_of_their_own_binary() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Architectures"][0], "arm64");
    assert_eq!(globals["Handler"], "bootstrap");
    assert_eq!(globals["LoggingConfig"]["LogFormat"], "JSON");
    for (function, binary) in [
        ("AnswerFunction", "answer-fn"),
        ("EventFunction", "event-fn"),
        ("TokenFunction", "token-fn"),
        ("CallsFunction", "calls-fn"),
    ] {
        let f = resource(&t, function);
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
        assert_eq!(f["Metadata"]["BuildProperties"]["Binary"], binary);
        // sam build compiles in CodeUri: the package's own folder resolves features for that
        // package alone, as `make build -p` does (the workspace root would unify them).
        let code_uri = f["Properties"]["CodeUri"].as_str().unwrap();
        assert_eq!(code_uri.trim_end_matches('/'), binary, "{function}");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(code_uri)
            .join("Cargo.toml");
        let manifest = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
            "{function}"
        );
        let timeout = f["Properties"]["Timeout"].as_u64().unwrap();
        assert!(
            function == "TokenFunction" || timeout < 10,
            "{function}: Vonage waits 5 s for a webhook; timeout {timeout}s"
        );
    }
    assert!(
        resource(&t, "AnswerFunction")["Properties"]["Timeout"]
            .as_u64()
            .unwrap()
            < 5
    );
}

#[test]
fn the_api_is_throttled_and_logs_requests_without_queries_or_bodies() {
    let t = template();
    let api = &resource(&t, "Api")["Properties"];
    let throttling = &api["DefaultRouteSettings"];
    assert_eq!(
        reference(&throttling["ThrottlingRateLimit"]),
        "ApiThrottlingRateLimit"
    );
    assert_eq!(
        reference(&throttling["ThrottlingBurstLimit"]),
        "ApiThrottlingBurstLimit"
    );
    for parameter in ["ApiThrottlingRateLimit", "ApiThrottlingBurstLimit"] {
        let default = t["Parameters"][parameter]["Default"].as_u64().unwrap();
        assert!(
            default >= 100,
            "{parameter} {default}: well above ~35 requests/s"
        );
    }

    let logs = &api["AccessLogSettings"];
    let destination = match &logs["DestinationArn"] {
        Value::Tagged(tagged) if tagged.tag == "!GetAtt" => {
            tagged.value.as_str().unwrap().to_string()
        }
        other => panic!("expected !GetAtt, got {other:?}"),
    };
    assert_eq!(destination, "ApiAccessLogGroup.Arn");
    let format = logs["Format"].as_str().unwrap();
    let fields: serde_json::Value = serde_json::from_str(format).expect("the format is JSON");
    assert!(fields.get("requestId").is_some() && fields.get("status").is_some());
    for leak in ["$context.path", "querystring", "$request.body", "$input"] {
        assert!(!format.contains(leak), "access logs must not carry {leak}");
    }
    assert_eq!(
        resource(&t, "ApiAccessLogGroup")["Properties"]["RetentionInDays"],
        resource(&t, "EventLogGroup")["Properties"]["RetentionInDays"],
        "access logs keep as long as the functions' logs"
    );
}

#[test]
fn the_application_id_is_required_and_reaches_the_functions_that_check_or_sign_with_it() {
    let t = template();
    let parameter = &t["Parameters"]["VonageApplicationId"];
    assert!(
        parameter.get("Default").is_none(),
        "a required parameter has no default"
    );
    assert!(parameter["AllowedPattern"]
        .as_str()
        .unwrap()
        .starts_with('^'));
    for function in ["AnswerFunction", "EventFunction", "TokenFunction"] {
        let vars = &resource(&t, function)["Properties"]["Environment"]["Variables"];
        assert_eq!(
            reference(&vars["VONAGE_APPLICATION_ID"]),
            "VonageApplicationId",
            "{function}"
        );
    }
}

#[test]
fn call_limits_are_parameters_within_vonages_ranges_and_concurrency_is_off_by_default() {
    let t = template();
    let answer_env = &resource(&t, "AnswerFunction")["Properties"]["Environment"]["Variables"];
    for (variable, parameter, min, max) in [
        ("MAX_CALL_SECONDS", "MaxCallSeconds", 1, 7200),
        ("RING_TIMEOUT_SECONDS", "RingTimeoutSeconds", 1, 120),
    ] {
        assert_eq!(reference(&answer_env[variable]), parameter);
        let p = &t["Parameters"][parameter];
        assert_eq!(
            (p["MinValue"].as_u64(), p["MaxValue"].as_u64()),
            (Some(min), Some(max))
        );
    }
    for (function, parameter) in [
        ("AnswerFunction", "AnswerReservedConcurrency"),
        ("EventFunction", "EventReservedConcurrency"),
    ] {
        assert_eq!(t["Parameters"][parameter]["Default"].as_u64(), Some(0));
        let reserved = &resource(&t, function)["Properties"]["ReservedConcurrentExecutions"];
        assert!(
            matches!(reserved, Value::Tagged(tagged) if tagged.tag == "!If"),
            "{function}: reserved only when the parameter is set"
        );
    }
}

/// The text of a `!Sub` (`${Name}` replaced by `Name`).
fn substituted(value: &Value) -> String {
    let text = match value {
        Value::Tagged(tagged) if tagged.tag == "!Sub" => tagged.value.as_str().unwrap().to_string(),
        other => panic!("expected !Sub, got {other:?}"),
    };
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[start + 2..end]);
        rest = &rest[end + 1..];
    }
    out + rest
}

#[test]
fn the_dashboard_shows_what_the_functions_emit_and_every_alarm_notifies_the_topic() {
    let t = template();
    let body = substituted(&resource(&t, "Dashboard")["Properties"]["DashboardBody"]);
    let dashboard: serde_json::Value = serde_json::from_str(&body).expect("the dashboard is JSON");
    let widgets = dashboard["widgets"].as_array().unwrap();
    let titles: BTreeSet<&str> = widgets
        .iter()
        .map(|w| w["properties"]["title"].as_str().unwrap())
        .collect();
    for wanted in [
        "Calls by outcome",
        "Refused calls by reason",
        "Minutes and spend per hour",
        "Webhook errors",
        "p99 latency (ms)",
        "Throttles",
        "User tokens (with AuthIssuer)",
        "Call histories (with AuthIssuer)",
        "Spend caps: reservations",
        "Spend caps: committed share of the limit, highest user (%)",
    ] {
        assert!(titles.contains(wanted), "no widget {wanted}: {titles:?}");
    }
    // Every metric of ours on the dashboard is one the handlers emit, in the stack's namespace.
    let emitted = [
        "Answers",
        "Events",
        "WebhookErrors",
        "CompletedLegs",
        "LegSeconds",
        "LegPrice",
        "DynamoDbLatency",
        "Tokens",
        "UnownedLegs",
        "Histories",
        "Reservations",
        "ReservationsReleased",
        "ReservationsExpired",
        "SpendOfLimit",
    ];
    for widget in widgets {
        for metric in widget["properties"]["metrics"].as_array().unwrap() {
            let namespace = metric[0].as_str().unwrap_or("");
            if !namespace.starts_with("AWS/") && metric[0].is_string() {
                assert_eq!(namespace, "MetricsNamespace", "{metric}");
                let name = metric[1].as_str().unwrap();
                assert!(emitted.contains(&name), "{name} is not emitted");
            }
        }
    }

    let alarms: Vec<(&str, &Value)> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|(name, r)| (name.as_str().unwrap(), r))
        .collect();
    let names: BTreeSet<&str> = alarms.iter().map(|(n, _)| *n).collect();
    for wanted in [
        "EventErrorsAlarm",
        "DynamoDbThrottlingAlarm",
        "RefusedCallsSpikeAlarm",
        "SpendPerHourAlarm",
    ] {
        assert!(names.contains(wanted), "no alarm {wanted}");
    }
    for (name, alarm) in alarms {
        assert_eq!(
            reference(&alarm["Properties"]["AlarmActions"][0]),
            "AlarmTopic",
            "{name}"
        );
        let namespace = &alarm["Properties"]["Namespace"];
        if namespace.as_str() != Some("AWS/DynamoDB") {
            assert_eq!(reference(namespace), "MetricsNamespace", "{name}");
        }
    }
    let subscription = resource(&t, "AlarmEmailSubscription");
    assert_eq!(subscription["Condition"], "NotifyByEmail");
    assert_eq!(t["Parameters"]["AlarmEmail"]["Default"], "");
}
