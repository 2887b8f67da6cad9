//! Just enough JSON to read the one-line reports of `tests/interop/smtplib_client.py`: an
//! object whose values are `null`, booleans, integers, strings or arrays of those (the
//! workspace has no JSON crate among the test dependencies).

use std::collections::BTreeMap;

/// One JSON value of the kinds the script prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string, escapes resolved.
    Str(String),
    /// An array.
    List(Vec<Value>),
}

/// A flat object, keyed by name.
pub type Object = BTreeMap<String, Value>;

/// Parses `text` as one object; `Err` says where it stopped making sense.
pub fn parse_object(text: &str) -> Result<Object, String> {
    let mut parser = Parser { chars: text.trim().chars().collect(), at: 0 };
    parser.expect('{')?;
    let mut object = Object::new();
    if parser.peek() == Some('}') {
        parser.at += 1;
        return parser.end(object);
    }
    loop {
        let key = parser.string()?;
        parser.expect(':')?;
        let value = parser.value()?;
        object.insert(key, value);
        match parser.next_token()? {
            ',' => continue,
            '}' => return parser.end(object),
            other => return Err(format!("unexpected {other:?} at {}", parser.at)),
        }
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_spaces();
        self.chars.get(self.at).copied()
    }

    fn next_token(&mut self) -> Result<char, String> {
        let found = self.peek().ok_or("unexpected end")?;
        self.at += 1;
        Ok(found)
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        match self.next_token()? {
            found if found == wanted => Ok(()),
            found => Err(format!("expected {wanted:?}, found {found:?} at {}", self.at)),
        }
    }

    fn end(mut self, object: Object) -> Result<Object, String> {
        match self.peek() {
            None => Ok(object),
            Some(extra) => Err(format!("trailing {extra:?}")),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek().ok_or("missing value")? {
            '"' => self.string().map(Value::Str),
            '[' => self.list(),
            't' => self.word("true", Value::Bool(true)),
            'f' => self.word("false", Value::Bool(false)),
            'n' => self.word("null", Value::Null),
            _ => self.int(),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        let end = self.at + word.len();
        let found: String = self.chars.get(self.at..end).unwrap_or_default().iter().collect();
        if found != word {
            return Err(format!("expected {word} at {}", self.at));
        }
        self.at = end;
        Ok(value)
    }

    fn int(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|c| *c == '-' || c.is_ascii_digit()) {
            self.at += 1;
        }
        let digits: String = self.chars.get(start..self.at).unwrap_or_default().iter().collect();
        digits.parse().map(Value::Int).map_err(|_| format!("not an integer at {start}"))
    }

    fn list(&mut self) -> Result<Value, String> {
        self.expect('[')?;
        let mut items = Vec::new();
        if self.peek() == Some(']') {
            self.at += 1;
            return Ok(Value::List(items));
        }
        loop {
            items.push(self.value()?);
            match self.next_token()? {
                ',' => continue,
                ']' => return Ok(Value::List(items)),
                other => return Err(format!("unexpected {other:?} in a list")),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            let c = *self.chars.get(self.at).ok_or("unterminated string")?;
            self.at += 1;
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                other => out.push(other),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let c = *self.chars.get(self.at).ok_or("unterminated escape")?;
        self.at += 1;
        Ok(match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hex: String =
                    self.chars.get(self.at..self.at + 4).unwrap_or_default().iter().collect();
                self.at += 4;
                let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u escape")?;
                // Surrogate pairs never occur in the script's ASCII-only keys and values.
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            other => other,
        })
    }
}

/// The script's report for `key`, failing the test with the whole report when it is absent.
pub fn field<'a>(object: &'a Object, key: &str) -> &'a Value {
    object.get(key).unwrap_or_else(|| panic!("no {key:?} in the client's report {object:?}"))
}

/// A list of strings, from a report value.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::Str(text) => text.clone(),
                other => panic!("expected a string, got {other:?}"),
            })
            .collect(),
        other => panic!("expected a list, got {other:?}"),
    }
}
