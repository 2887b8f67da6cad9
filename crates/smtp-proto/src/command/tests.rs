//! Second-level tables, pipelined input through the line reader, and fuzz-style properties.

use proptest::prelude::*;

use super::*;
use crate::address::{ForwardPath, ReversePath};
use crate::line::{LineEvent, LineReader};

/// HELO session (the default context).
fn helo() -> ParseContext {
    ParseContext::default()
}

/// EHLO session, SIZE offered, SMTPUTF8 not.
fn esmtp() -> ParseContext {
    ParseContext { extended: true, size_offered: true, ..ParseContext::default() }
}

/// EHLO session with SMTPUTF8 offered.
fn utf8() -> ParseContext {
    ParseContext { smtputf8: true, ..esmtp() }
}

/// EHLO session inside a transaction whose MAIL carried SMTPUTF8.
fn utf8_transaction() -> ParseContext {
    ParseContext { utf8_transaction: true, ..utf8() }
}

/// A compact rendering of a parse result: the reply text, or the command's essentials.
fn outcome(line: &str, ctx: &ParseContext) -> String {
    match Command::parse(line.as_bytes(), ctx) {
        Err(reply) => reply.to_string(),
        Ok(command) => describe(&command),
    }
}

fn describe(command: &Command<'_>) -> String {
    match command {
        Command::Helo { host } | Command::Ehlo { host } | Command::Lhlo { host } => {
            format!("{} {host}", command.verb())
        }
        Command::Mail(mail) => {
            let path = match &mail.path {
                ReversePath::Null => "<>".to_owned(),
                ReversePath::Mailbox(mailbox) => mailbox.to_string(),
            };
            let p = &mail.params;
            let unknown: Vec<_> = p.unknown.iter().map(|u| u.keyword).collect();
            format!(
                "MAIL {path} size={:?} body={:?} utf8={} unknown={unknown:?}",
                p.size, p.body, p.smtputf8
            )
        }
        Command::Rcpt(rcpt) => {
            let path = match &rcpt.path {
                ForwardPath::Postmaster => "Postmaster".to_owned(),
                ForwardPath::Mailbox(mailbox) => mailbox.to_string(),
            };
            format!("RCPT {path} notify={:?}", rcpt.params.notify)
        }
        Command::Bdat(chunk) => format!("BDAT {} last={}", chunk.size, chunk.last),
        Command::Noop(arg) | Command::Expn(arg) => format!("{} {arg:?}", command.verb()),
        Command::Vrfy(VrfyTarget::Mailbox(mailbox)) => format!("VRFY mailbox {mailbox}"),
        Command::Vrfy(VrfyTarget::Unparsed(text)) => format!("VRFY unparsed {text}"),
        Command::Help(topic) => format!("HELP {topic:?}"),
        Command::Auth(auth) => format!("AUTH {} {:?}", auth.mechanism, auth.initial_response),
        Command::Data | Command::Rset | Command::Quit | Command::StartTls => {
            command.verb().to_string()
        }
    }
}

#[test]
fn greeting_and_argument_free_commands() {
    let cases = [
        ("HELO", "501 5.5.4 Syntax: HELO hostname"),
        ("EHLO", "501 5.5.4 Syntax: EHLO hostname"),
        ("LHLO   ", "501 5.5.4 Syntax: LHLO hostname"),
        ("HELO a b", "HELO a b"),
        ("ehlo client.example", "EHLO client.example"),
        ("LHLO client.example", "LHLO client.example"),
        ("DATA", "DATA"),
        ("DATA x", "501 5.5.4 Syntax: DATA"),
        ("RSET x", "501 5.5.4 Syntax: RSET"),
        ("QUIT now", "501 5.5.4 Syntax: QUIT"),
        ("STARTTLS x", "501 5.5.4 Syntax: STARTTLS"),
        ("quit", "QUIT"),
        ("starttls", "STARTTLS"),
        ("NOOP", "NOOP None"),
        ("NOOP hello there", "NOOP Some(\"hello there\")"),
        ("EXPN", "EXPN None"),
        ("EXPN staff", "EXPN Some(\"staff\")"),
        ("HELP", "HELP None"),
        ("help mail", "HELP Some(Ok(Mail))"),
        ("HELP foo bar", "HELP Some(Err(UnknownVerb(\"foo bar\")))"),
        ("XYZZY", "500 5.5.2 Error: command \"XYZZY\" not recognized"),
        ("", "500 5.5.2 Error: bad syntax"),
        (" NOOP", "500 5.5.2 Error: command \"\" not recognized"),
    ];
    for (line, expected) in cases {
        assert_eq!(outcome(line, &helo()), expected, "line {line:?}");
        assert_eq!(outcome(line, &esmtp()), expected, "line {line:?} (esmtp)");
    }
}

