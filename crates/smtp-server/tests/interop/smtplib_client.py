#!/usr/bin/env python3
"""Drives a running smtpd with Python's smtplib, a client no one on this project wrote.

Usage: smtplib_client.py --port PORT SCENARIO

Each scenario sends one message (or tries to) and prints one JSON line describing what the
client saw, for the Rust test that started the server to compare with what was delivered.
Every socket operation has a timeout, and only 127.0.0.1 is contacted.
"""

import argparse
import json
import smtplib
import ssl
import sys
from email.message import EmailMessage

HOST = "127.0.0.1"
TIMEOUT = 10


def tls_context():
    # The test server uses a throwaway self-signed certificate.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def message(sender, recipient, subject, body):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def plain_sendmail(port):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        refused = client.sendmail(
            "alice@example.com",
            ["bob@example.com", "carol@example.com"],
            b"Subject: plain\r\n\r\nline one\r\n.leading dot\r\n",
        )
        return {"refused": sorted(refused), "esmtp": sorted(client.esmtp_features)}


def starttls_auth(port, mechanism):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        before = "auth" in client.esmtp_features
        client.starttls(context=tls_context())
        client.ehlo("client.example")
        client.user, client.password = "alice", "wonderland"
        authenticator = {
            "PLAIN": client.auth_plain,
            "LOGIN": client.auth_login,
            "CRAM-MD5": client.auth_cram_md5,
        }[mechanism]
        code, _ = client.auth(mechanism, authenticator)
        client.send_message(
            message("alice@example.com", "bob@example.com", f"via {mechanism}", "authenticated\n")
        )
        return {"auth_before_tls": before, "auth_code": code}


def wrong_password(port):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.starttls(context=tls_context())
        try:
            client.login("alice", "not-the-password")
        except smtplib.SMTPAuthenticationError as error:
            return {"auth_code": error.smtp_code}
        return {"auth_code": 235}


def smtputf8(port):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        msg = message("jörg@example.com", "zoë@example.com", "Grüße", "8-bit body: ünïcödé\n")
        client.send_message(msg, mail_options=["SMTPUTF8"])
        return {"smtputf8": client.has_extn("smtputf8")}


def eight_bit(port):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        msg = EmailMessage()
        msg["From"] = "alice@example.com"
        msg["To"] = "bob@example.com"
        msg["Subject"] = "8bit"
        msg.set_content("naïve café\n", cte="8bit")
        client.send_message(msg)
        return {"eightbitmime": client.has_extn("8bitmime")}


SCENARIOS = {
    "plain": plain_sendmail,
    "starttls-plain": lambda port: starttls_auth(port, "PLAIN"),
    "starttls-login": lambda port: starttls_auth(port, "LOGIN"),
    "starttls-cram-md5": lambda port: starttls_auth(port, "CRAM-MD5"),
    "wrong-password": wrong_password,
    "smtputf8": smtputf8,
    "8bit": eight_bit,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    try:
        result = SCENARIOS[args.scenario](args.port)
    except (smtplib.SMTPException, OSError) as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
