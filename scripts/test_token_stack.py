"""make test: the token service as CloudFormation will deploy it, translated by the SAM translator
and resolved for both values of AuthIssuer.

- AuthIssuer empty: exactly the two-webhook stack (the resources and routes it had before the
  token service existed), no authorizer, no /token.
- AuthIssuer set: POST /token and GET /calls behind the JWT authorizer for AuthIssuer and
  AuthAudience, wired to token-fn and calls-fn; token-fn's policy reads the one secret and only
  USER# items, with the two calls it makes; calls-fn's only reads USER# items (Query, GetItem);
  API Gateway may invoke each for its own route only; the webhooks stay unauthenticated.
"""

import sys

from lint_template import translate

TWO_WEBHOOK_STACK = {
    "AlarmEmailSubscription", "AlarmTopic", "AnswerFunction",
    "AnswerFunctionAnswerPostPermission", "AnswerFunctionRole", "AnswerLogGroup", "Api",
    "ApiAccessLogGroup", "ApiApiGatewayDefaultStage", "CallsTable", "Dashboard",
    "DynamoDbThrottlingAlarm", "EventErrorsAlarm", "EventFunction", "EventFunctionEventPostPermission",
    "EventFunctionRole", "EventLogGroup", "RefusedCallsSpikeAlarm", "SpendPerHourAlarm",
}
WEBHOOK_ROUTES = {("POST", "/voice/answer"), ("POST", "/voice/event")}
NO_VALUE = object()