#[test]
fn vrfy_auth_bdat() {
    let bdat_syntax = "501 5.5.4 Syntax: BDAT chunk-size [LAST]";
    let cases = [
        ("VRFY", "501 5.5.4 Syntax: VRFY <address>"),
        ("VRFY alice@example.com", "VRFY mailbox alice@example.com"),
        ("VRFY <alice@example.com>", "VRFY mailbox alice@example.com"),
        ("VRFY @@", "VRFY unparsed @@"),
        ("VRFY <@x>", "VRFY unparsed <@x>"),
        ("AUTH", "501 5.5.4 Not enough value"),
        ("AUTH PLAIN", "AUTH PLAIN None"),
        ("AUTH plain =", "AUTH plain Some(\"=\")"),
        ("AUTH XUNKNOWN abc", "AUTH XUNKNOWN Some(\"abc\")"),
        ("AUTH PLAIN  AGFsaWNl\t", "AUTH PLAIN Some(\"AGFsaWNl\")"),
        ("AUTH PLAIN a b", "501 5.5.4 Too many values"),
        ("BDAT 100", "BDAT 100 last=false"),
        ("bdat 0 last", "BDAT 0 last=true"),
        ("BDAT 18446744073709551615 LAST", "BDAT 18446744073709551615 last=true"),
        ("BDAT", bdat_syntax),
        ("BDAT x", bdat_syntax),
        ("BDAT -1", bdat_syntax),
        ("BDAT +1", bdat_syntax),
        ("BDAT 1 MORE", bdat_syntax),
        ("BDAT 1 LAST x", bdat_syntax),
        ("BDAT 18446744073709551616", bdat_syntax),
    ];
    for (line, expected) in cases {
        assert_eq!(outcome(line, &esmtp()), expected, "line {line:?}");
    }
}

#[test]
fn mail_from() {
    let syntax = "501 5.5.4 Syntax: MAIL FROM: <address>";
    let esyntax = "501 5.5.4 Syntax: MAIL FROM: <address> [SP <mail-parameters>]";
    let malformed = "553 5.1.3 Error: malformed address";
    let needs_utf8 = "553 5.6.7 Error: non-ASCII address requires SMTPUTF8";
    let alice = "MAIL alice@example.com size=None body=None utf8=false unknown=[]";
    let cases: &[(&str, ParseContext, &str)] = &[
        ("MAIL", helo(), syntax),
        ("MAIL", esmtp(), esyntax),
        ("MAIL <alice@example.com>", esmtp(), esyntax),
        ("MAIL TO:<alice@example.com>", esmtp(), esyntax),
        ("MAIL FROM:", esmtp(), esyntax),
        ("MAIL FROM:   ", esmtp(), esyntax),
        ("MAIL FROM:<alice@example.com>", helo(), alice),
        ("mail from:<alice@example.com>", esmtp(), alice),
        ("MAIL FROM: <alice@example.com>", esmtp(), alice),
        ("MAIL FROM:alice@example.com", esmtp(), alice),
        ("MAIL FROM:<>", helo(), "MAIL <> size=None body=None utf8=false unknown=[]"),
        ("MAIL FROM:<@x>", esmtp(), malformed),
        ("MAIL FROM:<alice@example.com> SIZE=100", helo(), syntax),
        (
            "MAIL FROM:<alice@example.com> SIZE=100 BODY=8BITMIME",
            esmtp(),
            "MAIL alice@example.com size=Some(100) body=Some(EightBitMime) utf8=false unknown=[]",
        ),
        (
            "MAIL FROM:<alice@example.com> X-FOO=1 FOO=BAR",
            esmtp(),
            "MAIL alice@example.com size=None body=None utf8=false unknown=[\"X-FOO\", \"FOO\"]",
        ),
        ("MAIL FROM:<alice@example.com> SIZE = 10", esmtp(), esyntax),
        ("MAIL FROM:<alice@example.com> SIZE=abc", esmtp(), esyntax),
        ("MAIL FROM:<alice@example.com> SMTPUTF8", esmtp(), "501 5.5.4 Error: SMTPUTF8 disabled"),
        (
            "MAIL FROM:<alice@example.com> BODY=8BITMIME BODY=7BIT",
            esmtp(),
            "501 5.5.4 Error: duplicate parameter BODY",
        ),
        ("MAIL FROM:<jörg@example.com>", esmtp(), "500 5.5.2 Error: strict ASCII mode"),
        ("MAIL FROM:<jörg@example.com>", utf8(), needs_utf8),
        (
            "MAIL FROM:<jörg@example.com> SMTPUTF8",
            utf8(),
            "MAIL jörg@example.com size=None body=None utf8=true unknown=[]",
        ),
        ("MAIL FROM:<> SMTPUTF8", utf8(), "MAIL <> size=None body=None utf8=true unknown=[]"),
    ];
    for (line, ctx, expected) in cases {
        assert_eq!(outcome(line, ctx), *expected, "line {line:?}");
    }
}

