//! `serve`: a thin layer over `Relay::start`.

use std::error::Error;
use std::time::Duration;

use smtpd::auth::Secret;
use smtpd::relay::Relay;
use smtpd::relay::delivery::RetryPolicy;
use smtpd::relay::relay::{Fallback, RelayConfig, TlsSource};
use smtpd::relay::route::StaticRouter;
use smtpd::relay::transport::{Destination, SmarthostCredentials, TlsPolicy};
use smtpd::server::server::BoundAddr;

use crate::cli::{ServeArgs, SmarthostTls};
use crate::password::read_password;

/// The environment variable holding the smarthost password.
pub const SMARTHOST_PASSWORD_VAR: &str = "RELAYER_SMARTHOST_PASSWORD";

/// Runs the relay until SIGINT or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), Box<dyn Error>> {
    let config = config_from(&args)?;
    let data_dir = config.data_dir.clone();
    let relay = Relay::start(config).await?;
    for addr in relay.local_addrs() {
        match addr {
            BoundAddr::ImplicitTls(addr) => println!("listening on {addr} (implicit TLS)"),
            other => println!("listening on {other} (STARTTLS, then AUTH PLAIN or LOGIN)"),
        }
    }
    println!("data directory: {}", data_dir.display());
    if relay.users().list_users().await?.is_empty() {
        println!(
            "no users yet; add one (the password is asked for):\n  \
             cargo run --release --example authenticated_relayer -- user add alice@example.com --data-dir {}",
            data_dir.display()
        );
    }
    let trigger = relay.shutdown_trigger();
    tokio::spawn(async move {
        wait_for_signal().await;
        println!("shutting down");
        trigger.trigger();
    });
    relay.wait().await;
    Ok(())
}

/// SIGINT or SIGTERM.
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The relay settings for the command line.
pub fn config_from(args: &ServeArgs) -> Result<RelayConfig, Box<dyn Error>> {
    let mut config = RelayConfig {
        data_dir: args.data.data_dir.clone(),
        listen: args.listen,
        smtps_listen: args.smtps_listen,
        routes: StaticRouter::parse(args.routes.iter().map(String::as_str))?,
        proxy_protocol: args.proxy_protocol.then_some(Duration::from_secs(10)),
        retry: RetryPolicy {
            first_retry: Duration::from_secs(args.retry_seconds.max(1)),
            ..RetryPolicy::default()
        },
        ..RelayConfig::default()
    };
    if let Some(hostname) = &args.hostname {
        config.hostname = hostname.clone();
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = TlsSource::Files { cert: cert.clone(), key: key.clone() };
    }
    if let Some(smarthost) = &args.smarthost {
        let credentials = match &args.smarthost_user {
            Some(login) => {
                Some(SmarthostCredentials { login: login.clone(), password: smarthost_password()? })
            }
            None => None,
        };
        config.fallback = Fallback::Smarthost {
            destination: destination(smarthost, args.smarthost_tls)?,
            credentials,
        };
    }
    Ok(config)
}

/// The smarthost password: the environment variable, else standard input or a prompt.
fn smarthost_password() -> Result<Secret, Box<dyn Error>> {
    if let Ok(password) = std::env::var(SMARTHOST_PASSWORD_VAR) {
        return Ok(Secret::from(password));
    }
    Ok(read_password("Smarthost password: ", false)?)
}

/// `HOST:PORT` (`[v6]:PORT` for IPv6) as a destination.
pub fn destination(text: &str, tls: SmarthostTls) -> Result<Destination, Box<dyn Error>> {
    let (host, port) =
        text.rsplit_once(':').ok_or_else(|| format!("--smarthost {text:?}: expected HOST:PORT"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port: u16 = port.parse().map_err(|_| format!("--smarthost {text:?}: bad port"))?;
    if host.is_empty() || port == 0 {
        return Err(format!("--smarthost {text:?}: expected HOST:PORT").into());
    }
    let tls = match tls {
        SmarthostTls::Required => TlsPolicy::Required,
        SmarthostTls::Opportunistic => TlsPolicy::Opportunistic,
        SmarthostTls::Off => TlsPolicy::Off,
        SmarthostTls::Implicit => TlsPolicy::Implicit,
    };
    Ok(Destination { host: host.to_owned(), port, tls_name: host.to_owned(), tls })
}
