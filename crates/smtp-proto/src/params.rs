//! ESMTP parameters of MAIL FROM and RCPT TO.
