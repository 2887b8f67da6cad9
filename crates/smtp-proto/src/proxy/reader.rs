//! [`ProxyHeaderReader`]: the header parser fed in pieces, with a bounded buffer.

use super::error::{ProxyError, WaitingFor};
use super::header::{ProxyHeader, ProxyVersion};
use super::{DETECT_LEN, detect, parse_header, v1, v2};

/// What one [`ProxyHeaderReader::feed`] achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fed {
    /// Every byte given was part of the header so far; feed more.
    NeedMore,
    /// The header is complete. It took `consumed` bytes of this feed's input; the rest of that
    /// input is the start of the SMTP session.
    Done {
        /// The header.
        header: ProxyHeader,
        /// Bytes of this feed's input that belonged to the header.
        consumed: usize,
    },
}

/// Collects a PROXY header from pieces of input.
///
/// It copies only bytes that belong to the header: never past a v1 line's LF nor past 107
/// bytes, never past a v2 header's declared length. After [`Fed::Done`] it is empty again.
#[derive(Clone, Debug, Default)]
pub struct ProxyHeaderReader {
    buf: Vec<u8>,
}

impl ProxyHeaderReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held so far.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes what it can from `input`. After an error the reader keeps what it held; drop it
    /// (the connection is to be closed anyway).
    pub fn feed(&mut self, input: &[u8]) -> Result<Fed, ProxyError> {
        let mut taken = 0;
        while let Some(remaining) = input.get(taken..).filter(|rest| !rest.is_empty()) {
            let step = self.step(remaining);
            self.buf.extend_from_slice(remaining.get(..step).unwrap_or(remaining));
            taken += step;
            if let Some((header, _)) = parse_header(&self.buf)? {
                self.buf.clear();
                return Ok(Fed::Done { header, consumed: taken });
            }
        }
        Ok(Fed::NeedMore)
    }

    /// The error to log when the peer closes the connection before the header is complete
    /// (aiosmtpd's "PROXY exception: ...").
    pub fn connection_closed(&self) -> ProxyError {
        ProxyError::ConnectionLost(match self.version() {
            None => WaitingFor::Signature,
            Some(ProxyVersion::V1) => WaitingFor::V1Line,
            Some(ProxyVersion::V2) if self.buf.len() < v2::FIXED_LEN => WaitingFor::V2Header,
            Some(ProxyVersion::V2) => WaitingFor::V2Tail,
        })
    }

    fn version(&self) -> Option<ProxyVersion> {
        detect(&self.buf).ok().flatten()
    }

    /// How many bytes of `remaining` can belong to the header (at least one).
    fn step(&self, remaining: &[u8]) -> usize {
        let wanted = match self.version() {
            None => DETECT_LEN.saturating_sub(self.buf.len()),
            Some(ProxyVersion::V1) => {
                let room = v1::MAX_V1_LEN.saturating_sub(self.buf.len());
                let window = remaining.get(..room).unwrap_or(remaining);
                memchr::memchr(b'\n', window).map_or(room, |lf| lf + 1)
            }
            Some(ProxyVersion::V2) => v2::bytes_wanted(&self.buf),
        };
        wanted.clamp(1, remaining.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_header_bytes() {
        let v2 = v2::tests::build(0x21, 0x11, &[1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]);
        let v1 = b"PROXY UNKNOWN\r\n".to_vec();
        for header_bytes in [v1, v2] {
            let mut input = header_bytes.clone();
            input.extend_from_slice(b"EHLO x\r\n");
            for piece in 1..input.len() {
                let mut reader = ProxyHeaderReader::new();
                let mut offset = 0;
                let result = loop {
                    let end = (offset + piece).min(input.len());
                    match reader.feed(&input[offset..end]).unwrap() {
                        Fed::NeedMore => {
                            assert_eq!(reader.buffered(), end);
                            offset = end;
                        }
                        Fed::Done { header, consumed } => break (header, offset + consumed),
                    }
                };
                assert_eq!(result.1, header_bytes.len(), "piece {piece}");
                assert_eq!(Some(result.0), parse_header(&header_bytes).unwrap().map(|(h, _)| h));
                assert_eq!(reader.buffered(), 0);
            }
        }
    }

    #[test]
    fn buffer_stays_bounded() {
        let mut reader = ProxyHeaderReader::new();
        assert_eq!(reader.feed(&[b'P'; 1]).map(|_| ()), Ok(()));
        let mut reader_v1 = ProxyHeaderReader::new();
        let flood = [b'x'; 1000];
        assert_eq!(reader_v1.feed(b"PROXY "), Ok(Fed::NeedMore));
        assert_eq!(reader_v1.feed(&flood), Err(ProxyError::V1TooLong));
        assert_eq!(reader_v1.buffered(), v1::MAX_V1_LEN);
        drop(reader);

        let mut reader_v2 = ProxyHeaderReader::new();
        let mut header = v2::tests::build(0x21, 0x00, &[]);
        header[14..16].copy_from_slice(&[0, 3]);
        assert_eq!(reader_v2.feed(&header), Ok(Fed::NeedMore));
        let outcome = reader_v2.feed(&[0x04, 0, 0, b'M', b'A', b'I', b'L']).unwrap();
        let Fed::Done { consumed, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(consumed, 3);
    }

    #[test]
    fn connection_closed_names_the_missing_part() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "PROXY exception: Connection lost while waiting for signature"),
            (b"PRO", "PROXY exception: Connection lost while waiting for signature"),
            (b"PROXY TCP4", "PROXY exception: Connection lost while waiting for PROXYv1 line"),
            (b"\r\n\r\n\0\r\nQ", "PROXY exception: Connection lost while waiting for header"),
            (
                b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x01",
                "PROXY exception: Connection lost while waiting for tail part",
            ),
        ];
        for (input, text) in cases {
            let mut reader = ProxyHeaderReader::new();
            assert_eq!(reader.feed(input), Ok(Fed::NeedMore));
            assert_eq!(reader.connection_closed().to_string(), *text);
        }
    }
}
