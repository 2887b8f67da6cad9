//! EHLO capability lists: building (server side) and parsing (client side).
