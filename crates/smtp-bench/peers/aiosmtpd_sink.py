"""aiosmtpd's Sink handler on HOST:PORT, for `cargo xtask bench`.

    python aiosmtpd_sink.py HOST PORT [--auth USER:PASS] [--tls CERT KEY]

With --auth, AUTH PLAIN/LOGIN is offered without TLS and the authenticator checks the user
name and password for real. With --tls, STARTTLS is offered (not required).
"""

import argparse
import asyncio
import hmac
import ssl
import sys

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def make_authenticator(user, password):
    user_b, password_b = user.encode(), password.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, user_b)
            and hmac.compare_digest(auth_data.password, password_b)
        )
        return AuthResult(success=ok)

    return authenticator


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--auth")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()

    kwargs = {"hostname": "localhost"}
    if args.auth:
        user, _, password = args.auth.partition(":")
        kwargs["authenticator"] = make_authenticator(user, password)
        kwargs["auth_require_tls"] = False
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls[0], args.tls[1])
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = False

    handler = Sink()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, **kwargs), args.host, args.port, backlog=4096)
    )
    print(f"aiosmtpd-sink: listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
