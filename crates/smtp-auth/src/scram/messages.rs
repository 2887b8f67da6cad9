//! Parsing the SCRAM client messages (RFC 5802 §7).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::keys::KEY_LEN;

/// Why a client-first-message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ClientFirstError {
    /// It does not follow the grammar.
    Malformed,
    /// The client asked for channel binding (`p=`); this server offers no `-PLUS` variant.
    ChannelBindingNotSupported,
    /// A mandatory extension (`m=`), which RFC 5802 says must make the exchange fail.
    ExtensionNotSupported,
}

/// A parsed client-first-message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ClientFirst {
    /// The GS2 header as sent (`n,,`, `y,,`, `n,a=admin,`), echoed base64 in `c=`.
    pub gs2_header: String,
    /// The decoded authorization identity, when the header names one.
    pub authzid: Option<String>,
    /// The decoded user name.
    pub login: String,
    /// The client nonce.
    pub nonce: String,
    /// The client-first-message-bare, part of the AuthMessage.
    pub bare: String,
}

/// Parses `gs2-header client-first-message-bare`.
pub(super) fn parse_client_first(message: &[u8]) -> Result<ClientFirst, ClientFirstError> {
    let text = std::str::from_utf8(message).map_err(|_| ClientFirstError::Malformed)?;
    let (flag, rest) = text.split_once(',').ok_or(ClientFirstError::Malformed)?;
    match flag {
        "n" | "y" => {}
        _ if flag.starts_with("p=") => return Err(ClientFirstError::ChannelBindingNotSupported),
        _ => return Err(ClientFirstError::Malformed),
    }
    let (authzid, bare) = rest.split_once(',').ok_or(ClientFirstError::Malformed)?;
    let authzid = match authzid {
        "" => None,
        _ => Some(
            authzid
                .strip_prefix("a=")
                .and_then(decode_saslname)
                .ok_or(ClientFirstError::Malformed)?,
        ),
    };
    let gs2_header = text.get(..text.len() - bare.len()).ok_or(ClientFirstError::Malformed)?;
    let mut attributes = bare.split(',');
    let user = attributes.next().ok_or(ClientFirstError::Malformed)?;
    if user.starts_with("m=") {
        return Err(ClientFirstError::ExtensionNotSupported);
    }
    let login =
        user.strip_prefix("n=").and_then(decode_saslname).ok_or(ClientFirstError::Malformed)?;
    let nonce = attributes
        .next()
        .and_then(|attribute| attribute.strip_prefix("r="))
        .filter(|nonce| is_valid_nonce(nonce))
        .ok_or(ClientFirstError::Malformed)?;
    if !attributes.all(is_extension) {
        return Err(ClientFirstError::Malformed);
    }
    Ok(ClientFirst {
        gs2_header: gs2_header.to_owned(),
        authzid,
        login,
        nonce: nonce.to_owned(),
        bare: bare.to_owned(),
    })
}

/// A parsed client-final-message.
pub(super) struct ClientFinal {
    /// The decoded `c=` value: the GS2 header echoed (no channel-binding data here).
    pub channel_binding: Vec<u8>,
    /// The combined nonce the client echoes.
    pub nonce: String,
    /// The client proof.
    pub proof: Zeroizing<[u8; KEY_LEN]>,
    /// The client-final-message-without-proof, part of the AuthMessage.
    pub without_proof: String,
}

impl fmt::Debug for ClientFinal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientFinal").field("nonce", &self.nonce).finish_non_exhaustive()
    }
}

/// Parses `c=<base64>,r=<nonce>[,extensions],p=<base64 proof>`. `None` when malformed,
/// including a proof that is not 32 bytes.
pub(super) fn parse_client_final(message: &[u8]) -> Option<ClientFinal> {
    let text = std::str::from_utf8(message).ok()?;
    let (without_proof, proof) = text.rsplit_once(",p=")?;
    let proof = decode_proof(proof)?;
    let mut attributes = without_proof.split(',');
    let channel_binding = STANDARD.decode(attributes.next()?.strip_prefix("c=")?).ok()?;
    let nonce = attributes.next()?.strip_prefix("r=").filter(|nonce| is_valid_nonce(nonce))?;
    if !attributes.all(is_extension) {
        return None;
    }
    Some(ClientFinal {
        channel_binding,
        nonce: nonce.to_owned(),
        proof,
        without_proof: without_proof.to_owned(),
    })
}

fn decode_proof(text: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let decoded = Zeroizing::new(STANDARD.decode(text).ok()?);
    if decoded.len() != KEY_LEN {
        return None;
    }
    let mut proof = Zeroizing::new([0u8; KEY_LEN]);
    proof.iter_mut().zip(decoded.iter()).for_each(|(slot, byte)| *slot = *byte);
    Some(proof)
}

