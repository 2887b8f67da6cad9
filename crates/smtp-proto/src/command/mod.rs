//! SMTP, ESMTP and LMTP commands.
