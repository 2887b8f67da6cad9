//! The client against scripted fake servers: pipelining, per-recipient results, HELO
//! fallback, refusals, timeouts, protocol errors, reuse of a broken connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::*;
use smtp_relay::client::{ClientConfig, SmtpTransport, Timeouts};
use smtp_relay::transport::{DeliveryError, TlsPolicy};

type Log = Arc<Mutex<Vec<Vec<u8>>>>;

fn log() -> Log {
    Arc::default()
}

fn lines(log: &Log) -> Vec<String> {
    log.lock().unwrap().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect()
}

#[tokio::test]
async fn with_pipelining_mail_rcpt_and_data_go_in_one_write() {
    let reads = log();
    let seen = Arc::clone(&reads);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let seen = Arc::clone(&seen);
        async move {
            peer.ehlo(&["PIPELINING", "SIZE 1000000"]).await;
            let got = peer.read_once().await;
            seen.lock().unwrap().push(got);
            peer.send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n").await;
            let got = peer.data().await;
            seen.lock().unwrap().push(got);
            peer.send("250 2.0.0 queued\r\n").await;
            peer.finish().await;
        }
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["bob@example.net", "nobody@example.net"], b"hi\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250, 550]);
    assert_eq!(report.recipients[0].reply.to_string(), "250 2.0.0 queued");
    assert_eq!(
        lines(&reads),
        [
            "MAIL FROM:<alice@example.com> SIZE=3\r\nRCPT TO:<bob@example.net>\r\n\
             RCPT TO:<nobody@example.net>\r\nDATA\r\n",
            "hi\r\n.\r\n",
        ]
    );
}

#[tokio::test]
async fn without_pipelining_each_command_waits_for_its_reply() {
    let reads = log();
    let seen = Arc::clone(&reads);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let seen = Arc::clone(&seen);
        async move {
            peer.ehlo(&["8BITMIME"]).await;
            for reply in ["250 ok\r\n", "250 ok\r\n", "354 go\r\n"] {
                let got = peer.read_once().await;
                seen.lock().unwrap().push(got);
                peer.send(reply).await;
            }
            peer.data().await;
            peer.send("250 queued\r\n").await;
            peer.finish().await;
        }
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"hi\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    assert_eq!(
        lines(&reads),
        ["MAIL FROM:<alice@example.com>\r\n", "RCPT TO:<bob@example.net>\r\n", "DATA\r\n"]
    );
}

#[tokio::test]
async fn each_recipient_gets_its_own_result() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        peer.ehlo(&[]).await;
        peer.expect("MAIL FROM:<alice@example.com>").await;
        peer.send("250 ok\r\n").await;
        for reply in
            ["550 5.1.1 unknown\r\n", "451 4.3.0 try later\r\n", "250 ok\r\n", "250 ok\r\n"]
        {
            peer.expect("RCPT TO:").await;
            peer.send(reply).await;
        }
        peer.expect("DATA").await;
        peer.send("354 go\r\n").await;
        peer.data().await;
        peer.send("250 2.0.0 queued as 42\r\n").await;
        peer.finish().await;
    })
    .await;
    let recipients =
        ["a@example.net", "b@example.net", "c@example.net", "bad address", "d@example.net"];
    let req = request(addr, TlsPolicy::Off, &recipients, b"x\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    let summary: Vec<(String, String)> =
        report.recipients.iter().map(|r| (r.recipient.clone(), r.reply.to_string())).collect();
    let want = [
        ("a@example.net", "550 5.1.1 unknown"),
        ("b@example.net", "451 4.3.0 try later"),
        ("c@example.net", "250 2.0.0 queued as 42"),
        // Never sent: not an RFC 5321 path.
        ("bad address", "553 5.1.3 Bad recipient address syntax"),
        ("d@example.net", "250 2.0.0 queued as 42"),
    ];
    let want: Vec<(String, String)> =
        want.iter().map(|(r, s)| ((*r).to_owned(), (*s).to_owned())).collect();
    assert_eq!(summary, want);
    let flags: Vec<(bool, bool)> =
        report.recipients.iter().map(|r| (r.delivered(), r.transient())).collect();
    assert_eq!(
        flags,
        [(false, false), (false, true), (true, false), (false, false), (true, false)]
    );
}

