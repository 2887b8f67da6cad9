//! The incremental DATA decoder: a small state machine over CR, LF and leading dots, with
//! `memchr` doing the scanning inside lines.

use memchr::memchr2;

use super::{BareLineEndingPolicy, DataError, DataLimits, MessageStats};

/// What one call to [`DataDecoder::decode`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeStatus {
    /// All the input was consumed and the end of data has not been seen yet.
    NeedMore,
    /// The end-of-data line was consumed; it ends at `consumed`. Bytes after it were not
    /// consumed: they are the next command.
    Finished {
        /// Bytes of the input consumed, the end-of-data line included.
        consumed: usize,
    },
}

/// Where the decoder is, relative to lines and the end-of-data marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// At the start of a line: the start of the body, or right after a CRLF.
    LineStart,
    /// Right after a dot at the start of a line; the dot is not part of the message.
    Dot,
    /// After `.` CR at the start of a line. The CR is held back: an LF now ends the data.
    DotCr,
    /// Inside a line.
    InLine,
    /// Inside a line, right after a CR (already part of the pending run).
    Cr,
    /// The end-of-data line has been consumed.
    Ended,
}

/// A refusal and the stream offset of the octet that caused it; the earliest one wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Refusal {
    at: u64,
    error: DataError,
}

/// Decodes the bytes a client sends after `354`: finds the end of data, removes the stuffing
/// dots, applies the [`DataLimits`]. See the [module docs](super) for the rules.
///
/// One decoder per message; it is fed in as many pieces as the bytes arrive.
#[derive(Clone, Debug)]
pub struct DataDecoder {
    limits: DataLimits,
    scan: Scan,
    /// Stream offset of the first byte of the current input.
    offset: u64,
    /// Stream offset of the first byte of the current line.
    line_start: u64,
    /// Message octets produced so far (also those not handed out after a refusal).
    size: u64,
    bare_line_endings: u64,
    refusal: Option<Refusal>,
}

const CR: &[u8] = b"\r";
const LF: &[u8] = b"\n";

