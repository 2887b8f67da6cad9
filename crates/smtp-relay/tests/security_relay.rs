//! The relayer's security suite, one test per attack: open relay (and a configuration sweep
//! showing `RelayConfig` cannot be made to accept unauthenticated mail), AUTH before TLS,
//! forged senders, address-literal recipients, and AUTH brute force. Moved here from
//! `tests/relay_end_to_end.rs` (split per attack, assertions kept) and extended.
#![allow(clippy::unwrap_used)]

mod relay_support;

use std::net::SocketAddr;

use relay_support::{
    ALICE, Dialogue, PASSWORD, TempDir, free_port, plain_response, relay_addr, relay_cert_path,
    relay_config, start_relay,
};
use smtp_relay::RelayConfig;
use smtp_relay::smtp_server::ServerConfig;
use smtp_relay::submission::LiteralRecipients;

/// A change to a relay configuration that might loosen authentication.
type Loosen = fn(&mut RelayConfig);

/// A relay with routes nowhere reachable (nothing may leave in these tests).
async fn relay(name: &str) -> (TempDir, smtp_relay::RelayHandle) {
    let dir = TempDir::new(name);
    let relay = start_relay(relay_config(dir.path(), &[("example.net", free_port())])).await;
    (dir, relay)
}

/// Nothing was queued.
async fn assert_queue_empty(relay: &smtp_relay::RelayHandle) {
    let queued = relay.scheduler().list().await.unwrap();
    assert!(queued.is_empty(), "queued: {queued:#?}");
}