def resolve(node, conditions):
    """Evaluates Fn::If (and drops AWS::NoValue) as CloudFormation does; leaves the rest."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, then, other = node["Fn::If"]
            return resolve(then if conditions[name] else other, conditions)
        if node == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        out = {}
        for key, value in node.items():
            value = resolve(value, conditions)
            if value is not NO_VALUE:
                out[key] = value
        return out
    if isinstance(node, list):
        return [v for v in (resolve(v, conditions) for v in node) if v is not NO_VALUE]
    return node


def deployed(cfn, token_service):
    conditions = {"TokenService": token_service, "NotifyByEmail": True,
                  "ReserveAnswerConcurrency": False, "ReserveEventConcurrency": False}
    resources = {name: resolve(r, conditions) for name, r in cfn["Resources"].items()
                 if conditions.get(r.get("Condition"), True)}
    outputs = {name for name, o in cfn["Outputs"].items() if conditions.get(o.get("Condition"), True)}
    return resources, outputs


def routes(api):
    paths = api["Properties"]["Body"]["paths"]
    return {(method.upper(), path): spec for path, methods in paths.items() for method, spec in methods.items()}


def main():
    cfn = translate("template.yaml")
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    # Without AuthIssuer: the two webhooks, as they were.
    resources, outputs = deployed(cfn, False)
    check(set(resources) == TWO_WEBHOOK_STACK,
          f"without AuthIssuer the stack differs: {sorted(set(resources) ^ TWO_WEBHOOK_STACK)}")
    check(set(routes(resources["Api"])) == WEBHOOK_ROUTES, f"routes: {sorted(routes(resources['Api']))}")
    check(not resources["Api"]["Properties"]["Body"].get("components", {}).get("securitySchemes"),
          "an authorizer exists without AuthIssuer")
    check("TokenUrl" not in outputs, "TokenUrl without a token service")
    check(all("Token" not in name and not name.startswith("Calls") or name == "CallsTable"
              for name in resources), "a token or history resource without AuthIssuer")
    check("CallsUrl" not in outputs, "CallsUrl without a token service")

    # With AuthIssuer.
    resources, outputs = deployed(cfn, True)
    check(set(resources) - TWO_WEBHOOK_STACK == {"TokenFunction", "TokenFunctionRole",
                                                 "TokenInvokePermission", "TokenLogGroup",
                                                 "CallsFunction", "CallsFunctionRole",
                                                 "CallsInvokePermission", "CallsLogGroup"},
          f"token resources: {sorted(set(resources) - TWO_WEBHOOK_STACK)}")
    api_routes = routes(resources["Api"])
    signed_in = {("POST", "/token"): "TokenFunction", ("GET", "/calls"): "CallsFunction"}
    check(set(api_routes) == WEBHOOK_ROUTES | set(signed_in), f"routes: {sorted(api_routes)}")
    for route, function in signed_in.items():
        spec = api_routes[route]
        check(spec.get("security") == [{"TokenAuthorizer": []}], f"{route} security: {spec.get('security')}")
        uri = str(spec["x-amazon-apigateway-integration"]["uri"])
        check(f"{{{function}.Arn}}" in uri, f"{route} target: {uri}")
        check(spec["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0", "payload v2")
    for route, spec in api_routes.items():
        if route not in signed_in:
            check("security" not in spec, f"{route} has an authorizer: Vonage sends no bearer token")
    authorizer = resources["Api"]["Properties"]["Body"]["components"]["securitySchemes"]["TokenAuthorizer"]
    jwt = authorizer["x-amazon-apigateway-authorizer"]
    check(jwt["type"] == "jwt" and jwt["identitySource"] == "$request.header.Authorization", f"{jwt}")
    check(jwt["jwtConfiguration"] == {"issuer": {"Ref": "AuthIssuer"},
                                      "audience": {"Fn::Split": [",", {"Ref": "AuthAudience"}]}},
          f"jwtConfiguration: {jwt['jwtConfiguration']}")
    check({"TokenUrl", "CallsUrl"} <= outputs, f"outputs: {sorted(outputs)}")

    role = resources["TokenFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    check(len(statements) == 2, f"statements: {statements}")
    secret, table = statements
    check(secret["Action"] == "secretsmanager:GetSecretValue", f"secret actions: {secret['Action']}")
    check("VonagePrivateKeySecretArn" in str(secret["Resource"]) and "*" not in str(secret["Resource"]),
          f"secret resource: {secret['Resource']}")
    check(sorted(table["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem"], f"table actions: {table['Action']}")
    check(table["Resource"] == {"Fn::GetAtt": ["CallsTable", "Arn"]}, f"table resource: {table['Resource']}")
    check(table.get("Condition") == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]}},
          f"table condition: {table.get('Condition')}")
    managed = [str(arn) for arn in role.get("ManagedPolicyArns", [])]
    check(all("AWSLambdaBasicExecutionRole" in arn for arn in managed), f"managed policies: {managed}")
    permission = resources["TokenInvokePermission"]["Properties"]
    check(permission["SourceArn"]["Fn::Sub"].endswith("${Api}/*/POST/token"), f"{permission['SourceArn']}")
    env = resources["TokenFunction"]["Properties"]["Environment"]["Variables"]
    check("VONAGE_SIGNATURE_SECRET" not in env, "token-fn gets the webhook signature secret")
    for other in ("AnswerFunctionRole", "EventFunctionRole", "CallsFunctionRole"):
        check("secretsmanager" not in str(resources[other]), f"{other} may read secrets")

    role = resources["CallsFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    check(len(statements) == 1, f"calls statements: {statements}")
    (table,) = statements[:1] or [{}]
    check(sorted(table.get("Action", [])) == ["dynamodb:GetItem", "dynamodb:Query"],
          f"calls table actions: {table.get('Action')}")
    check(table.get("Condition") == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]}},
          f"calls table condition: {table.get('Condition')}")
    permission = resources["CallsInvokePermission"]["Properties"]
    check(permission["SourceArn"]["Fn::Sub"].endswith("${Api}/*/GET/calls"), f"{permission['SourceArn']}")
    env = resources["CallsFunction"]["Properties"]["Environment"]["Variables"]
    check(not {"VONAGE_SIGNATURE_SECRET", "VONAGE_PRIVATE_KEY_SECRET"} & set(env),
          "calls-fn gets a secret it never uses")

    if failures:
        sys.exit("test_token_stack: FAILED\n  " + "\n  ".join(failures))
    print("test_token_stack: without AuthIssuer the two-webhook stack exactly; with it POST /token "
          "and GET /calls behind the JWT authorizer, token-fn limited to its secret and USER# items, "
          "calls-fn to reading USER# items")


if __name__ == "__main__":
    main()