#[test]
fn rcpt_to() {
    let syntax = "501 5.5.4 Syntax: RCPT TO: <address>";
    let esyntax = "501 5.5.4 Syntax: RCPT TO: <address> [SP <mail-parameters>]";
    let malformed = "553 5.1.3 Error: malformed address";
    let cases: &[(&str, ParseContext, &str)] = &[
        ("RCPT", helo(), syntax),
        ("RCPT", esmtp(), esyntax),
        ("RCPT TO:", esmtp(), esyntax),
        ("RCPT FROM:<bob@example.com>", esmtp(), esyntax),
        ("RCPT TO:<>", esmtp(), malformed),
        ("RCPT TO: <> NOTIFY=NEVER", esmtp(), malformed),
        ("RCPT TO:<bob@@example.com>", esmtp(), malformed),
        ("rcpt to:<bob@example.com>", esmtp(), "RCPT bob@example.com notify=None"),
        ("RCPT TO: bob@example.com", esmtp(), "RCPT bob@example.com notify=None"),
        ("RCPT TO:<Postmaster>", helo(), "RCPT Postmaster notify=None"),
        (
            "RCPT TO:<bob@example.com> NOTIFY=NEVER",
            esmtp(),
            "RCPT bob@example.com notify=Some(Never)",
        ),
        ("RCPT TO:<bob@example.com> NOTIFY=NEVER", helo(), syntax),
        (
            "RCPT TO:<bob@example.com> NOTIFY=NEVER,DELAY",
            esmtp(),
            "501 5.5.4 Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY",
        ),
        ("RCPT TO:<bob@example.com> =x", esmtp(), esyntax),
        (
            "RCPT TO:<ñandú@example.com>",
            utf8(),
            "553 5.6.7 Error: non-ASCII address requires SMTPUTF8",
        ),
        ("RCPT TO:<ñandú@example.com>", utf8_transaction(), "RCPT ñandú@example.com notify=None"),
    ];
    for (line, ctx, expected) in cases {
        assert_eq!(outcome(line, ctx), *expected, "line {line:?}");
    }
}

/// Runs a byte stream, fed in `chunks`, through a LineReader and the two-level parser with
/// the per-verb length check, as the server will; returns one outcome per line.
fn converse(chunks: &[&[u8]], ctx: &ParseContext) -> Vec<String> {
    let mut reader = LineReader::new(ctx.reader_limit());
    let mut buffer = Vec::new();
    let mut outcomes = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        loop {
            let framed = reader.next_line(&buffer);
            let text = match framed.event {
                None => None,
                Some(LineEvent::TooLong) => Some(Reply::command_too_long().to_string()),
                Some(LineEvent::Line(line)) => Some(match CommandLine::parse(line, ctx) {
                    Err(reply) => reply.to_string(),
                    Ok(parsed) if line.len() > parsed.max_line_len(ctx) => {
                        Reply::command_too_long().to_string()
                    }
                    Ok(parsed) => {
                        parsed.command(ctx).map_or_else(|reply| reply.to_string(), |c| describe(&c))
                    }
                }),
            };
            buffer.drain(..framed.consumed);
            match text {
                Some(text) => outcomes.push(text),
                None => break,
            }
        }
    }
    outcomes
}

#[test]
fn pipelined_and_split_input() {
    let stream = b"EHLO client.example\r\nMAIL FROM:<a@example.com> SIZE=10 BODY=7BIT\r\nRCPT TO:<b@example.com>\r\nDATA\r\nQUIT\r\n";
    let expected = [
        "EHLO client.example",
        "MAIL a@example.com size=Some(10) body=Some(SevenBit) utf8=false unknown=[]",
        "RCPT b@example.com notify=None",
        "DATA",
        "QUIT",
    ];
    assert_eq!(converse(&[stream], &esmtp()), expected);
    let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(converse(&bytewise, &esmtp()), expected);
    assert_eq!(converse(&[b"NO", b"OP\r", b"\n"], &helo()), ["NOOP None"]);
}