/// The envelope commands an open relay would accept; each must get `530 5.7.0`.
async fn assert_no_mail_without_auth(client: &mut Dialogue, when: &str) {
    for command in [format!("MAIL FROM:<{ALICE}>"), "MAIL FROM:<>".to_owned()] {
        let reply = client.cmd(&command).await;
        assert!(reply.starts_with("530 5.7.0"), "{when}: {command}: {reply}");
    }
    let reply = client.cmd("RCPT TO:<bob@example.net>").await;
    assert!(reply.starts_with("530 5.7.0"), "{when}: RCPT: {reply}");
    let reply = client.cmd("DATA").await;
    assert!(reply.starts_with("530 5.7.0"), "{when}: DATA: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_open_relay_unauthenticated_mail_gets_530_before_and_after_tls() {
    let (_dir, relay) = relay("open-relay").await;
    let (addr, cert) = (relay_addr(&relay), relay_cert_path(&relay));
    let mut plain = Dialogue::connect(addr).await;
    plain.cmd("EHLO client.test").await;
    let cases = [
        (format!("MAIL FROM:<{ALICE}>"), "530 5.7.0"),
        ("RCPT TO:<bob@example.net>".to_owned(), "530 5.7.0"),
    ];
    for (command, expected) in &cases {
        let reply = plain.cmd(command).await;
        assert!(reply.starts_with(expected), "{command}: {reply}");
    }
    assert_no_mail_without_auth(&mut plain, "before TLS").await;

    // Under TLS but not authenticated: still no mail.
    let mut tls = plain.starttls(&cert).await;
    let ehlo = tls.cmd("EHLO client.test").await;
    assert!(ehlo.contains("AUTH LOGIN PLAIN") || ehlo.contains("AUTH PLAIN LOGIN"), "{ehlo}");
    let reply = tls.cmd(&format!("MAIL FROM:<{ALICE}>")).await;
    assert!(reply.starts_with("530 5.7.0"), "{reply}");
    assert_no_mail_without_auth(&mut tls, "under TLS").await;
    assert_queue_empty(&relay).await;
    relay.shutdown().await;
}

/// Every setting that looks like it could loosen authentication, alone and together: the
/// relay still answers unauthenticated MAIL, RCPT and DATA with `530 5.7.0`, before and
/// after STARTTLS, and queues nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_open_relay_configuration_sweep_cannot_disable_authentication() {
    let loosened: Vec<(&str, Loosen)> = vec![
        ("auth_required off", |c| c.server.auth_required = false),
        ("auth_require_tls off", |c| c.server.auth_require_tls = false),
        ("no authenticator", |c| c.server.authenticator = None),
        ("require_starttls", |c| c.server.require_starttls = true),
        ("no AUTH failures allowed", |c| c.server.max_auth_failures = 0),
        ("PLAIN and LOGIN excluded", |c| {
            c.server.auth_exclude_mechanism = vec!["PLAIN".into(), "LOGIN".into()];
        }),
        ("literal recipients allowed", |c| c.literal_recipients = LiteralRecipients::Allow),
        ("an implicit-TLS listener", |c| {
            c.smtps_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        }),
    ];
    // `no AUTH failures allowed` and the exclusions would hide a missing check behind a
    // refused AUTH: the combination keeps only the settings about who may send.
    let all: Vec<Loosen> = loosened
        .iter()
        .map(|(_, f)| *f)
        .filter(|f| {
            let mut probe = RelayConfig::default();
            f(&mut probe);
            probe.server.max_auth_failures != 0 && probe.server.auth_exclude_mechanism.is_empty()
        })
        .collect();
    let mut sweep: Vec<(&str, Vec<Loosen>)> =
        loosened.into_iter().map(|(name, f)| (name, vec![f])).collect();
    sweep.push(("all of them", all));

    for (name, loosenings) in sweep {
        let dir = TempDir::new("sweep");
        let mut config = relay_config(dir.path(), &[("example.net", free_port())]);
        config.server =
            ServerConfig { auth_required: true, auth_require_tls: true, ..config.server };
        loosenings.iter().for_each(|loosen| loosen(&mut config));
        let relay = start_relay(config).await;
        let (addr, cert) = (relay_addr(&relay), relay_cert_path(&relay));
        let mut plain = Dialogue::connect(addr).await;
        assert!(plain.greeting.starts_with("220"), "{name}: {}", plain.greeting);
        let ehlo = plain.cmd("EHLO client.test").await;
        assert!(!ehlo.contains("AUTH"), "{name}: AUTH offered before TLS: {ehlo}");
        let reply = plain.cmd(&format!("MAIL FROM:<{ALICE}>")).await;
        assert!(reply.starts_with("530 5.7.0"), "{name}: unauthenticated MAIL before TLS: {reply}");
        let mut tls = plain.starttls(&cert).await;
        tls.cmd("EHLO client.test").await;
        assert_no_mail_without_auth(&mut tls, name).await;
        assert_queue_empty(&relay).await;
        relay.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_auth_before_tls_is_refused_and_not_offered() {
    let (_dir, relay) = relay("auth-before-tls").await;
    let mut plain = Dialogue::connect(relay_addr(&relay)).await;
    let ehlo = plain.cmd("EHLO client.test").await;
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    for command in [
        format!("AUTH PLAIN {}", plain_response(ALICE, PASSWORD)),
        "AUTH LOGIN".to_owned(),
        "AUTH PLAIN".to_owned(),
    ] {
        let reply = plain.cmd(&command).await;
        assert!(reply.starts_with("538 5.7.11"), "{command}: {reply}");
    }
    // The right password in plain text did not authenticate anything.
    let reply = plain.cmd(&format!("MAIL FROM:<{ALICE}>")).await;
    assert!(reply.starts_with("530 5.7.0"), "{reply}");
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_wrong_sender_gets_553_5_7_1() {
    let (_dir, relay) = relay("wrong-sender").await;
    let mut alice =
        Dialogue::authenticated(relay_addr(&relay), &relay_cert_path(&relay), ALICE, PASSWORD)
            .await;
    let cases = [
        (
            "MAIL FROM:<mallory@example.com>",
            "553 5.7.1 Sender address not owned by user alice@example.com",
        ),
        ("MAIL FROM:<>", "553 5.7.1 Sender address not owned by user alice@example.com"),
        ("MAIL FROM:<alice@example.com.evil>", "553 5.7.1"),
        // Local parts are case-sensitive (RFC 5321 §2.4), domains are not.
        ("MAIL FROM:<ALICE@example.com>", "553 5.7.1"),
        ("MAIL FROM:<alice@EXAMPLE.com>", "250 2.1.0"),
    ];
    for (command, expected) in cases {
        let reply = alice.cmd(command).await;
        assert!(reply.starts_with(expected), "{command}: {reply}");
        if reply.starts_with("250") {
            alice.cmd("RSET").await;
        }
    }
    assert_queue_empty(&relay).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_address_literal_recipients_are_refused() {
    let (_dir, relay) = relay("literals").await;
    let mut alice =
        Dialogue::authenticated(relay_addr(&relay), &relay_cert_path(&relay), ALICE, PASSWORD)
            .await;
    let cases = [
        ("MAIL FROM:<alice@example.com>", "250 2.1.0"),
        ("RCPT TO:<root@[127.0.0.1]>", "550 5.7.1 Address literal recipients are not relayed"),
        ("RCPT TO:<root@[IPv6:::1]>", "550 5.7.1 Address literal recipients are not relayed"),
        ("RCPT TO:<root@[10.0.0.1]>", "550 5.7.1 Address literal recipients are not relayed"),
        ("RCPT TO:<Postmaster>", "550 5.1.1"),
        ("RCPT TO:<bob@example.net>", "250 2.1.5"),
    ];
    for (command, expected) in cases {
        let reply = alice.cmd(command).await;
        assert!(reply.starts_with(expected), "{command}: {reply}");
    }
    relay.shutdown().await;
}

/// The third failure is followed by `421 4.7.0` and the close, on every connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_auth_brute_force_closes_with_421() {
    let (_dir, relay) = relay("brute-force").await;
    let (addr, cert) = (relay_addr(&relay), relay_cert_path(&relay));
    for round in 0..2 {
        let mut plain = Dialogue::connect(addr).await;
        plain.cmd("EHLO client.test").await;
        let mut tls = plain.starttls(&cert).await;
        tls.cmd("EHLO client.test").await;
        for attempt in 1..=3 {
            let reply = tls.cmd(&format!("AUTH PLAIN {}", plain_response(ALICE, "wrong"))).await;
            assert!(reply.starts_with("535 5.7.8"), "round {round}, attempt {attempt}: {reply}");
        }
        let closing = tls.reply().await;
        assert!(closing.starts_with("421 4.7.0"), "{closing}");
        assert_eq!(tls.reply().await, "", "the connection is closed");
    }
    // The budget is per connection: the right password on a fresh one is accepted (235).
    let _alice = Dialogue::authenticated(addr, &cert, ALICE, PASSWORD).await;
    relay.shutdown().await;
}