/// RFC 5802 `saslname`: UTF-8 without `,`; `=` only as `=2C` (`,`) or `=3D` (`=`). Not empty.
pub(crate) fn decode_saslname(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find('=') {
        decoded.push_str(rest.get(..position)?);
        let escape = rest.get(position..position + 3)?;
        decoded.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return None,
        });
        rest = rest.get(position + 3..)?;
    }
    decoded.push_str(rest);
    Some(decoded)
}

/// RFC 5802 `printable` nonce: `%x21-2B / %x2D-7E`, at least one character.
pub(super) fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.bytes().all(|byte| matches!(byte, 0x21..=0x2B | 0x2D..=0x7E))
}

/// An optional extension `attr=value` (ignored, but it must look like one).
fn is_extension(attribute: &str) -> bool {
    let mut bytes = attribute.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z')) && bytes.next() == Some(b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_first_messages() {
        let cases: [(&str, &str, Option<&str>, &str, &str); 5] = [
            ("n,,n=user,r=abc", "n,,", None, "user", "abc"),
            ("y,,n=user,r=abc", "y,,", None, "user", "abc"),
            ("n,a=admin,n=user,r=abc", "n,a=admin,", Some("admin"), "user", "abc"),
            ("n,a=a=3Db,n=x=2Cy=3D,r=abc,x=ext", "n,a=a=3Db,", Some("a=b"), "x,y=", "abc"),
            ("n,,n=üser,r=%hv)$", "n,,", None, "üser", "%hv)$"),
        ];
        for (message, header, authzid, login, nonce) in cases {
            let parsed = parse_client_first(message.as_bytes()).unwrap();
            assert_eq!(parsed.gs2_header, header, "{message}");
            assert_eq!(parsed.authzid.as_deref(), authzid, "{message}");
            assert_eq!((parsed.login.as_str(), parsed.nonce.as_str()), (login, nonce));
            assert_eq!(format!("{header}{}", parsed.bare), message);
        }
    }

    #[test]
    fn client_first_refusals() {
        use ClientFirstError::*;
        let cases: [(&[u8], ClientFirstError); 16] = [
            (b"", Malformed),
            (b"n", Malformed),
            (b"n,", Malformed),
            (b"n,,", Malformed),
            (b"x,,n=user,r=abc", Malformed),
            (b"N,,n=user,r=abc", Malformed),
            (b"p=tls-unique,,n=user,r=abc", ChannelBindingNotSupported),
            (b"n,,m=ext,n=user,r=abc", ExtensionNotSupported),
            (b"n,b=admin,n=user,r=abc", Malformed),
            (b"n,,n=,r=abc", Malformed),
            (b"n,,n=us=2Xer,r=abc", Malformed),
            (b"n,,n=user,r=", Malformed),
            (b"n,,n=user,r=a b", Malformed),
            (b"n,,r=abc,n=user", Malformed),
            (b"n,,n=user,r=abc,,", Malformed),
            (b"n,,n=\xff,r=abc", Malformed),
        ];
        for (message, expected) in cases {
            assert_eq!(parse_client_first(message), Err(expected), "{message:?}");
        }
    }

    #[test]
    fn client_final_messages() {
        let proof = STANDARD.encode([7u8; KEY_LEN]);
        let message = format!("c=biws,r=abcdef,p={proof}");
        let parsed = parse_client_final(message.as_bytes()).unwrap();
        assert_eq!(parsed.channel_binding, b"n,,");
        assert_eq!(parsed.nonce, "abcdef");
        assert_eq!(*parsed.proof, [7u8; KEY_LEN]);
        assert_eq!(parsed.without_proof, "c=biws,r=abcdef");
        let shown = format!("{parsed:?}");
        assert!(!shown.contains(&proof) && !shown.contains("7, 7"), "{shown}");
        let extended = format!("c=biws,r=abcdef,x=1,p={proof}");
        assert_eq!(
            parse_client_final(extended.as_bytes()).unwrap().without_proof,
            "c=biws,r=abcdef,x=1"
        );

        let short = STANDARD.encode([7u8; 31]);
        let malformed = [
            String::new(),
            "c=biws,r=abcdef".into(),
            format!("c=biws,r=abcdef,p={short}"),
            "c=biws,r=abcdef,p=not base64!".into(),
            format!("r=abcdef,c=biws,p={proof}"),
            format!("c=bi!s,r=abcdef,p={proof}"),
            format!("c=biws,r=,p={proof}"),
            format!("c=biws,p={proof}"),
            format!("c=biws,r=abc,1=x,p={proof}"),
        ];
        for message in malformed {
            assert!(parse_client_final(message.as_bytes()).is_none(), "{message}");
        }
    }
}
