#!/usr/bin/env python3
"""Checks the project's Vonage user tokens with implementations that are not ours.

usage: check_tokens.py <token binary>     (make test builds target/debug/token)

Keys come from `cryptography`; tokens from the project's `token` command (the same Minter as
token-fn); every token is verified by PyJWT with the public key, and its claim set compared with
the one Vonage's own `vonage-jwt` produces for a user token.
"""
import json
import os
import subprocess
import sys
import tempfile
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vonage_jwt import JwtClient

APP_ID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
COUNT = 10_000
TTL = 900
DEFAULT_PATHS = {"/*/users/**", "/*/conversations/**", "/*/sessions/**", "/*/devices/**",
                 "/*/push/**", "/*/knocking/**", "/*/legs/**"}


def new_key(fmt):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    return key, pem


def mint(binary, key_file, user, count=1, **env):
    run = subprocess.run(
        [binary, user, str(count)],
        env={**os.environ, "VONAGE_APPLICATION_ID": APP_ID, "VONAGE_PRIVATE_KEY_FILE": key_file,
             **env},
        capture_output=True, text=True)
    return run.returncode, run.stdout.split(), run.stderr


def main():
    binary = sys.argv[1]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        key, pem = new_key(serialization.PrivateFormat.PKCS8)
        key_file = os.path.join(tmp, "private.key")
        with open(key_file, "wb") as f:
            f.write(pem)
        public = key.public_key()

        # The oracle itself: Vonage's library's user token, and what PyJWT makes of it.
        vonage = JwtClient(APP_ID, pem.decode()).generate_application_jwt({"sub": "alice", "acl": {"paths": {}}})
        vonage_claims = jwt.decode(vonage, public, algorithms=["RS256"])
        expected_keys = set(vonage_claims)
        check(expected_keys == {"application_id", "iat", "exp", "jti", "sub", "acl"},
              f"vonage-jwt's claim set is {sorted(expected_keys)}")
        other, _ = new_key(serialization.PrivateFormat.PKCS8)
        try:
            jwt.decode(vonage, other.public_key(), algorithms=["RS256"])
            failures.append("PyJWT accepted a token under the wrong public key")
        except jwt.InvalidSignatureError:
            pass

        code, tokens, stderr = mint(binary, key_file, "alice", COUNT, TOKEN_TTL_SECONDS=str(TTL))
        check(code == 0 and len(tokens) == COUNT, f"minting {COUNT} tokens: {code} {stderr}")
        jtis = set()
        for token in tokens:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, public, algorithms=["RS256"],
                                options={"require": ["exp", "iat", "jti", "sub"]})
            jtis.add(claims["jti"])
            ok = (header == {"alg": "RS256", "typ": "JWT"}
                  and set(claims) == expected_keys
                  and claims["application_id"] == APP_ID
                  and claims["sub"] == "alice"
                  and claims["exp"] - claims["iat"] == TTL
                  and set(claims["acl"]["paths"]) == DEFAULT_PATHS
                  and all(v == {} for v in claims["acl"]["paths"].values())
                  and uuid.UUID(claims["jti"]).version == 4)
            if not ok:
                failures.append(f"token {header} {claims}")
                break
        check(len(jtis) == COUNT, f"{len(jtis)} distinct jti in {COUNT} tokens")
        try:
            jwt.decode(tokens[0], other.public_key(), algorithms=["RS256"])
            failures.append("a token verified under another key")
        except jwt.InvalidSignatureError:
            pass

        # A PKCS#1 key ("BEGIN RSA PRIVATE KEY") signs as well as Vonage's PKCS#8 private.key.
        key1, pem1 = new_key(serialization.PrivateFormat.TraditionalOpenSSL)
        key1_file = os.path.join(tmp, "pkcs1.key")
        with open(key1_file, "wb") as f:
            f.write(pem1)
        code, [token], stderr = mint(binary, key1_file, "bob")
        claims = jwt.decode(token, key1.public_key(), algorithms=["RS256"])
        check(claims["sub"] == "bob" and claims["exp"] - claims["iat"] == 3600,
              f"PKCS#1 key: {claims}")

        # TOKEN_ACL replaces the default ACL, as given.
        acl = {"paths": {"/*/sessions/**": {}, "/*/legs/**": {"methods": ["GET"]}}}
        code, [token], stderr = mint(binary, key_file, "carol", TOKEN_ACL=json.dumps(acl))
        check(jwt.decode(token, public, algorithms=["RS256"])["acl"] == acl, "TOKEN_ACL")

        # Lifetimes Vonage would refuse never make a token.
        for ttl in ["59", "86401", "0", "-1", "an hour"]:
            code, out, stderr = mint(binary, key_file, "dave", TOKEN_TTL_SECONDS=ttl)
            check(code != 0 and not out and "TOKEN_TTL_SECONDS" in stderr, f"TTL {ttl}: {stderr}")

    if failures:
        print("check_tokens: FAILED", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"check_tokens: {COUNT} tokens verified by PyJWT with the public key, claim set equal to "
          f"vonage-jwt's, {len(jtis)} distinct jti; PKCS#1 key, TOKEN_ACL and TTL limits checked")


if __name__ == "__main__":
    main()
