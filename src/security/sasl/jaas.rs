//! `sasl.jaas.config` parsing (Java's `org.apache.kafka.common.security.JaasConfig`, as
//! `JaasContext.load` uses it for a client): one login module entry,
//!
//! ```text
//! <LoginModuleClass> <flag> key1="value 1" key2=value2;
//! ```
//!
//! with `flag` one of `required`, `requisite`, `sufficient`, `optional` (any case). Values (and
//! keys) are bare words or quoted with `"` or `'`, a backslash escaping the next character
//! (`\n`, `\t`, `\r`, `\b`, `\f`, `\a`, `\v`, octal `\ooo`, else the character itself). As
//! Java's `StreamTokenizer`: whitespace is free, `//` and `/* */` are comments, a bare word starts
//! with a letter, `_`, `$`, `{` or `}` and goes on with those, digits, `.` and `-`, so a bare
//! number (`option=3`) is refused (quote it). The trailing `;` is required. Unlike Java, a quoted
//! string may span lines and must be closed.
//!
//! The configuration holds passwords: errors never quote a value, and `Debug` prints the option
//! names only.

// Until `network::sasl_authenticator` builds the mechanisms from the config (in progress on
// another branch), only the tests and `crate::__fuzz` use this module.

use crate::error::Error;
use std::collections::BTreeMap;
use std::fmt;

/// The config key whose value this parses (every error names it).
const KEY: &str = "sasl.jaas.config";

/// A login module's control flag (`javax.security.auth.login.AppConfigurationEntry.
/// LoginModuleControlFlag`). A client has a single module, so the flag is only kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginModuleControlFlag {
    /// `required`.
    Required,
    /// `requisite`.
    Requisite,
    /// `sufficient`.
    Sufficient,
    /// `optional`.
    Optional,
}

/// One parsed `sasl.jaas.config` entry: the login module class, its flag and its options.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct JaasConfig {
    /// The login module's Java class name (`org.apache.kafka.common.security.plain.PlainLoginModule`).
    pub(crate) login_module: String,
    /// The control flag.
    pub(crate) flag: LoginModuleControlFlag,
    /// The options, by name (a repeated name keeps its last value, as Java's `HashMap`).
    pub(crate) options: BTreeMap<String, String>,
}

impl fmt::Debug for JaasConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaasConfig")
            .field("login_module", &self.login_module)
            .field("flag", &self.flag)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config {
        key: KEY.to_owned(),
        message: message.into(),
    }
}

/// One token of the configuration text.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A bare word.
    Word(String),
    /// A quoted string (unescaped).
    Quoted(String),
    /// A bare number (Java's `TT_NUMBER`: no string value).
    Number,
    /// Any other single character (`=`, `;`, `{`...).
    Char(char),
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '$' | '{' | '}') || (c as u32) >= 0xa0
}

fn is_word_char(c: char) -> bool {
    is_word_start(c) || c.is_ascii_digit() || matches!(c, '.' | '-')
}

/// Splits the text into tokens (Java `StreamTokenizer` as `JaasConfig` sets it up).
fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() || c.is_control() => {}
            '/' => match chars.peek() {
                Some('*') => {
                    chars.next();
                    let mut prev = '\0';
                    loop {
                        match chars.next() {
                            None => return Err(config_error("unterminated /* comment")),
                            Some('/') if prev == '*' => break,
                            Some(c) => prev = c,
                        }
                    }
                }
                // `//` and, as Java's default comment character, a lone `/`: to end of line.
                _ => {
                    for c in chars.by_ref() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                    }
                }
            },
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(config_error("unterminated quoted string")),
                        Some(c) if c == quote => break,
                        Some('\\') => match chars.next() {
                            None => return Err(config_error("unterminated quoted string")),
                            Some(e @ '0'..='7') => {
                                // Up to three octal digits (at most \377), as Java.
                                let mut v = e as u32 - '0' as u32;
                                let max_digits = if e <= '3' { 3 } else { 2 };
                                for _ in 1..max_digits {
                                    match chars.peek() {
                                        Some(&d @ '0'..='7') => {
                                            v = v * 8 + (d as u32 - '0' as u32);
                                            chars.next();
                                        }
                                        _ => break,
                                    }
                                }
                                s.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                            }
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('b') => s.push('\u{8}'),
                            Some('f') => s.push('\u{c}'),
                            Some('a') => s.push('\u{7}'),
                            Some('v') => s.push('\u{b}'),
                            Some(other) => s.push(other),
                        },
                        Some(c) => s.push(c),
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            c if c.is_ascii_digit() || c == '.' || (c == '-' && next_is_numeric(&chars)) => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    chars.next();
                }
                tokens.push(Token::Number);
            }
            c if is_word_start(c) => {
                let mut w = String::from(c);
                while let Some(&c) = chars.peek() {
                    if !is_word_char(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(w));
            }
            c => tokens.push(Token::Char(c)),
        }
    }
    Ok(tokens)
}

