//! A strict JSON (RFC 8259) syntax check without serde, for the payloads of
//! packets that carry no attachments: the hot path of every event and ack.
//!
//! One forward pass over the bytes with an explicit container stack (no
//! recursion, at most [`MAX_DEPTH`] levels, as serde_json deserializes), no
//! allocation, no number conversion. Strings are scanned eight bytes at a
//! time for `"`, `\` and control characters. It reports what the packet
//! rules need to know about the top level: its kind and, for an array, its
//! first element.

/// The deepest nesting accepted: what serde_json can deserialize into a
/// typed value or a `serde_json::Value` (its recursion limit).
pub(crate) const MAX_DEPTH: usize = 127;

/// What the top-level value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Top {
    Object,
    Array,
    String,
    Other,
}

/// The first element of a top-level array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum First {
    /// The array is empty.
    None,
    /// A string: the byte range of its contents (between the quotes), and
    /// whether it contains escapes.
    String {
        start: usize,
        end: usize,
        escaped: bool,
    },
    /// A number.
    Number,
    /// Anything else.
    Other,
}

/// The result of a successful check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) top: Top,
    pub(crate) first: First,
}

/// A syntax error at this byte offset (the offending byte, or the length
/// for an unexpected end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
}

/// Why [`check`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON.
    Syntax(SyntaxError),
    /// In a binary packet: an object with `"_placeholder":true` that is not
    /// exactly `{"_placeholder":true,"num":i}` with `i` below the count.
    IllegalPlaceholder,
}

impl From<SyntaxError> for JsonError {
    fn from(e: SyntaxError) -> JsonError {
        JsonError::Syntax(e)
    }
}

/// What the caller wants checked before the rest is scanned: a wrong top
/// level is reported at once, as serde's visitors would.
pub(crate) trait TopRule {
    /// Whether `top` is allowed.
    fn top(&self, top: Top) -> bool;
}

