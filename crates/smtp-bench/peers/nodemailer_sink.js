// nodemailer's smtp-server accepting every message and discarding it, for `cargo xtask bench`.
//
//   node nodemailer_sink.js HOST PORT [--auth USER:PASS] [--tls CERT KEY]
//
// With --auth, AUTH PLAIN/LOGIN is offered without TLS and onAuth checks the user name and
// password. With --tls, STARTTLS uses that certificate (secure: false, so no implicit TLS).
// Reverse DNS lookups are off: the benchmark measures SMTP, not the resolver.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { SMTPServer } = require('smtp-server');

const argv = process.argv.slice(2);
const host = argv[0];
const port = Number(argv[1]);
let auth = null;
let tls = null;
for (let i = 2; i < argv.length; i++) {
  if (argv[i] === '--auth') {
    const spec = argv[++i];
    const colon = spec.indexOf(':');
    auth = { user: spec.slice(0, colon), password: spec.slice(colon + 1) };
  } else if (argv[i] === '--tls') {
    tls = { cert: fs.readFileSync(argv[++i]), key: fs.readFileSync(argv[++i]) };
  }
}

const same = (a, b) => {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

const options = {
  secure: false,
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: auth ? [] : ['AUTH'],
  hideSTARTTLS: !tls,
  onAuth(credentials, session, callback) {
    if (auth && same(credentials.username, auth.user) && same(credentials.password, auth.password)) {
      callback(null, { user: credentials.username });
    } else {
      callback(new Error('Invalid username or password'));
    }
  },
  onData(stream, session, callback) {
    stream.on('end', () => callback());
    stream.resume();
  },
};
if (tls) {
  options.key = tls.key;
  options.cert = tls.cert;
}

const server = new SMTPServer(options);
server.on('error', (err) => console.error('nodemailer-sink:', err.message));
server.listen(port, host, () => console.error(`nodemailer-sink: listening on ${host}:${port}`));