#[test]
fn line_limits() {
    let too_long = "500 5.5.2 Command line too long";
    let noop = |n: usize| format!("NOOP {}\r\n", "x".repeat(n)).into_bytes();
    assert_eq!(converse(&[&noop(507)], &helo()), [format!("NOOP Some({:?})", "x".repeat(507))]);
    assert_eq!(converse(&[&noop(508), b"NOOP\r\n"], &helo()), [too_long, "NOOP None"]);
    // MAIL may be 538 long after EHLO with SIZE; other verbs stay at 512.
    let mail = |n: usize| format!("MAIL FROM:<{}@example.com>\r\n", "a".repeat(n)).into_bytes();
    let rcpt = |n: usize| format!("RCPT TO:<{}@example.com>\r\n", "a".repeat(n)).into_bytes();
    let limits = ParseContext {
        address_limits: crate::address::AddressLimits {
            max_local_part: 1000,
            max_domain: 255,
            max_path: 2000,
        },
        ..esmtp()
    };
    let ok = converse(&[&mail(514)], &limits);
    assert!(ok[0].starts_with("MAIL aaa"), "{ok:?}");
    assert_eq!(converse(&[&mail(515)], &limits), [too_long]);
    assert_eq!(converse(&[&rcpt(491)], &limits), [too_long]);
    assert!(converse(&[&rcpt(490)], &limits)[0].starts_with("RCPT aaa"));
    let utf8_limits = ParseContext { smtputf8: true, ..limits };
    assert!(converse(&[&mail(524)], &utf8_limits)[0].starts_with("MAIL aaa"));
    assert_eq!(converse(&[&mail(525)], &utf8_limits), [too_long]);
    // AUTH with an initial response may use the SASL limit; other verbs may not.
    let auth = |n: usize| format!("AUTH PLAIN {}\r\n", "A".repeat(n)).into_bytes();
    assert_eq!(
        converse(&[&auth(12_277)], &esmtp()),
        [format!("AUTH PLAIN Some({:?})", "A".repeat(12_277))]
    );
    assert_eq!(converse(&[&auth(12_278)], &esmtp()), [too_long]);
    assert_eq!(converse(&[&noop(1000)], &esmtp()), [too_long]);
}

#[test]
fn million_byte_line_then_a_command() {
    let mut stream = b"NOOP ".to_vec();
    stream.extend(std::iter::repeat_n(b'x', 1_000_000));
    stream.extend_from_slice(b"\r\nQUIT\r\n");
    let chunks: Vec<&[u8]> = stream.chunks(4096).collect();
    assert_eq!(converse(&chunks, &esmtp()), ["500 5.5.2 Command line too long", "QUIT"]);
}

fn contexts() -> [ParseContext; 4] {
    [helo(), esmtp(), utf8(), utf8_transaction()]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
        for ctx in contexts() {
            if let Ok(command) = Command::parse(&line, &ctx) {
                // A command is only ever recognised from its own verb at the start of the line.
                let verb = command.verb().as_str().as_bytes();
                prop_assert!(line.get(..verb.len()).is_some_and(|head| head.eq_ignore_ascii_case(verb)));
            }
        }
    }

    #[test]
    fn known_verbs_with_hostile_arguments_never_panic(
        verb in proptest::sample::select(Verb::ALL.to_vec()),
        prefix in proptest::sample::select(vec!["", "FROM:", "TO:", "from: <", "TO:<>", "1 "]),
        tail in proptest::collection::vec(
            prop_oneof![Just(b'<'), Just(b'>'), Just(b'@'), Just(b'='), Just(b' '), Just(b'+'), Just(0u8), any::<u8>()],
            0..80,
        ),
    ) {
        let line = [verb.as_str().as_bytes(), b" ", prefix.as_bytes(), &tail].concat();
        for ctx in contexts() {
            if let Err(reply) = Command::parse(&line, &ctx) {
                // Every refusal is a permanent error a client can act on.
                prop_assert!(reply.code().is_permanent(), "{reply}");
            }
        }
    }

    #[test]
    fn stream_of_arbitrary_bytes_never_panics(
        stream in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..2000),
        piece in 1usize..600,
    ) {
        let chunks: Vec<&[u8]> = stream.chunks(piece).collect();
        let outcomes = converse(&chunks, &utf8());
        // One outcome per LF-terminated line, plus at most one for an over-long unfinished tail.
        let lines = stream.iter().filter(|&&b| b == b'\n').count();
        prop_assert!(outcomes.len() == lines || outcomes.len() == lines + 1);
    }
}
