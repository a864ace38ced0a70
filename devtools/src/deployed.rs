//! A function started exactly as Lambda starts it for this template: the environment Lambda
//! gives an OS-only runtime (`provided.al2023`; `../shared/lambda-env/README.md`), the
//! `LoggingConfig` and `MemorySize` template.yaml gives the function, and its
//! `Environment.Variables` (the globals' and its own) read from template.yaml with the stack's
//! parameters substituted. Nothing else: no `AWS_EXECUTION_ENV`, no `_X_AMZN_TRACE_ID`, no
//! variable a test makes up. So a template change that breaks production breaks the tests that
//! start functions through here.
//!
//! Two kinds of departure are allowed, each by name:
//! - **where** AWS is: `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SECRETSMANAGER` point
//!   the SDK at DynamoDB Local or a stand-in. They change an address, never a behaviour.
//! - **an edited variable** ([`Deployed::edited`]): one the template sets, changed or removed as
//!   someone could in the Lambda console, to show what the function does then; or one it does
//!   not set, added there ([`Deployed::added`]).

use crate::runtime_api::{init_with_stderr, run_capturing_stdout};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The signature secret of a stack deployed by a test.
pub const SECRET: &str = "test-signature-secret-0123456789";
/// The Vonage application of a stack deployed by a test.
pub const APPLICATION_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
/// The Vonage number of a stack deployed by a test.
pub const VONAGE_NUMBER: &str = "447700900001";

/// The parameters `sam deploy --guided` insists on, as a test gives them; add others after.
pub fn required_parameters() -> Vec<(&'static str, &'static str)> {
    vec![
        ("VonageNumber", VONAGE_NUMBER),
        ("SignatureSecret", SECRET),
        ("VonageApplicationId", APPLICATION_ID),
    ]
}

/// The template next to the workspace.
pub fn template_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")
}

/// template.yaml, parsed (short-form intrinsics such as `!Ref` are YAML tags).
pub fn template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The environment of one function of the stack.
#[derive(Debug, Clone)]
pub struct Deployed {
    function: String,
    /// What Lambda itself sets (its reserved variables and the logging configuration).
    reserved: BTreeMap<String, String>,
    /// What the template sets, resolved.
    template: BTreeMap<String, String>,
    /// Where the SDK finds AWS services instead of their public endpoints.
    endpoints: BTreeMap<String, String>,
}

/// The endpoint variables a test may add: addresses, not behaviour.
const ENDPOINT_VARS: &[&str] = &[
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETSMANAGER",
];