#[tokio::test]
async fn no_recipient_accepted_ends_the_transaction() {
    // Lock step: RSET instead of DATA.
    let reads = log();
    let seen = Arc::clone(&reads);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let seen = Arc::clone(&seen);
        async move {
            peer.ehlo(&[]).await;
            for reply in ["250 ok\r\n", "550 no\r\n", "550 no\r\n", "250 reset\r\n"] {
                let got = peer.read_once().await;
                seen.lock().unwrap().push(got);
                peer.send(reply).await;
            }
            peer.finish().await;
        }
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["a@example.net", "b@example.net"], b"x\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [550, 550]);
    assert_eq!(lines(&reads).last().unwrap(), "RSET\r\n");

    // Pipelined: the server refuses DATA itself; no data is sent.
    let reads = log();
    let seen = Arc::clone(&reads);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let seen = Arc::clone(&seen);
        async move {
            peer.ehlo(&["PIPELINING"]).await;
            peer.read_once().await;
            peer.send("250 ok\r\n550 no\r\n554 5.5.1 no valid recipients\r\n").await;
            let rest = peer.line().await;
            seen.lock().unwrap().push(rest.into_bytes());
            peer.finish().await;
        }
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["a@example.net"], b"x\r\n");
    let client = transport(Vec::new());
    let report = client.deliver(req).await.unwrap();
    assert_eq!(codes(&report), [550]);
    drop(client); // closes the kept connection: the server then sees EOF
    for _ in 0..500 {
        if !lines(&reads).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(lines(&reads), [""], "nothing after the refused DATA");
}

#[tokio::test]
async fn ehlo_refused_with_502_falls_back_to_helo() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        peer.send("220 old.test\r\n").await;
        peer.expect("EHLO relay.test").await;
        peer.send("502 5.5.2 what?\r\n").await;
        peer.expect("HELO relay.test").await;
        peer.send("250 old.test\r\n").await;
        // No extensions: no SIZE parameter, lock step.
        assert_eq!(peer.read_once().await, b"MAIL FROM:<alice@example.com>\r\n");
        peer.send("250 ok\r\n").await;
        peer.expect("RCPT TO:<bob@example.net>").await;
        peer.send("250 ok\r\n").await;
        peer.expect("DATA").await;
        peer.send("354 go\r\n").await;
        peer.data().await;
        peer.send("250 done\r\n").await;
        peer.finish().await;
    })
    .await;
    let req = request(addr, TlsPolicy::Opportunistic, &["bob@example.net"], b"x\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
}

/// Answers every line with 250 (354 to DATA, then the data's 250), recording the lines.
async fn answer_everything(mut peer: Peer, seen: Log) {
    loop {
        let line = peer.line().await;
        if line.is_empty() {
            return;
        }
        seen.lock().unwrap().push(line.clone().into_bytes());
        match line.as_str() {
            "QUIT" => peer.send("221 bye\r\n").await,
            "DATA" => {
                peer.send("354 go\r\n").await;
                peer.data().await;
                peer.send("250 queued\r\n").await;
            }
            _ => peer.send("250 ok\r\n").await,
        }
    }
}