/// Checks that `json` is exactly one JSON value (whitespace around it
/// allowed). `rule` is asked about the top level as soon as its first byte
/// is seen; `Ok(None)` means it refused. `placeholders`, for a binary
/// packet, is its attachment count: every object is then checked against
/// the placeholder rule.
pub(crate) fn check(
    json: &[u8],
    rule: &impl TopRule,
    placeholders: Option<usize>,
) -> Result<Option<Summary>, JsonError> {
    let mut p = Parser { b: json, i: 0 };
    p.ws();
    let top = match p.peek() {
        Some(b'{') => Top::Object,
        Some(b'[') => Top::Array,
        Some(b'"') => Top::String,
        Some(b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => Top::Other,
        _ => return Err(p.err().into()),
    };
    if !rule.top(top) {
        return Ok(None);
    }
    let first = p.value_tree(placeholders)?;
    p.ws();
    if p.i != json.len() {
        return Err(p.err().into());
    }
    Ok(Some(Summary { top, first }))
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

/// The container stack, one bit per level: 1 = object, 0 = array.
struct Stack {
    bits: u128,
    depth: usize,
}

impl Parser<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn err(&self) -> SyntaxError {
        SyntaxError {
            offset: self.i.min(self.b.len()),
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    /// `true`, `false` or `null`; an error points at the first wrong byte.
    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Result<(), SyntaxError> {
        for &c in word {
            if self.peek() != Some(c) {
                return Err(self.err());
            }
            self.i += 1;
        }
        Ok(())
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    #[inline(always)]
    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err()),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits1()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits1()?;
        }
        Ok(())
    }

    #[inline]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn digits1(&mut self) -> Result<(), SyntaxError> {
        let start = self.i;
        self.digits();
        if self.i == start {
            Err(self.err())
        } else {
            Ok(())
        }
    }

    /// A string, the opening quote at `self.i`. Returns whether it had
    /// escapes. The input is UTF-8 already; JSON adds: no control
    /// characters, and only the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, SyntaxError> {
        self.i += 1;
        let mut escaped = false;
        loop {
            self.skip_plain();
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_hexdigit() => self.i += 1,
                                    _ => return Err(self.err()),
                                }
                            }
                        }
                        _ => return Err(self.err()),
                    }
                }
                // A control character, or the end.
                _ => return Err(self.err()),
            }
        }
    }

    /// Skips bytes that are neither `"`, `\` nor control characters, eight
    /// at a time while it can.
    #[inline(always)]
    fn skip_plain(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let v = u64::from_le_bytes(w);
            // A byte is "special" if it is < 0x20, == '"' or == '\\'.
            let quote = v ^ (ONES * u64::from(b'"'));
            let backslash = v ^ (ONES * u64::from(b'\\'));
            let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
            let control = v.wrapping_sub(ONES * 0x20) & !v & HIGHS;
            let special = has_zero(quote) | has_zero(backslash) | control;
            if special != 0 {
                // The lowest flagged byte is exact for the borrow trick.
                self.i += (special.trailing_zeros() / 8) as usize;
                return;
            }
            self.i += 8;
        }
        while let Some(c) = self.peek() {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return;
            }
            self.i += 1;
        }
    }

    /// One scalar, or the start of a container (its first byte eaten).
    #[inline(always)]
    fn scalar_or_open(&mut self, stack: &mut Stack) -> Result<Value, SyntaxError> {
        match self.peek() {
            Some(c @ (b'{' | b'[')) => {
                if stack.depth == MAX_DEPTH {
                    return Err(self.err());
                }
                let object = c == b'{';
                stack.bits = (stack.bits << 1) | u128::from(object);
                stack.depth += 1;
                self.i += 1;
                Ok(Value::Opened { object })
            }
            Some(b'"') => self.string().map(|_| Value::Other),
            Some(b't') => self.literal(b"true").map(|()| Value::True),
            Some(b'f') => self.literal(b"false").map(|()| Value::Other),
            Some(b'n') => self.literal(b"null").map(|()| Value::Other),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number().map(|()| Value::Number { start, end: self.i })
            }
            _ => Err(self.err()),
        }
    }

    /// The whole value at `self.i`; for a top-level array, what its first
    /// element is. With `placeholders` (the attachment count of a binary
    /// packet), every object is checked against the placeholder rule.
    fn value_tree(&mut self, placeholders: Option<usize>) -> Result<First, JsonError> {
        let mut stack = Stack { bits: 0, depth: 0 };
        // One entry per open object, in binary packets only.
        let mut objects: Vec<Object> = Vec::new();
        let top_is_array = self.peek() == Some(b'[');
        let mut first = First::None;
        let mut first_pending = top_is_array;
        match self.scalar_or_open(&mut stack)? {
            Value::Opened { object } => {
                if object && placeholders.is_some() {
                    objects.push(Object::default());
                }
            }
            _ => return Ok(First::Other),
        }
        // Just after an opening bracket: a value or the closing bracket.
        let mut after_open = true;
        loop {
            self.ws();
            let in_object = stack.bits & 1 == 1;
            let close = if in_object { b'}' } else { b']' };
            if after_open {
                after_open = false;
                if self.peek() == Some(close) {
                    self.close(&mut stack, &mut objects, placeholders)?;
                    if stack.depth == 0 {
                        return Ok(first);
                    }
                    continue;
                }
            } else {
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        self.ws();
                    }
                    Some(c) if c == close => {
                        self.close(&mut stack, &mut objects, placeholders)?;
                        if stack.depth == 0 {
                            return Ok(first);
                        }
                        continue;
                    }
                    _ => return Err(self.err().into()),
                }
            }
            // A member or an element follows.
            if in_object {
                let key = self.member_key(placeholders.is_some())?;
                if let Some(o) = objects.last_mut() {
                    o.pending = key;
                }
            }
            let record = first_pending && stack.depth == 1;
            first_pending &= !record;
            let start = self.i;
            let value = self.scalar_or_open(&mut stack)?;
            if record {
                first = match value {
                    Value::Number { .. } => First::Number,
                    Value::Other if self.b.get(start) == Some(&b'"') => First::String {
                        start: start + 1,
                        end: self.i - 1,
                        escaped: self
                            .b
                            .get(start + 1..self.i - 1)
                            .is_some_and(|s| s.contains(&b'\\')),
                    },
                    _ => First::Other,
                };
            }
            match value {
                Value::Opened { object } => {
                    after_open = true;
                    if object && placeholders.is_some() {
                        objects.push(Object::default());
                    }
                }
                scalar if in_object && placeholders.is_some() => {
                    if let Some(o) = objects.last_mut() {
                        o.value(scalar, self.b);
                    }
                }
                _ => {}
            }
        }
    }

    /// Closes the container at the top of the stack (its closing byte at
    /// `self.i`), checking a closed object against the placeholder rule.
    #[inline(always)]
    fn close(
        &mut self,
        stack: &mut Stack,
        objects: &mut Vec<Object>,
        placeholders: Option<usize>,
    ) -> Result<(), JsonError> {
        let object = stack.bits & 1 == 1;
        self.i += 1;
        stack.bits >>= 1;
        stack.depth -= 1;
        if let Some(attachments) = placeholders {
            if object {
                if let Some(o) = objects.pop() {
                    o.check(attachments)?;
                }
            }
            // The container was the value of a member of the object around.
            if stack.depth > 0 && stack.bits & 1 == 1 {
                if let Some(o) = objects.last_mut() {
                    o.value(Value::Other, self.b);
                }
            }
        }
        Ok(())
    }

    /// `"key" :` and the whitespace after it; what the key is, if asked.
    #[inline(always)]
    fn member_key(&mut self, classify: bool) -> Result<Key, SyntaxError> {
        if self.peek() != Some(b'"') {
            return Err(self.err());
        }
        let start = self.i;
        let escaped = self.string()?;
        let key = if classify {
            Key::of(self.b.get(start..self.i).unwrap_or_default(), escaped)
        } else {
            Key::Other
        };
        self.ws();
        self.eat(b':')?;
        self.ws();
        Ok(key)
    }
}