impl Deployed {
    /// `function` (a logical id such as `EventFunction`) as deployed with `parameters` (the
    /// rest take their template defaults; one without a default must be given) and the calls
    /// table named `table`.
    pub fn new(function: &str, parameters: &[(&str, &str)], table: &str) -> Self {
        let template = template();
        let resource = &template["Resources"][function];
        assert!(
            resource["Type"] == "AWS::Serverless::Function",
            "template.yaml has no function {function}"
        );
        let params = Parameters::new(&template, parameters);
        if let Some(condition) = resource["Condition"].as_str() {
            params.assert_condition(&template, condition, function);
        }
        let globals = &template["Globals"]["Function"];
        let mut variables = BTreeMap::new();
        for source in [
            &globals["Environment"]["Variables"],
            &resource["Properties"]["Environment"]["Variables"],
        ] {
            for (name, value) in source.as_mapping().into_iter().flatten() {
                let name = name.as_str().expect("a variable name").to_string();
                variables.insert(name, params.resolve(value, table));
            }
        }
        let property = |name: &str| {
            let own = &resource["Properties"][name];
            if own.is_null() {
                globals[name].clone()
            } else {
                own.clone()
            }
        };
        let logging = property("LoggingConfig");
        let memory = scalar(&property("MemorySize")).unwrap_or_else(|| "128".into());
        let handler = scalar(&property("Handler")).unwrap_or_else(|| "bootstrap".into());
        let name = format!("voice-hooks-{function}-AbC123dEf456");
        let mut reserved = BTreeMap::new();
        for (key, value) in [
            ("_HANDLER", handler.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_LAMBDA_FUNCTION_NAME", &name),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &memory),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", &format!("/aws/lambda/{name}")),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef",
            ),
            // The execution role's temporary credentials.
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE01"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY0"),
            ("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"),
            ("LAMBDA_TASK_ROOT", "/var/task"),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
            ("TZ", ":UTC"),
            ("LANG", "en_US.UTF-8"),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
            (
                "LD_LIBRARY_PATH",
                "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            ),
        ] {
            reserved.insert(key.to_string(), value.to_string());
        }
        // LoggingConfig: Lambda hands the format over, and with JSON the application log level.
        if let Some(format) = scalar(&logging["LogFormat"]) {
            reserved.insert("AWS_LAMBDA_LOG_FORMAT".into(), format.to_uppercase());
            if format.eq_ignore_ascii_case("json") {
                let level = scalar(&logging["ApplicationLogLevel"]).unwrap_or("INFO".into());
                reserved.insert("AWS_LAMBDA_LOG_LEVEL".into(), level.to_uppercase());
            }
        }
        Self {
            function: function.to_string(),
            reserved,
            template: variables,
            endpoints: BTreeMap::new(),
        }
    }

    /// DynamoDB at `endpoint` (DynamoDB Local) instead of its public endpoint.
    pub fn dynamodb(self, endpoint: &str) -> Self {
        self.endpoint("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    }

    /// Secrets Manager at `endpoint` (a stand-in) instead of its public endpoint.
    pub fn secrets_manager(self, endpoint: &str) -> Self {
        self.endpoint("AWS_ENDPOINT_URL_SECRETSMANAGER", endpoint)
    }

    fn endpoint(mut self, name: &str, endpoint: &str) -> Self {
        assert!(ENDPOINT_VARS.contains(&name));
        self.endpoints.insert(name.into(), endpoint.into());
        self
    }

    /// A variable the template sets, changed (`Some`) or removed (`None`), as an operator
    /// could in the Lambda console. Panics for a variable the template does not set: that
    /// would be an environment the stack never has.
    pub fn edited(mut self, name: &str, value: Option<&str>) -> Self {
        assert!(
            self.template.contains_key(name),
            "template.yaml does not set {name} for {}: a test may only edit what it sets",
            self.function
        );
        match value {
            Some(value) => self.template.insert(name.into(), value.into()),
            None => self.template.remove(name),
        };
        self
    }

    /// A variable the template does not set, added as an operator could in the Lambda console,
    /// to show what the function does with it (say, refuse to start). Panics for a variable
    /// the template sets: edit that one instead.
    pub fn added(mut self, name: &str, value: &str) -> Self {
        assert!(
            !self.template.contains_key(name) && !self.reserved.contains_key(name),
            "{name} is set for {} already: edit it instead",
            self.function
        );
        self.template.insert(name.into(), value.into());
        self
    }

    /// The value the template gives a variable, resolved.
    pub fn template_value(&self, name: &str) -> Option<&str> {
        self.template.get(name).map(String::as_str)
    }

    /// Every variable the function starts with (but `AWS_LAMBDA_RUNTIME_API`, which the local
    /// Runtime API sets).
    pub fn variables(&self) -> BTreeMap<String, String> {
        let mut all = self.reserved.clone();
        all.extend(self.template.clone());
        all.extend(self.endpoints.clone());
        all
    }

    /// `program` with exactly this environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env_clear().envs(self.variables());
        command
    }

    /// Runs `binary` under a local Runtime API and hands it each payload in turn: each
    /// invocation's response and everything it wrote to stdout (its logs and EMF documents).
    pub async fn run(&self, binary: &str, payloads: &[Vec<u8>]) -> (Vec<Vec<u8>>, String) {
        run_capturing_stdout(self.command(binary), payloads).await
    }

    /// Starts `binary` and expects it to refuse to start: it must stop before asking for its
    /// first event. Its stderr (where a `main` that returns an error prints it).
    pub async fn init_failure(&self, binary: &str) -> String {
        match init_with_stderr(self.command(binary)).await {
            (Err(status), text) => {
                assert!(!status.success(), "it stopped, but with success: {text}");
                text
            }
            (Ok(_), text) => panic!("{} started and asked for an event: {text}", self.function),
        }
    }

    /// Starts `binary` and expects it to start: its init time.
    pub async fn starts(&self, binary: &str) -> std::time::Duration {
        let (outcome, text) = init_with_stderr(self.command(binary)).await;
        outcome
            .unwrap_or_else(|status| panic!("{} stopped at init ({status}): {text}", self.function))
    }

    /// Starts `binary` with the secret unset, blank, white space and too short, and expects it
    /// to refuse to start each time, naming `VONAGE_SIGNATURE_SECRET`.
    pub async fn refuses_to_start_without_a_usable_secret(&self, binary: &str) {
        for secret in [None, Some(""), Some("                "), Some("too-short")] {
            let stderr = self
                .clone()
                .edited("VONAGE_SIGNATURE_SECRET", secret)
                .init_failure(binary)
                .await;
            assert!(
                stderr.contains("VONAGE_SIGNATURE_SECRET"),
                "{secret:?}: {stderr}"
            );
        }
    }
}

