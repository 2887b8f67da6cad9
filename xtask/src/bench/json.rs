//! A parser for the flat JSON objects `smtp-load` prints: string keys, values that are
//! numbers, strings, `null`, `true` or `false`. Nothing nested (the load generator never
//! nests), so no dependency is needed.

use std::collections::BTreeMap;

/// One value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
}

/// A parsed object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(BTreeMap<String, Value>);

impl Object {
    /// A number field (`None` when absent, `null` or not a number).
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.0.get(key) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// A string field.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }
}

/// Parses one flat object.
pub fn parse(input: &str) -> Result<Object, String> {
    let mut p = Parser { chars: input.trim().chars().collect(), at: 0 };
    p.expect('{')?;
    let mut map = BTreeMap::new();
    p.skip_ws();
    if p.peek() == Some('}') {
        p.at += 1;
        return p.end(Object(map));
    }
    loop {
        p.skip_ws();
        let key = p.string()?;
        p.skip_ws();
        p.expect(':')?;
        p.skip_ws();
        let value = p.value()?;
        map.insert(key, value);
        p.skip_ws();
        match p.next() {
            Some(',') => continue,
            Some('}') => return p.end(Object(map)),
            other => return Err(format!("expected , or }} at {}, found {other:?}", p.at)),
        }
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += 1;
        c
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        match self.next() {
            Some(c) if c == wanted => Ok(()),
            other => Err(format!("expected {wanted:?} at {}, found {other:?}", self.at - 1)),
        }
    }

    fn end(&self, object: Object) -> Result<Object, String> {
        if self.at == self.chars.len() { Ok(object) } else { Err("text after the object".into()) }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some('"') => self.string().map(Value::Text),
            Some('n') => self.word("null", Value::Null),
            Some('t') => self.word("true", Value::Bool(true)),
            Some('f') => self.word("false", Value::Bool(false)),
            Some(_) => self.number(),
            None => Err("value missing".into()),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        for wanted in word.chars() {
            self.expect(wanted)?;
        }
        Ok(value)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
            self.at += 1;
        }
        let text: String = self.chars.get(start..self.at).unwrap_or_default().iter().collect();
        text.parse().map(Value::Number).map_err(|_| format!("bad number {text:?}"))
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.next().ok_or("unterminated string")? {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        Ok(match self.next().ok_or("unterminated escape")? {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                let hex: String = (0..4).filter_map(|_| self.next()).collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u escape")?;
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            c => c,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_generator_lines_parse() {
        let line = r#"{"mode":"send","ok":1000,"failed":0,"elapsed_s":2.500,"p50_ms":null,"x":true,"first_error":"Rcpt: \"no\"\r\n\u0001"}"#;
        let object = parse(line).unwrap();
        assert_eq!(object.text("mode"), Some("send"));
        assert_eq!(object.number("ok"), Some(1000.0));
        assert_eq!(object.number("elapsed_s"), Some(2.5));
        assert_eq!(object.number("p50_ms"), None);
        assert_eq!(object.number("missing"), None);
        assert_eq!(object.text("first_error"), Some("Rcpt: \"no\"\r\n\u{1}"));
        assert_eq!(parse(" { } ").unwrap(), Object::default());
        assert_eq!(parse(r#"{"a": -1.5e3 , "b" : false}"#).unwrap().number("a"), Some(-1500.0));
    }

    #[test]
    fn broken_lines_are_errors() {
        for bad in
            ["", "{", "{\"a\":}", "{\"a\":1", "{\"a\" 1}", "{\"a\":1}x", "[1]", "{\"a\":nul}"]
        {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
