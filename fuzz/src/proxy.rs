//! The `proxy` target: [`parse_header`] on the whole payload and on its prefixes, and
//! [`ProxyHeaderReader`] fed the payload in fuzzed pieces.
//!
//! Invariants: no panic; a header that parses from the whole payload parses the same, with
//! the same length, from the reader at any split, and every shorter prefix asks for more; an
//! error is the same error from the reader; "need more" from the whole payload is "need more"
//! from the reader; the reader never holds more than the header's bytes.

use smtp_proto::proxy::{Fed, MAX_V1_LEN, MAX_V2_LEN, ProxyHeaderReader, parse_header};

use crate::knobs::Knobs;

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let whole = parse_header(knobs.payload);
    let mut reader = ProxyHeaderReader::new();
    let mut offset = 0;
    let mut fed = None;
    for piece in knobs.pieces() {
        match reader.feed(piece) {
            Ok(Fed::NeedMore) => {
                offset += piece.len();
                assert_eq!(reader.buffered(), offset, "the reader dropped or invented bytes");
                assert!(reader.buffered() <= MAX_V1_LEN.max(MAX_V2_LEN));
                let prefix = knobs.payload.get(..offset).unwrap_or_default();
                assert_eq!(parse_header(prefix), Ok(None), "a prefix the reader took is final");
            }
            Ok(Fed::Done { header, consumed }) => {
                assert!(consumed <= piece.len());
                assert_eq!(reader.buffered(), 0);
                fed = Some(Ok((header, offset + consumed)));
                break;
            }
            Err(error) => {
                fed = Some(Err(error));
                break;
            }
        }
    }
    match (whole, fed) {
        (Ok(None), None) => {}
        (Ok(Some(expected)), Some(Ok(got))) => assert_eq!(expected, got),
        (Err(expected), Some(Err(got))) => assert_eq!(expected, got),
        (whole, fed) => panic!("whole payload gave {whole:?}, the pieces {fed:?}"),
    }
}