/// A scalar's text (strings, numbers, booleans).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The stack's parameter values: given, or the template's defaults.
struct Parameters(BTreeMap<String, String>);

impl Parameters {
    fn new(template: &Value, given: &[(&str, &str)]) -> Self {
        let declared = template["Parameters"]
            .as_mapping()
            .expect("template.yaml has Parameters");
        let mut values = BTreeMap::new();
        for (name, _) in given {
            assert!(
                declared.contains_key(*name),
                "template.yaml has no parameter {name}"
            );
        }
        for (name, spec) in declared {
            let name = name.as_str().expect("a parameter name");
            let value = given
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
                .or_else(|| scalar(&spec["Default"]));
            if let Some(value) = value {
                values.insert(name.to_string(), value);
            }
        }
        Self(values)
    }

    /// `!Ref Parameter` or `!Ref CallsTable` (the table's name) or a literal.
    fn resolve(&self, value: &Value, table: &str) -> String {
        match value {
            Value::Tagged(tagged) if tagged.tag == "!Ref" => {
                let name = tagged.value.as_str().expect("!Ref of a name");
                if name == "CallsTable" {
                    return table.to_string();
                }
                self.0
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("parameter {name} has no default: give it a value"))
            }
            other => scalar(other).unwrap_or_else(|| {
                panic!("an environment value this helper cannot resolve: {other:?}")
            }),
        }
    }

    /// The function's condition holds (`TokenService`: `AuthIssuer` is not empty).
    fn assert_condition(&self, template: &Value, condition: &str, function: &str) {
        let holds = self.evaluate(&template["Conditions"][condition]);
        assert!(
            holds,
            "{function} is deployed only when {condition} holds: give its parameters values"
        );
    }

    /// A condition of `!Not`, `!Equals` and `!Ref` to parameters, the shapes the template uses.
    fn evaluate(&self, condition: &Value) -> bool {
        let Value::Tagged(tagged) = condition else {
            panic!("a condition this helper cannot evaluate: {condition:?}")
        };
        let args = tagged.value.as_sequence().expect("a condition's arguments");
        match tagged.tag.to_string().as_str() {
            "!Not" => !self.evaluate(&args[0]),
            "!Equals" => self.resolve(&args[0], "") == self.resolve(&args[1], ""),
            other => panic!("a condition this helper cannot evaluate: {other}"),
        }
    }
}
