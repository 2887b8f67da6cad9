//! Source routes (`@relay1,@relay2:`, RFC 5321 §4.1.2 and Appendix C): checked, then dropped.

use super::find::split_around;
use super::{AddressError, AddressLimits, Domain};

/// Checks and drops an `A-d-l ":"` source route (`@relay1,@relay2:`) at the start of `path`.
pub(super) fn skip_source_route<'a>(
    path: &'a str,
    limits: &AddressLimits,
) -> Result<&'a str, AddressError> {
    let mut rest = path;
    if !rest.starts_with('@') {
        return Ok(rest);
    }
    while let Some(after_at) = rest.strip_prefix('@') {
        let end = route_domain_end(after_at).ok_or(AddressError::Malformed)?;
        let (domain, after) = split_around(after_at, end);
        Domain::parse_limited(domain, limits.max_domain)?;
        if after_at.as_bytes().get(end) == Some(&b':') {
            return Ok(after);
        }
        rest = after;
    }
    Err(AddressError::Malformed)
}

/// The index of the `,` or `:` after a source-route domain (skipping an address literal,
/// whose IPv6 form holds colons).
fn route_domain_end(text: &str) -> Option<usize> {
    let start = if text.starts_with('[') { text.find(']')? } else { 0 };
    text.get(start..)?.find([',', ':']).map(|index| start + index)
}