/// What [`Parser::scalar_or_open`] found.
#[derive(Clone, Copy)]
enum Value {
    Opened { object: bool },
    True,
    Number { start: usize, end: usize },
    Other,
}

/// An object key, as far as the placeholder rule cares.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    #[default]
    Other,
}

impl Key {
    /// `quoted` is the key with its quotes.
    fn of(quoted: &[u8], escaped: bool) -> Key {
        let classify = |k: &[u8]| match k {
            b"_placeholder" => Key::Placeholder,
            b"num" => Key::Num,
            _ => Key::Other,
        };
        if !escaped {
            return classify(
                quoted
                    .get(1..quoted.len().saturating_sub(1))
                    .unwrap_or_default(),
            );
        }
        // Rare: `"\u005fplaceholder"` is the same key once unescaped.
        std::str::from_utf8(quoted)
            .ok()
            .and_then(|q| serde_json::from_str::<String>(q).ok())
            .map_or(Key::Other, |k| classify(k.as_bytes()))
    }
}

/// What an open object of a binary packet has shown so far.
#[derive(Default)]
struct Object {
    pending: Key,
    placeholder_keys: u8,
    placeholder_true: bool,
    num_keys: u8,
    num: Option<u64>,
    other_keys: bool,
}

impl Object {
    /// The value of the member whose key was `pending`.
    fn value(&mut self, value: Value, b: &[u8]) {
        match self.pending {
            Key::Placeholder => {
                self.placeholder_keys = self.placeholder_keys.saturating_add(1);
                self.placeholder_true |= matches!(value, Value::True);
            }
            Key::Num => {
                self.num_keys = self.num_keys.saturating_add(1);
                // An index is plain digits (no sign, fraction or exponent).
                self.num = match value {
                    Value::Number { start, end } => b
                        .get(start..end)
                        .filter(|d| d.iter().all(u8::is_ascii_digit))
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .and_then(|d| d.parse().ok()),
                    _ => None,
                };
            }
            Key::Other => self.other_keys = true,
        }
    }