#[tokio::test]
async fn refused_greetings_and_mail_are_refusals_transient_or_permanent() {
    let table = [
        ("554 5.7.1 go away\r\n", false, false),
        ("421 4.3.2 busy\r\n", true, false),
        ("550 5.7.1 sender blocked\r\n", false, true),
        ("451 4.3.0 later\r\n", true, true),
    ];
    for (reply, transient, at_mail) in table {
        let seen = log();
        let record = Arc::clone(&seen);
        let (addr, _count, _task) = fake_server(move |mut peer, _| {
            let record = Arc::clone(&record);
            async move {
                if at_mail {
                    peer.ehlo(&[]).await;
                    peer.expect("MAIL FROM:").await;
                }
                peer.send(reply).await;
                answer_everything(peer, record).await;
            }
        })
        .await;
        let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
        let error = transport(Vec::new()).deliver(req).await.unwrap_err();
        let DeliveryError::Refused(got) = &error else { panic!("{error:?}") };
        assert_eq!(got.to_string(), reply.trim_end());
        assert_eq!(error.is_transient(), transient, "{reply}");
        assert_eq!(lines(&seen), ["QUIT"], "after {reply:?} the client says goodbye");
    }
}

#[tokio::test]
async fn a_refused_data_command_answers_for_the_accepted_recipients() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        peer.ehlo(&[]).await;
        for reply in ["250 ok\r\n", "250 ok\r\n", "550 no\r\n", "451 4.3.1 out of disk\r\n"] {
            peer.line().await;
            peer.send(reply).await;
        }
        peer.finish().await;
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["a@example.net", "b@example.net"], b"x\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [451, 550]);
}

#[tokio::test]
async fn a_354_after_pipelined_refusals_gets_an_empty_message() {
    let reads = log();
    let seen = Arc::clone(&reads);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let seen = Arc::clone(&seen);
        async move {
            peer.ehlo(&["PIPELINING"]).await;
            peer.read_once().await;
            // A careless server: 354 although no recipient was accepted.
            peer.send("250 ok\r\n550 no\r\n354 go\r\n").await;
            let data = peer.data().await;
            seen.lock().unwrap().push(data);
            peer.send("554 no valid recipients\r\n").await;
            peer.finish().await;
        }
    })
    .await;
    let req = request(addr, TlsPolicy::Off, &["a@example.net"], b"the message\r\n");
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [550]);
    assert_eq!(lines(&reads), [".\r\n"], "the message itself never went out");
}

#[tokio::test]
async fn a_refused_starttls_goes_on_in_plain_text_only_when_opportunistic() {
    for (policy, delivers) in [(TlsPolicy::Opportunistic, true), (TlsPolicy::Required, false)] {
        let seen = log();
        let record = Arc::clone(&seen);
        let (addr, count, _task) = fake_server(move |mut peer, _| {
            let record = Arc::clone(&record);
            async move {
                peer.ehlo(&["STARTTLS"]).await;
                peer.expect("STARTTLS").await;
                peer.send("454 4.7.0 TLS not available\r\n").await;
                answer_everything(peer, record).await;
            }
        })
        .await;
        let req = request(addr, policy, &["bob@example.net"], b"x\r\n");
        let outcome = transport(Vec::new()).deliver(req).await;
        match outcome {
            Ok(report) if delivers => assert_eq!(codes(&report), [250]),
            Err(DeliveryError::Tls(message)) if !delivers => {
                assert!(message.contains("454"), "{message}");
                assert_eq!(lines(&seen), ["QUIT"]);
            }
            other => panic!("{policy:?}: {other:?}"),
        }
        assert_eq!(connections(&count), 1);
    }
}

#[tokio::test]
async fn garbage_and_dropped_connections_are_protocol_errors() {
    let table: [(&str, bool); 3] = [
        ("hello there\r\n", false),             // not a reply
        ("220-first\r\n221 second\r\n", false), // code changes mid-reply
        ("", true),                             // the server closes after EHLO
    ];
    for (greeting, close_after_ehlo) in table {
        let (addr, _count, _task) = fake_server(move |mut peer, _| async move {
            if close_after_ehlo {
                peer.send("220 ok\r\n").await;
                peer.expect("EHLO").await;
                return;
            }
            peer.send(greeting).await;
            peer.finish().await;
        })
        .await;
        let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
        let error = transport(Vec::new()).deliver(req).await.unwrap_err();
        assert!(matches!(error, DeliveryError::Protocol(_)), "{greeting:?}: {error:?}");
        assert!(error.is_transient());
    }
}