impl DataDecoder {
    /// A decoder for one message, at the start of its body.
    pub fn new(limits: DataLimits) -> Self {
        Self {
            limits,
            scan: Scan::LineStart,
            offset: 0,
            line_start: 0,
            size: 0,
            bare_line_endings: 0,
            refusal: None,
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> DataLimits {
        self.limits
    }

    /// Whether the end of data has been consumed.
    pub fn is_finished(&self) -> bool {
        self.scan == Scan::Ended
    }

    /// Decodes as much of `input` as possible, handing the message bytes to `sink` in runs
    /// borrowed from `input` (a stuffing dot splits a run; normalising adds one-byte runs).
    ///
    /// Returns [`DecodeStatus::NeedMore`] when all of `input` was consumed without reaching the
    /// end of data, or [`DecodeStatus::Finished`] with the bytes consumed up to and including
    /// the end-of-data line. Once the message is refused, nothing more reaches `sink`; decoding
    /// goes on to the end of data. After the end, nothing more is consumed.
    pub fn decode(&mut self, input: &[u8], mut sink: impl FnMut(&[u8])) -> DecodeStatus {
        let mut pos = 0;
        // input[run..pos] is message data not handed out yet.
        let mut run = 0;
        while let Some(&byte) = input.get(pos) {
            match self.scan {
                Scan::Ended => return DecodeStatus::Finished { consumed: 0 },
                Scan::LineStart => {
                    if byte == b'.' {
                        self.emit_range(input, run, pos, &mut sink);
                        run = pos + 1;
                        pos += 1;
                        self.scan = Scan::Dot;
                    } else {
                        self.scan = Scan::InLine;
                    }
                }
                Scan::Dot => {
                    if byte == b'\r' {
                        pos += 1;
                        self.scan = Scan::DotCr;
                    } else {
                        self.scan = Scan::InLine;
                    }
                }
                Scan::DotCr => {
                    if byte == b'\n' {
                        pos += 1;
                        self.scan = Scan::Ended;
                        self.offset += pos as u64;
                        return DecodeStatus::Finished { consumed: pos };
                    }
                    if pos == 0 {
                        // The held-back CR ended the previous input.
                        self.emit(CR, self.offset.saturating_sub(1), &mut sink);
                    }
                    self.bare_cr(input, &mut run, pos, &mut sink);
                    self.scan = Scan::InLine;
                }
                Scan::InLine => {
                    let rest = input.get(pos..).unwrap_or_default();
                    match memchr2(b'\r', b'\n', rest) {
                        None => pos = input.len(),
                        Some(found) => {
                            let at = pos + found;
                            pos = at + 1;
                            if input.get(at) == Some(&b'\r') {
                                self.scan = Scan::Cr;
                            } else {
                                self.bare_lf(input, &mut run, at, &mut sink);
                            }
                        }
                    }
                }
                Scan::Cr => {
                    if byte == b'\n' {
                        pos += 1;
                        self.end_line(self.offset + pos as u64);
                        self.scan = Scan::LineStart;
                    } else {
                        self.bare_cr(input, &mut run, pos, &mut sink);
                        self.scan = Scan::InLine;
                    }
                }
            }
        }
        match self.scan {
            Scan::Ended => return DecodeStatus::Finished { consumed: 0 },
            // The CR is held back, and it is all that is pending: the run was handed out at
            // the dot.
            Scan::DotCr => {}
            Scan::LineStart | Scan::Dot => self.emit_range(input, run, input.len(), &mut sink),
            Scan::InLine | Scan::Cr => {
                self.emit_range(input, run, input.len(), &mut sink);
                self.check_line_len(self.offset + input.len() as u64);
            }
        }
        self.offset += input.len() as u64;
        DecodeStatus::NeedMore
    }

    /// After the end of data: the figures of the accepted message, or why it is refused (the
    /// first limit that tripped, in stream order). `None` while the end has not been reached.
    pub fn finish(&self) -> Option<Result<MessageStats, DataError>> {
        if self.scan != Scan::Ended {
            return None;
        }
        Some(match self.refusal {
            Some(refusal) => Err(refusal.error),
            None => Ok(MessageStats {
                size: self.size,
                wire_size: self.offset,
                bare_line_endings: self.bare_line_endings,
            }),
        })
    }

    /// A bare CR at `pos - 1` (of this input, or the last byte of the previous one); it is
    /// already part of the pending run.
    fn bare_cr(&mut self, input: &[u8], run: &mut usize, pos: usize, sink: &mut impl FnMut(&[u8])) {
        let at = (self.offset + pos as u64).saturating_sub(1);
        self.bare_line_endings += 1;
        match self.limits.bare_line_endings {
            BareLineEndingPolicy::Keep => {}
            BareLineEndingPolicy::Normalize => {
                self.emit_range(input, *run, pos, sink);
                self.emit(LF, at, sink);
                *run = pos;
            }
            BareLineEndingPolicy::Reject => self.refuse(at, DataError::BareLineEnding),
        }
    }

    /// A bare LF at `at`; the pending run ends before it.
    fn bare_lf(&mut self, input: &[u8], run: &mut usize, at: usize, sink: &mut impl FnMut(&[u8])) {
        let offset = self.offset + at as u64;
        self.bare_line_endings += 1;
        match self.limits.bare_line_endings {
            BareLineEndingPolicy::Keep => {}
            BareLineEndingPolicy::Normalize => {
                self.emit_range(input, *run, at, sink);
                self.emit(CR, offset, sink);
                *run = at;
            }
            BareLineEndingPolicy::Reject => self.refuse(offset, DataError::BareLineEnding),
        }
    }

    /// A CRLF ends the current line just before stream offset `end`.
    fn end_line(&mut self, end: u64) {
        self.check_line_len(end);
        self.line_start = end;
    }

    /// Checks the current line, which has reached at least stream offset `end`.
    fn check_line_len(&mut self, end: u64) {
        if let Some(max) = self.limits.max_line_len {
            let max = max as u64;
            if end.saturating_sub(self.line_start) > max {
                self.refuse(self.line_start + max, DataError::LineTooLong);
            }
        }
    }

    fn emit_range(&mut self, input: &[u8], start: usize, end: usize, sink: &mut impl FnMut(&[u8])) {
        let bytes = input.get(start..end).unwrap_or_default();
        self.emit(bytes, self.offset + start as u64, sink);
    }

    /// Hands `bytes` (the first of them at stream offset `at`) to the sink unless refused.
    fn emit(&mut self, bytes: &[u8], at: u64, sink: &mut impl FnMut(&[u8])) {
        if bytes.is_empty() {
            return;
        }
        let before = self.size;
        self.size = before.saturating_add(bytes.len() as u64);
        if let Some(max) = self.limits.max_size
            && self.size > max
            && before <= max
        {
            self.refuse(at + (max - before), DataError::TooMuchData);
        }
        if self.refusal.is_none() {
            sink(bytes);
        }
    }

    fn refuse(&mut self, at: u64, error: DataError) {
        let refusal = Refusal { at, error };
        if self.refusal.is_none_or(|first| refusal < first) {
            self.refusal = Some(refusal);
        }
    }
}

#[cfg(test)]
mod tests;
