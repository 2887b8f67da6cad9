#!/usr/bin/env python3
"""Drives a running smtpd with Python's smtplib, a client no one on this project wrote.

Usage: smtplib_client.py --port PORT SCENARIO < MESSAGE

The message to send is read, as bytes, from standard input (the Rust test that started the
server writes it, and then compares it with what was delivered). Each scenario sends it once
(or tries to) and prints one JSON line describing what the client saw. Every socket operation
has a timeout, and only 127.0.0.1 is contacted.
"""

import argparse
import json
import smtplib
import ssl
import sys

HOST = "127.0.0.1"
TIMEOUT = 10
USER = "alice"
PASSWORD = "wonderland"


def tls_context():
    # The test server uses a throwaway self-signed certificate.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def plain_sendmail(port, data):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        refused = client.sendmail(
            "alice@example.com", ["bob@example.com", "carol@example.com"], data
        )
        return {"refused": sorted(refused), "esmtp": sorted(client.esmtp_features)}


def starttls_auth(port, data, mechanism):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        before = client.has_extn("auth")
        client.starttls(context=tls_context())
        client.ehlo("client.example")
        offered = client.esmtp_features.get("auth", "").split()
        client.user, client.password = USER, PASSWORD
        authenticator = {
            "PLAIN": client.auth_plain,
            "LOGIN": client.auth_login,
            "CRAM-MD5": client.auth_cram_md5,
        }[mechanism]
        code, _ = client.auth(mechanism, authenticator)
        refused = client.sendmail("alice@example.com", ["bob@example.com"], data)
        return {
            "auth_before_tls": before,
            "auth_offered": offered,
            "auth_code": code,
            "refused": sorted(refused),
        }


def wrong_password(port, data):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        client.starttls(context=tls_context())
        client.ehlo("client.example")
        client.user, client.password = USER, "not-the-password"
        result = {}
        try:
            code, _ = client.auth("PLAIN", client.auth_plain)
            result["auth_code"] = code
        except smtplib.SMTPAuthenticationError as error:
            result["auth_code"] = error.smtp_code
        try:
            client.sendmail("alice@example.com", ["bob@example.com"], data)
            result["send_code"] = 250
        except smtplib.SMTPSenderRefused as error:
            result["send_code"] = error.smtp_code
        return result


def smtputf8(port, data):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        refused = client.sendmail(
            "jörg@example.com", ["zoë@example.com"], data, mail_options=["SMTPUTF8"]
        )
        return {"smtputf8": client.has_extn("smtputf8"), "refused": sorted(refused)}


def eight_bit(port, data):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        refused = client.sendmail(
            "alice@example.com", ["bob@example.com"], data, mail_options=["BODY=8BITMIME"]
        )
        return {"eightbitmime": client.has_extn("8bitmime"), "refused": sorted(refused)}


SCENARIOS = {
    "plain": plain_sendmail,
    "starttls-plain": lambda port, data: starttls_auth(port, data, "PLAIN"),
    "starttls-login": lambda port, data: starttls_auth(port, data, "LOGIN"),
    "starttls-cram-md5": lambda port, data: starttls_auth(port, data, "CRAM-MD5"),
    "wrong-password": wrong_password,
    "smtputf8": smtputf8,
    "8bit": eight_bit,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    data = sys.stdin.buffer.read()
    try:
        result = SCENARIOS[args.scenario](args.port, data)
    except (smtplib.SMTPException, OSError) as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
