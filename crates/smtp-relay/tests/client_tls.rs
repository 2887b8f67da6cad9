//! STARTTLS policies, certificate verification, implicit TLS and AUTH towards a smarthost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use std::sync::{Arc, Mutex};

use client_support::*;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use smtp_relay::smtp_server::ServerConfig;
use smtp_relay::smtp_server::smtp_auth::MemoryAuthenticator;
use smtp_relay::transport::{DeliveryError, TlsPolicy};

fn tls_server(ca: &TestCa) -> ServerConfig {
    ServerConfig { tls: Some(ca.server_tls(&["localhost"])), ..server_config() }
}

#[tokio::test]
async fn required_tls_with_a_trusted_certificate_delivers_under_tls() {
    let ca = TestCa::new();
    let (_server, recorder, addr) = start_server(tls_server(&ca)).await;
    let req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"secret\r\n");
    let report = transport(vec![ca.cert.clone()]).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    let got = recorder.messages().pop().unwrap();
    assert!(got.tls);
    assert_eq!(got.content, b"secret\r\n");
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_failure_unless_opportunistic() {
    let ca = TestCa::new();
    let other = TestCa::new();
    let (_server, recorder, addr) = start_server(tls_server(&ca)).await;
    let client = transport(vec![other.cert.clone()]);

    let req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n");
    let error = client.deliver(req).await.unwrap_err();
    assert!(matches!(error, DeliveryError::Tls(_)), "{error:?}");
    assert!(error.is_transient());
    assert!(recorder.messages().is_empty());

    // Opportunistic: the failed handshake is retried once in plain text.
    let req = request(addr, TlsPolicy::Opportunistic, &["bob@example.net"], b"x\r\n");
    let report = client.deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    assert!(!recorder.messages().pop().unwrap().tls);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let ca = TestCa::new();
    let config =
        ServerConfig { tls: Some(ca.server_tls(&["mx.elsewhere.test"])), ..server_config() };
    let (_server, _recorder, addr) = start_server(config).await;
    let req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n");
    let error = transport(vec![ca.cert.clone()]).deliver(req).await.unwrap_err();
    assert!(matches!(error, DeliveryError::Tls(_)), "{error:?}");
}

#[tokio::test]
async fn starttls_not_offered_fails_required_and_goes_plain_when_opportunistic() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let client = transport(Vec::new());
    let error = client
        .deliver(request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n"))
        .await
        .unwrap_err();
    assert!(matches!(error, DeliveryError::Tls(ref m) if m.contains("STARTTLS")), "{error:?}");
    assert!(recorder.messages().is_empty());

    for policy in [TlsPolicy::Opportunistic, TlsPolicy::Off] {
        let report =
            client.deliver(request(addr, policy, &["bob@example.net"], b"x\r\n")).await.unwrap();
        assert_eq!(codes(&report), [250]);
        assert!(!recorder.messages().pop().unwrap().tls);
    }
}

#[tokio::test]
async fn off_never_starts_tls_even_when_offered() {
    let ca = TestCa::new();
    let (_server, recorder, addr) = start_server(tls_server(&ca)).await;
    let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
    transport(vec![ca.cert.clone()]).deliver(req).await.unwrap();
    assert!(!recorder.messages()[0].tls);
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let ca = TestCa::new();
    let (_server, recorder, addr) = start_listener(tls_server(&ca), true).await;
    let req = request(addr, TlsPolicy::Implicit, &["bob@example.net"], b"x\r\n");
    let report = transport(vec![ca.cert.clone()]).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    assert!(recorder.messages()[0].tls);
}

#[tokio::test]
async fn credentials_are_never_sent_without_tls() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = Arc::clone(&seen);
    let (addr, _count, _task) = fake_server(move |mut peer, _| {
        let record = Arc::clone(&record);
        async move {
            peer.ehlo(&["AUTH PLAIN LOGIN", "PIPELINING"]).await;
            loop {
                let line = peer.line().await;
                if line.is_empty() {
                    return;
                }
                let reply = if line == "QUIT" { "221 bye\r\n" } else { "250 ok\r\n" };
                record.lock().unwrap().push(line);
                peer.send(reply).await;
            }
        }
    })
    .await;
    let client = transport(Vec::new());
    for policy in [TlsPolicy::Opportunistic, TlsPolicy::Off] {
        let mut req = request(addr, policy, &["bob@example.net"], b"x\r\n");
        req.credentials = Some(credentials("alice", "wonderland"));
        let error = client.deliver(req).await.unwrap_err();
        assert!(matches!(error, DeliveryError::Tls(_)), "{policy:?}: {error:?}");
    }
    let lines = seen.lock().unwrap().clone();
    assert!(lines.iter().all(|line| line == "QUIT"), "{lines:?}");
}

/// Our server with TLS from `smtp_server::tls::self_signed`, trusted via `extra_roots`, and a
/// user alice / wonderland; `exclude` mechanisms not offered.
async fn auth_server(
    exclude: &[&str],
) -> (smtp_relay::smtp_server::ServerHandle, Recorder, std::net::SocketAddr, CertificateDer<'static>)
{
    let generated = smtp_relay::smtp_server::tls::self_signed("localhost").unwrap();
    let cert = CertificateDer::from_pem_slice(generated.cert_pem.as_bytes()).unwrap();
    let config = ServerConfig {
        tls: Some(generated.config),
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_required: true,
        auth_exclude_mechanism: exclude.iter().map(|m| (*m).to_owned()).collect(),
        ..server_config()
    };
    let (handle, recorder, addr) = start_server(config).await;
    (handle, recorder, addr, cert)
}

#[tokio::test]
async fn auth_plain_and_login_log_in_to_our_server() {
    for exclude in [&[][..], &["PLAIN"]] {
        let (_server, recorder, addr, cert) = auth_server(exclude).await;
        let mut req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n");
        req.credentials = Some(credentials("alice", "wonderland"));
        let report = transport(vec![cert]).deliver(req).await.unwrap();
        assert_eq!(codes(&report), [250], "without {exclude:?}");
        let got = recorder.messages().pop().unwrap();
        assert_eq!(got.login.as_deref(), Some("alice"), "without {exclude:?}");
        assert!(got.tls);
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_permanent_refusal() {
    for exclude in [&[][..], &["PLAIN"]] {
        let (_server, recorder, addr, cert) = auth_server(exclude).await;
        let mut req = request(addr, TlsPolicy::Opportunistic, &["bob@example.net"], b"x\r\n");
        req.credentials = Some(credentials("alice", "looking-glass"));
        let error = transport(vec![cert]).deliver(req).await.unwrap_err();
        let DeliveryError::Refused(reply) = &error else { panic!("{error:?}") };
        assert_eq!(reply.code().get(), 535, "{reply}");
        assert!(!error.is_transient());
        assert!(recorder.messages().is_empty());
    }
}

#[tokio::test]
async fn kept_connections_are_per_credentials() {
    let (_server, recorder, addr, cert) = auth_server(&[]).await;
    let client = transport(vec![cert]);
    for password in ["wonderland", "wonderland", "looking-glass"] {
        let mut req = request(addr, TlsPolicy::Required, &["bob@example.net"], b"x\r\n");
        req.credentials = Some(credentials("alice", password));
        let outcome = client.deliver(req).await;
        // The wrong password must not ride on alice's authenticated connection.
        assert_eq!(outcome.is_ok(), password == "wonderland", "{password}: {outcome:?}");
    }
    let sessions: Vec<u64> = recorder.messages().iter().map(|m| m.session).collect();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0], sessions[1]);
}