    /// The placeholder rule: an object whose `_placeholder` is `true` has
    /// exactly that key and `num`, an index below the attachment count.
    fn check(&self, attachments: usize) -> Result<(), JsonError> {
        if !self.placeholder_true {
            return Ok(());
        }
        let in_range = self
            .num
            .is_some_and(|i| usize::try_from(i).is_ok_and(|i| i < attachments));
        if self.placeholder_keys == 1 && self.num_keys == 1 && !self.other_keys && in_range {
            Ok(())
        } else {
            Err(JsonError::IllegalPlaceholder)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Any;
    impl TopRule for Any {
        fn top(&self, _: Top) -> bool {
            true
        }
    }

    fn ok(s: &str) -> Summary {
        check(s.as_bytes(), &Any, None)
            .unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
            .expect("allowed")
    }

    #[test]
    fn agrees_with_serde_json_on_valid_and_invalid_documents() {
        let cases = [
            "[]",
            "{}",
            "[1]",
            r#"["a"]"#,
            r#"["a",{"b":[1,2,{"c":null}]},true,false]"#,
            " [ 1 , 2 ] ",
            "0",
            "-0",
            "1.5",
            "-1.5e10",
            "1E+2",
            "1e-2",
            r#""x""#,
            r#""\u00e9\n\"\\\/""#,
            "null",
            r#"{"a":{"b":{"c":{}}}}"#,
            r#"["é€𝄞"]"#,
            "[[[[]]]]",
            r#"{"":""}"#,
            "[1,[2,[3]],4]",
            // invalid
            "",
            " ",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            "{1:2}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1 2]",
            r#""a"#,
            "\"\t\"",
            r#""\x""#,
            r#""\u12""#,
            "[1]]",
            "[1] x",
            "{}{}",
            "[}",
            "{]",
            "NaN",
            "Infinity",
            "[\"\u{1}\"]",
            r#"{"a":1 "b":2}"#,
            "[true false]",
            "'a'",
        ];
        for case in cases {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(case).is_ok();
            let ours = check(case.as_bytes(), &Any, None).is_ok();
            assert_eq!(ours, serde, "{case:?}");
        }
    }

    #[test]
    fn depth_is_limited_like_serde_json() {
        let ok_depth = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check(ok_depth.as_bytes(), &Any, None).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(check(too_deep.as_bytes(), &Any, None).is_err());
        // serde_json draws the line at the same place.
        assert!(serde_json::from_str::<serde_json::Value>(&ok_depth).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&too_deep).is_err());
    }

    #[test]
    fn reports_the_first_element() {
        assert_eq!(ok("[]").first, First::None);
        assert_eq!(
            ok(r#"["ab",1]"#).first,
            First::String {
                start: 2,
                end: 4,
                escaped: false
            }
        );
        assert_eq!(
            ok(r#" [ "a\nb" ]"#).first,
            First::String {
                start: 4,
                end: 8,
                escaped: true
            }
        );
        assert_eq!(ok("[-1.5]").first, First::Number);
        assert_eq!(ok("[[1],2]").first, First::Other);
        assert_eq!(ok("[{}]").first, First::Other);
        assert_eq!(ok("[null]").first, First::Other);
        assert_eq!(ok("{}").top, Top::Object);
        assert_eq!(ok(r#""s""#).top, Top::String);
        assert_eq!(ok("1").top, Top::Other);
    }

    #[test]
    fn error_offsets_point_at_the_offending_byte() {
        assert_eq!(
            check(b"[1,]", &Any, None),
            Err(JsonError::Syntax(SyntaxError { offset: 3 }))
        );
        assert_eq!(
            check(b"[1", &Any, None),
            Err(JsonError::Syntax(SyntaxError { offset: 2 }))
        );
        assert_eq!(
            check(b"[1] x", &Any, None),
            Err(JsonError::Syntax(SyntaxError { offset: 4 }))
        );
    }

    #[test]
    fn strings_of_every_length_and_special_position() {
        for len in 0..40 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(0x1f)] {
                for at in 0..len.max(1) {
                    let mut s = vec![b'a'; len];
                    if let (Some(c), true) = (special, at < len) {
                        s[at] = c;
                    }
                    let doc = format!("[\"{}\"]", String::from_utf8(s).expect("ascii"));
                    let serde = serde_json::from_str::<serde::de::IgnoredAny>(&doc).is_ok();
                    assert_eq!(check(doc.as_bytes(), &Any, None).is_ok(), serde, "{doc:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_serde_json_on_json_like_noise(doc in r#"[\[\]{}",:\\ 0-9a-z.eE+\-\t\n]{0,40}"#) {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(&doc).is_ok();
            proptest::prop_assert_eq!(check(doc.as_bytes(), &Any, None).is_ok(), serde, "{:?}", doc);
        }

        #[test]
        fn accepts_what_serde_json_writes(depth in 0usize..4, seed in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..30)) {
            // A value built from the seed, written compactly and pretty.
            fn build(seed: &[u32], depth: usize) -> serde_json::Value {
                let Some((&first, rest)) = seed.split_first() else { return serde_json::Value::Null };
                match (first % 7, depth) {
                    (0, _) => serde_json::Value::from(f64::from(first) / 7.0 - 1e5),
                    (1, _) => serde_json::Value::from(format!("s\u{e9}\"\\\n{first}\u{1f}")),
                    (2, _) => serde_json::Value::Bool(first % 2 == 0),
                    (3, d) if d > 0 => serde_json::Value::Array(rest.chunks(3).map(|c| build(c, d - 1)).collect()),
                    (4, d) if d > 0 => serde_json::Value::Object(rest.chunks(3).enumerate().map(|(i, c)| (format!("k{i}"), build(c, d - 1))).collect()),
                    (5, _) => serde_json::Value::from(-i64::from(first)),
                    _ => serde_json::Value::Null,
                }
            }
            let value = build(&seed, depth);
            for doc in [serde_json::to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap()] {
                proptest::prop_assert!(check(doc.as_bytes(), &Any, None).is_ok(), "{}", doc);
            }
        }
    }
}
