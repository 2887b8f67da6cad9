//! Parsing replies that come back from a server (the relay's client side).
