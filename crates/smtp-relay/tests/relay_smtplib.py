"""Submits the message on standard input to the relay with Python's smtplib: STARTTLS
(verifying the relay's certificate against --cafile), AUTH with the given mechanism, one
message. Prints one JSON line: the replies. The password comes from RELAY_PASSWORD."""
import argparse
import json
import os
import smtplib
import ssl
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cafile", required=True)
parser.add_argument("--mechanism", choices=["PLAIN", "LOGIN"], required=True)
parser.add_argument("--user", required=True)
parser.add_argument("--sender", required=True)
parser.add_argument("--to", action="append", required=True)
args = parser.parse_args()

message = sys.stdin.buffer.read()
context = ssl.create_default_context(cafile=args.cafile)
context.check_hostname = True
with smtplib.SMTP("localhost", args.port, timeout=30) as client:
    client.ehlo("smtplib.test")
    offered_before_tls = client.has_extn("auth")
    client.starttls(context=context)
    client.ehlo("smtplib.test")
    client.user, client.password = args.user, os.environ["RELAY_PASSWORD"]
    method = client.auth_plain if args.mechanism == "PLAIN" else client.auth_login
    auth = client.auth(args.mechanism, method, initial_response_ok=args.mechanism == "PLAIN")
    mail = client.mail(args.sender)
    rcpts = [client.rcpt(to) for to in args.to]
    data = client.data(message)
print(json.dumps({
    "auth_before_tls": offered_before_tls,
    "auth": auth[0],
    "mail": mail[0],
    "rcpt": [code for code, _ in rcpts],
    "data": [data[0], data[1].decode()],
}))