#[tokio::test]
async fn an_unreachable_host_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = transport(Vec::new())
        .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], b"x"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, DeliveryError::Connect { ref host, .. } if host == "127.0.0.1"),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_at_the_greeting_after_five_minutes() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        // Never greets; waits for the client to give up.
        peer.line().await;
    })
    .await;
    let client = SmtpTransport::new(ClientConfig::new("relay.test")).unwrap();
    let error = client
        .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], b"x"))
        .await
        .unwrap_err();
    match error {
        DeliveryError::Timeout { stage, after } => {
            assert_eq!((stage, after), ("greeting", Duration::from_secs(300)));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_stalls_after_the_data_times_out_at_data_termination() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        peer.ehlo(&["PIPELINING"]).await;
        peer.read_once().await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.data().await;
        // No final reply: wait for the client to close.
        peer.line().await;
    })
    .await;
    let mut config = ClientConfig::new("relay.test");
    config.timeouts = Timeouts {
        data_termination: Duration::from_millis(200),
        ..Timeouts::uniform(Duration::from_secs(10))
    };
    let client = SmtpTransport::new(config).unwrap();
    let error = client
        .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], b"x"))
        .await
        .unwrap_err();
    assert!(matches!(error, DeliveryError::Timeout { stage: "DATA termination", .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(client.idle_connections(), 0, "a timed-out connection is never kept");
}

#[tokio::test]
async fn a_broken_kept_connection_is_replaced_once() {
    let (addr, count, _task) = fake_server(|mut peer, index| async move {
        peer.ehlo(&[]).await;
        for reply in ["250 ok\r\n", "250 ok\r\n", "354 go\r\n"] {
            peer.line().await;
            peer.send(reply).await;
        }
        peer.data().await;
        peer.send("250 queued\r\n").await;
        if index == 0 {
            // The next use starts with RSET: hang up instead of answering.
            peer.expect("RSET").await;
            return;
        }
        peer.finish().await;
    })
    .await;
    let client = transport(Vec::new());
    for _ in 0..2 {
        let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
        assert_eq!(codes(&client.deliver(req).await.unwrap()), [250]);
    }
    assert_eq!(connections(&count), 2);
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test]
async fn kept_connections_expire_after_the_idle_timeout() {
    let (addr, count, _task) = fake_server(|mut peer, _| async move {
        peer.ehlo(&[]).await;
        loop {
            let line = peer.line().await;
            match line.as_str() {
                "" => return,
                "DATA" => {
                    peer.send("354 go\r\n").await;
                    peer.data().await;
                    peer.send("250 queued\r\n").await;
                }
                "QUIT" => peer.send("221 bye\r\n").await,
                _ => peer.send("250 ok\r\n").await,
            }
        }
    })
    .await;
    let client = transport(Vec::new());
    let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
    client.deliver(req.clone()).await.unwrap();
    assert_eq!(client.idle_connections(), 1);
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(client.idle_connections(), 0);
    tokio::time::resume();
    client.deliver(req).await.unwrap();
    assert_eq!(connections(&count), 2);
}

#[tokio::test]
async fn bytes_injected_after_the_starttls_reply_break_the_session() {
    let (addr, _count, _task) = fake_server(|mut peer, _| async move {
        peer.ehlo(&["STARTTLS"]).await;
        peer.expect("STARTTLS").await;
        peer.send("220 go ahead\r\n250 injected\r\n").await;
        peer.finish().await;
    })
    .await;
    let req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n");
    let error = transport(Vec::new()).deliver(req).await.unwrap_err();
    assert!(matches!(error, DeliveryError::Protocol(ref m) if m.contains("STARTTLS")), "{error:?}");
}
