//! SMTP smuggling (peers.md §5.1, CVE-2023-51764/51765/51766): a body that embeds a candidate
//! end-of-data sequence other than `CRLF . CRLF`, followed by a whole second transaction.
//! Exactly one message may arrive, with the smuggled text inside it, and only one reply.
//! Moved here from `tests/data.rs` (and extended with `\n..\r\n` and every split point).

use crate::common::{Recorder, TestClient, config};

/// Candidate end-of-data sequences: every vector of peers.md §5.1, plus near misses.
const VECTORS: [&[u8]; 10] = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\n.\r",
    b"\r\n.\r\r\n",
    b"\r\n. \r\n",
    b"\r\n..\r\n",
    b"\n..\r\n",
];

/// The transaction a smuggler hides behind the vector.
const SMUGGLED: &[u8] =
    b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nevil\r\n";

/// How the body reaches the server.
#[derive(Clone, Copy, Debug)]
enum Delivery {
    /// One write.
    OneWrite,
    /// Two writes, split before this offset.
    SplitAt(usize),
    /// One write per byte.
    ByteByByte,
}

/// `Subject` header, text, the vector, the smuggled transaction.
fn body(vector: &[u8]) -> Vec<u8> {
    let mut body = b"Subject: s\r\n\r\nhello".to_vec();
    body.extend_from_slice(vector);
    body.extend_from_slice(SMUGGLED);
    body
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One DATA transaction carrying `vector`; checks one 250, then QUIT's 221, and exactly one
/// delivered message containing the smuggled text.
async fn smuggle_through_data(vector: &[u8], delivery: Delivery) {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    let body = body(vector);
    match delivery {
        Delivery::OneWrite => c.send_raw(&body).await,
        Delivery::SplitAt(at) => {
            c.send_raw_settled(&body[..at]).await;
            c.send_raw_settled(&body[at..]).await;
        }
        Delivery::ByteByByte => {
            for byte in &body {
                c.send_raw_settled(&[*byte]).await;
            }
        }
    }
    c.send_raw(b"\r\n.\r\nQUIT\r\n").await;
    c.expect(250).await;
    c.expect(221).await;
    c.expect_close().await;
    let contents = recorder.contents();
    assert_eq!(contents.len(), 1, "vector {vector:?}, {delivery:?}");
    let text = &contents[0];
    assert!(
        contains(text, SMUGGLED),
        "smuggled text missing for {vector:?}, {delivery:?}: {:?}",
        String::from_utf8_lossy(text)
    );
}

#[tokio::test]
async fn smtp_smuggling_vectors_in_one_write_stay_inside_one_message() {
    for vector in VECTORS {
        smuggle_through_data(vector, Delivery::OneWrite).await;
    }
}

#[tokio::test]
async fn smtp_smuggling_vectors_byte_by_byte_stay_inside_one_message() {
    for vector in VECTORS {
        smuggle_through_data(vector, Delivery::ByteByByte).await;
    }
}

#[tokio::test]
async fn smtp_smuggling_vectors_split_at_every_byte_stay_inside_one_message() {
    for vector in VECTORS {
        for at in 1..body(vector).len() {
            smuggle_through_data(vector, Delivery::SplitAt(at)).await;
        }
    }
}

/// BDAT has no end-of-data sequence: a chunk holding any vector and the smuggled transaction
/// is delivered byte for byte, and nothing in it is read as a command.
#[tokio::test]
async fn smtp_smuggling_vectors_in_bdat_chunks_pass_verbatim() {
    for vector in VECTORS {
        let recorder = Recorder::default();
        let mut c = TestClient::start(config(), recorder.clone()).await;
        c.expect(220).await;
        c.ehlo().await;
        c.cmd("MAIL FROM:<a@example.com>", 250).await;
        c.cmd("RCPT TO:<b@example.com>", 250).await;
        let mut chunk = b"hello".to_vec();
        chunk.extend_from_slice(vector);
        chunk.extend_from_slice(SMUGGLED);
        chunk.extend_from_slice(b".\r\n");
        let mut command = format!("BDAT {}\r\n", chunk.len()).into_bytes();
        command.extend_from_slice(&chunk);
        c.send_raw(&command).await;
        c.expect_text(&format!("250 2.0.0 {} octets received", chunk.len())).await;
        c.send_raw(b"BDAT 0 LAST\r\nQUIT\r\n").await;
        c.expect_text("250 2.0.0 OK").await;
        c.expect(221).await;
        c.expect_close().await;
        assert_eq!(recorder.contents(), [chunk], "vector {vector:?}");
    }
}