fn next_is_numeric(chars: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    chars
        .clone()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
}

impl LoginModuleControlFlag {
    fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "required" => Some(LoginModuleControlFlag::Required),
            "requisite" => Some(LoginModuleControlFlag::Requisite),
            "sufficient" => Some(LoginModuleControlFlag::Sufficient),
            "optional" => Some(LoginModuleControlFlag::Optional),
            _ => None,
        }
    }
}

impl JaasConfig {
    /// Parses a `sasl.jaas.config` value: exactly one login module entry (as Java's
    /// `JaasContext.load` for a client). Errors are `Error::Config` with key
    /// `sasl.jaas.config`, naming what is wrong and never quoting a value.
    pub(crate) fn parse(text: &str) -> Result<JaasConfig, Error> {
        let tokens = tokenize(text)?;
        let mut it = tokens.into_iter().peekable();
        let mut entries = Vec::new();
        while it.peek().is_some() {
            entries.push(Self::parse_entry(&mut it, entries.len())?);
        }
        match entries.len() {
            0 => Err(config_error("login module not specified in JAAS config")),
            1 => Ok(entries.remove(0)),
            n => Err(config_error(format!(
                "JAAS config property contains {n} login module entries, should be 1"
            ))),
        }
    }

    /// Parses the entry at `index` (0-based). Error messages never quote a token that may be
    /// part of a value (an unquoted value with spaces splits into several tokens): they give
    /// positions, naming only the login module of the first entry (the start of the text) and
    /// the last option parsed completely as `name=value` with a bare-word name.
    fn parse_entry(
        it: &mut impl Iterator<Item = Token>,
        index: usize,
    ) -> Result<JaasConfig, Error> {
        let login_module = match it.next() {
            Some(Token::Word(w)) => w,
            _ => {
                return Err(config_error(format!(
                    "invalid JAAS config entry {}, missing login module name",
                    index + 1
                )));
            }
        };
        let flag = match it.next() {
            Some(Token::Word(w)) => LoginModuleControlFlag::parse(&w),
            _ => None,
        }
        .ok_or_else(|| {
            // A later entry's "login module" may be the rest of a value cut by a `;`.
            let module = if index == 0 {
                login_module.clone()
            } else {
                format!("JAAS config entry {}", index + 1)
            };
            config_error(format!(
                "invalid login module control flag for {module}: expected required, \
                 requisite, sufficient or optional"
            ))
        })?;
        let mut options = BTreeMap::new();
        // The number of options parsed and the name of the last one, if safe to show.
        let mut count = 0usize;
        let mut last: Option<String> = None;
        let position = |count: usize, last: &Option<String>| match last {
            Some(name) => format!("option {} (after option {count}, '{name}')", count + 1),
            None if count == 0 => "option 1 (after the control flag)".to_string(),
            None => format!("option {} (after option {count})", count + 1),
        };
        loop {
            let key = match it.next() {
                Some(Token::Char(';')) => break,
                None => {
                    return Err(config_error(
                        "JAAS config entry not terminated by semi-colon",
                    ));
                }
                Some(Token::Word(k)) => (k, true),
                Some(Token::Quoted(k)) => (k, false),
                Some(Token::Number) => {
                    return Err(config_error(format!(
                        "invalid JAAS config option name at {}: a number",
                        position(count, &last)
                    )));
                }
                // The character itself is not quoted: it may be part of a value.
                Some(Token::Char(_)) => {
                    return Err(config_error(format!(
                        "invalid character in JAAS config where an option name was expected, \
                         at {} (a value with spaces or symbols must be quoted)",
                        position(count, &last)
                    )));
                }
            };
            // The name itself is not quoted: without `=` after it, it may be part of a value.
            if it.next() != Some(Token::Char('=')) {
                return Err(config_error(format!(
                    "value not specified for {} in JAAS config (a value with spaces or \
                     symbols must be quoted)",
                    position(count, &last)
                )));
            }
            let value = match it.next() {
                Some(Token::Word(v) | Token::Quoted(v)) => v,
                Some(Token::Number) => {
                    return Err(config_error(format!(
                        "value of {} in JAAS config is a bare number: quote it",
                        position(count, &last)
                    )));
                }
                _ => {
                    return Err(config_error(format!(
                        "value not specified for {} in JAAS config",
                        position(count, &last)
                    )));
                }
            };
            count += 1;
            let (key, bare) = key;
            last = bare.then(|| key.clone());
            options.insert(key, value);
        }
        Ok(JaasConfig {
            login_module,
            flag,
            options,
        })
    }

