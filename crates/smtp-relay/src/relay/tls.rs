//! The relay's TLS configuration: from the operator's PEM files, or a self-signed
//! certificate generated once and kept in the data directory.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::Path;
use std::sync::Arc;

use smtp_server::tls::{TlsError, load_pem_files, self_signed};

use super::config::{DataDir, TlsSource};
use super::error::RelayError;

/// The server TLS configuration for `source`; for [`TlsSource::SelfSigned`] the certificate
/// files in `data` are created on first use (key mode 0600) and reused afterwards.
pub(crate) fn server_tls(
    source: &TlsSource,
    data: &DataDir,
    hostname: &str,
) -> Result<Arc<rustls::ServerConfig>, RelayError> {
    match source {
        TlsSource::Files { cert, key } => Ok(load_pem_files(cert, key)?),
        TlsSource::SelfSigned => {
            let (cert, key) = (data.cert(), data.key());
            if !cert.exists() || !key.exists() {
                generate(&cert, &key, hostname)?;
            }
            Ok(load_pem_files(&cert, &key)?)
        }
    }
}

/// Generates a self-signed certificate and writes both files (the key first, 0600).
fn generate(cert: &Path, key: &Path, hostname: &str) -> Result<(), RelayError> {
    let generated = match self_signed(hostname) {
        Ok(generated) => generated,
        // A host name that is no DNS name still gets a certificate for localhost.
        Err(TlsError::Generate(_)) => self_signed("localhost")?,
        Err(other) => return Err(other.into()),
    };
    let io_error = |what: &'static str| move |source| RelayError::Io { what, source };
    if let Some(dir) = cert.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_error("creating the TLS directory"))?;
    }
    write_private(key, generated.key_pem.as_bytes()).map_err(io_error("writing the TLS key"))?;
    fs::write(cert, generated.cert_pem.as_bytes())
        .map_err(io_error("writing the TLS certificate"))?;
    tracing::info!(certificate = %cert.display(), "generated a self-signed TLS certificate");
    Ok(())
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file =
        fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn the_self_signed_certificate_is_made_once_and_kept_private() {
        let root = std::env::temp_dir().join(format!("relay-tls-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let data = DataDir(root.clone());
        server_tls(&TlsSource::SelfSigned, &data, "relay.example").unwrap();
        let first = fs::read(data.cert()).unwrap();
        let mode = fs::metadata(data.key()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        server_tls(&TlsSource::SelfSigned, &data, "relay.example").unwrap();
        assert_eq!(fs::read(data.cert()).unwrap(), first, "reused after a restart");
        // A host name that is no DNS name falls back to localhost.
        let other = DataDir(root.join("other"));
        server_tls(&TlsSource::SelfSigned, &other, "bad name!").unwrap();
        fs::remove_dir_all(root).unwrap();
    }
}