    /// The value of option `name`, if set.
    pub(crate) fn option(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// Every option, by name.
    pub(crate) fn options(&self) -> &BTreeMap<String, String> {
        &self.options
    }

    /// Checks that the login module is `expected` (the mechanism's own), as Java's login
    /// callback handlers require.
    pub(crate) fn require_login_module(
        &self,
        expected: &str,
        mechanism: &str,
    ) -> Result<(), Error> {
        if self.login_module == expected {
            Ok(())
        } else {
            Err(config_error(format!(
                "login module {} cannot be used with SASL mechanism {mechanism}: expected {expected}",
                self.login_module
            )))
        }
    }

    /// The value of the option `name`, which the mechanism needs: an error naming it when it is
    /// missing.
    pub(crate) fn required_option(&self, name: &str, mechanism: &str) -> Result<&str, Error> {
        self.option(name).ok_or_else(|| {
            config_error(format!(
                "option '{name}' missing from the JAAS config of {} (needed by {mechanism})",
                self.login_module
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LoginModuleControlFlag::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn check(text: &str, module: &str, flag: LoginModuleControlFlag, options: &[(&str, &str)]) {
        let c = JaasConfig::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(c.login_module, module, "{text}");
        assert_eq!(c.flag, flag, "{text}");
        assert_eq!(c.options, opts(options), "{text}");
    }

    fn invalid(text: &str) -> String {
        match JaasConfig::parse(text) {
            Err(Error::Config { key, message }) => {
                assert_eq!(key, KEY);
                message
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    // The cases of Java's JaasContextTest.

    #[test]
    fn config_no_options() {
        check(
            "test.testConfigNoOptions required;",
            "test.testConfigNoOptions",
            Required,
            &[],
        );
    }

    #[test]
    fn control_flags() {
        for (word, flag) in [
            ("required", Required),
            ("requisite", Requisite),
            ("sufficient", Sufficient),
            ("optional", Optional),
            ("REQUIRED", Required),
        ] {
            check(
                &format!("test.testControlFlag {word} propName=propValue;"),
                "test.testControlFlag",
                flag,
                &[("propName", "propValue")],
            );
        }
    }

    #[test]
    fn single_and_multiple_options() {
        check(
            "test.testSingleOption requisite propName=propValue;",
            "test.testSingleOption",
            Requisite,
            &[("propName", "propValue")],
        );
        let text: String = (0..10)
            .map(|i| format!(" propName{i}=propValue{i}"))
            .collect();
        let want: Vec<(String, String)> = (0..10)
            .map(|i| (format!("propName{i}"), format!("propValue{i}")))
            .collect();
        let c = JaasConfig::parse(&format!("test.testMultipleOptions sufficient{text};")).unwrap();
        assert_eq!(c.options, want.into_iter().collect());
    }

    #[test]
    fn quoted_option_value_and_name() {
        check(
            r#"test.testQuotedOptionValue required propName="prop value" propName2="value1 = 1, value2 = 2";"#,
            "test.testQuotedOptionValue",
            Required,
            &[
                ("propName", "prop value"),
                ("propName2", "value1 = 1, value2 = 2"),
            ],
        );
        check(
            r#"test.testQuotedOptionName required "prop name"=propValue;"#,
            "test.testQuotedOptionName",
            Required,
            &[("prop name", "propValue")],
        );
    }

    #[test]
    fn numeric_option_needs_quotes() {
        check(
            r#"test.testNumericOptionWithQuotes required option1="3";"#,
            "test.testNumericOptionWithQuotes",
            Required,
            &[("option1", "3")],
        );
        invalid("test.testNumericOptionWithoutQuotes required option1=3;");
    }

    #[test]
    fn invalid_configs() {
        assert!(invalid("  required option1=value1;").contains("flag"));
        assert!(invalid("test.loginModule option1=value1;").contains("control flag"));
        assert!(invalid("loginModule required option1;").contains("option 1"));
        assert!(
            invalid("test.testMissingSemicolon required option1=value1").contains("semi-colon")
        );
        invalid("test.testInvalidControlFlag { option1=3;");
        invalid("");
        invalid("  // only a comment\n");
        invalid("m required a=;");
        invalid("m required =b;");
        invalid(r#"m required a="unterminated;"#);
        invalid("m required a=b; /* unterminated");
    }

    #[test]
    fn multiple_login_modules_are_refused() {
        let text = "test.Module0 required index=Index0; test.Module1 required index=Index1;";
        assert!(invalid(text).contains("2 login module entries"));
    }

    #[test]
    fn real_configs_with_escapes_comments_and_newlines() {
        check(
            "org.apache.kafka.common.security.plain.PlainLoginModule required\n  username=\"alice\"\n\tpassword=\"al\\\"ice-\\\\secret\";\n",
            "org.apache.kafka.common.security.plain.PlainLoginModule",
            Required,
            &[("username", "alice"), ("password", "al\"ice-\\secret")],
        );
        check(
            "/* c */ m optional // line\n a='x y' b=\"\\n\\t\\101\" c=\"${env:V}\" d=a-b.c_d e=${x};",
            "m",
            Optional,
            &[
                ("a", "x y"),
                ("b", "\n\tA"),
                ("c", "${env:V}"),
                ("d", "a-b.c_d"),
                ("e", "${x}"),
            ],
        );
        // A repeated key keeps its last value.
        check("m required k=a k=b;", "m", Required, &[("k", "b")]);
    }

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let c = JaasConfig::parse("m required username=alice password=\"s3cret-pw\";").unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("password") && d.contains("username"), "{d}");
        assert!(!d.contains("s3cret") && !d.contains("alice"), "{d}");
        assert_eq!(c.option("password"), Some("s3cret-pw"));
        assert_eq!(c.option("nope"), None);
        assert_eq!(c.options().len(), 2);
        // An error after a secret never repeats it.
        let m = invalid("m required password=\"s3cret-pw\" user");
        assert!(!m.contains("s3cret"), "{m}");
        let m = invalid("m required password=s3cret-pw 7=x;");
        assert!(!m.contains("s3cret"), "{m}");
        let m = invalid("m required password=s3cr:t;");
        assert!(!m.contains(':'), "{m}");
    }

    #[test]
    fn parse_errors_never_quote_a_possible_value() {
        for (text, secrets) in [
            ("m required password=hunter two;", &["hunter", "two"][..]),
            (
                "m required password=hunter two=x three;",
                &["hunter", "three"],
            ),
            (
                "m required password=hunter \"two words\";",
                &["hunter", "two words"],
            ),
            (
                "m required password=hunter 'two' user=x;",
                &["hunter", "two"],
            ),
            (
                "m required password=hunter;two three x=y;",
                &["hunter", "two", "three"],
            ),
            (
                "m required password=hunter;two required;",
                &["hunter", "two"],
            ),
            ("m required password=hunter; two=x;", &["hunter", "two"]),
            ("m required password=hunter two 5;", &["hunter", "two"]),
            ("m required password=hunter two=5;", &["hunter", "two"]),
            ("m required password=hunter two=;", &["hunter", "two"]),
            ("m required password=hunter two!x;", &["hunter", "two"]),
            ("m required password=hunter 3=x;", &["hunter"]),
        ] {
            let m = invalid(text);
            for secret in secrets {
                assert!(!m.contains(secret), "{text}: {m}");
            }
        }
        // Known-good names help locate the error.
        let m = invalid("m required username=alice password=hunter two;");
        assert!(m.contains("'password'") && m.contains("option 3"), "{m}");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\"",
            "\\",
            "/",
            "/*",
            "m r",
            "m required \"a",
            "m required a=\"\\",
            "-",
            "-x",
            "m required a=-1;",
            "m required a=\u{0}ü;",
            "\"\\777\"",
        ] {
            let _ = JaasConfig::parse(text);
        }
    }
}
