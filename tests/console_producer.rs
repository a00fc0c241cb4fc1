//! `examples/console_producer.rs` (Java's `kafka-console-producer`) against a real broker: the
//! lines piped into it come back from the Java console consumer with the same keys, values and
//! headers, in order, as from Java's own console producer given the same input.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::ConsumedRecord;

/// Runs the example with `args` and `stdin` as its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(support::example_binary("console_producer"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting console_producer");
    let mut pipe = child.stdin.take().expect("piped stdin");
    let input = stdin.as_bytes().to_vec();
    // A producer that exits early closes its stdin: the write may then fail, harmlessly.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child
        .wait_with_output()
        .expect("waiting for console_producer");
    let _ = writer.join();
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the example and panics (with its output) unless it exits with status 0.
fn run_ok(args: &[&str], stdin: &str) -> Output {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "console_producer {args:?} failed ({}):\n--- stderr ---\n{}\n--- stdout ---\n{}",
        out.status,
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// The same input through Java's ConsoleProducer (the Kafka release of `scripts/kafka.sh`).
fn run_java(args: &[&str], stdin: &str) {
    let mut all = vec!["java-tool", "org.apache.kafka.tools.ConsoleProducer"];
    all.extend_from_slice(args);
    support::kafka_sh_stdin(&all, stdin);
}

/// A record as the test expects it back: key, value, headers.
type Expected = (
    Option<&'static str>,
    Option<&'static str>,
    Vec<(&'static str, Option<&'static str>)>,
);

/// Key, value and headers of one record.
type Contents = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

/// Key, value and headers of what was consumed, for comparison.
fn contents(records: &[ConsumedRecord]) -> Vec<Contents> {
    records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.headers.clone()))
        .collect()
}

fn expected(records: &[Expected]) -> Vec<Contents> {
    let bytes = |s: &Option<&str>| s.map(|s| s.as_bytes().to_vec());
    records
        .iter()
        .map(|(k, v, h)| {
            (
                bytes(k),
                bytes(v),
                h.iter().map(|(n, v)| (n.to_string(), bytes(v))).collect(),
            )
        })
        .collect()
}

fn consume(topic: &str, n: usize) -> Vec<ConsumedRecord> {
    support::consume(topic, n, Duration::from_secs(20))
}

/// Lines with headers (several entries, a repeated name, an empty and a null value), keys and
/// values, null markers for the key, the value and the whole header list, Unicode, and a `\r\n`
/// line end.
const MIXED_INPUT: &str = "h1:v1,h2:v2,h3:v3\tkey1\tvalue1\n\
    trace:abc\tkey2\tNULL\n\
    NULL\tNULL\tvalue3\n\
    dup:a,dup:b,empty:,nil:NULL\tkey4\tvalue, with: separators\r\n\
    grüße:ñ,emoji:🎉\tключ\tзначение ✓ 日本\n\
    x:1\tk6\t\n\
    x:2\t\tno key, a value\n";

fn mixed_expected() -> Vec<Expected> {
    vec![
        (
            Some("key1"),
            Some("value1"),
            vec![("h1", Some("v1")), ("h2", Some("v2")), ("h3", Some("v3"))],
        ),
        (Some("key2"), None, vec![("trace", Some("abc"))]),
        (None, Some("value3"), vec![]),
        (
            Some("key4"),
            Some("value, with: separators"),
            vec![
                ("dup", Some("a")),
                ("dup", Some("b")),
                ("empty", Some("")),
                ("nil", None),
            ],
        ),
        (
            Some("ключ"),
            Some("значение ✓ 日本"),
            vec![("grüße", Some("ñ")), ("emoji", Some("🎉"))],
        ),
        (Some("k6"), Some(""), vec![("x", Some("1"))]),
        (Some(""), Some("no key, a value"), vec![("x", Some("2"))]),
    ]
}

const MIXED_PROPS: [&str; 6] = [
    "--property",
    "parse.key=true",
    "--property",
    "parse.headers=true",
    "--property",
    "null.marker=NULL",
];

#[test]
fn keys_headers_null_marker_and_unicode_round_trip_as_with_java() {
    let bs = support::bootstrap();
    let ours = support::unique_topic("console-ours");
    let java = support::unique_topic("console-java");
    support::create_topic(&ours, 1, 1, &[]);
    support::create_topic(&java, 1, 1, &[]);

    let mut args = vec!["--bootstrap-server", bs.as_str(), "--topic", ours.as_str()];
    args.extend(MIXED_PROPS);
    let out = run_ok(&args, MIXED_INPUT);
    assert!(out.stdout.is_empty(), "no prompt without a terminal");

    let want = expected(&mixed_expected());
    let got = consume(&ours, want.len());
    assert_eq!(contents(&got), want);
    assert!(got.iter().all(|r| r.partition == 0));
    assert_eq!(
        got.iter().map(|r| r.offset).collect::<Vec<_>>(),
        (0..want.len() as i64).collect::<Vec<_>>()
    );

    // Java's console producer, given the same input and properties, writes the same records.
    let mut args = vec!["--bootstrap-server", bs.as_str(), "--topic", java.as_str()];
    args.extend(MIXED_PROPS);
    run_java(&args, MIXED_INPUT);
    assert_eq!(contents(&consume(&java, want.len())), want);
}

#[test]
fn sync_with_custom_separators() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("console-sync");
    support::create_topic(&topic, 1, 1, &[]);
    let input = "a=1;b=2|k1 => v1\n\
        c=3|k2 => v2 => still v2\n\
        -|-|-\n";
    let out = run_ok(
        &[
            "--bootstrap-server",
            &bs,
            "--topic",
            &topic,
            "--sync",
            "--request-required-acks",
            "all",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator= => ",
            "--property",
            "parse.headers=true",
            "--property",
            "headers.delimiter=|",
            "--property",
            "headers.separator=;",
            "--property",
            "headers.key.separator==",
            "--property",
            "ignore.error=true",
            "--property",
            "null.marker=-",
        ],
        input,
    );
    assert!(stderr(&out).is_empty(), "stderr: {}", stderr(&out));
    let want = expected(&[
        (
            Some("k1"),
            Some("v1"),
            vec![("a", Some("1")), ("b", Some("2"))],
        ),
        (Some("k2"), Some("v2 => still v2"), vec![("c", Some("3"))]),
        // No key separator, ignored: a null key and the rest of the line as the value.
        (None, Some("-|-"), vec![]),
    ]);
    assert_eq!(contents(&consume(&topic, want.len())), want);
}

#[test]
fn bootstrap_server_with_trailing_comma() {
    // Java's split(",") drops trailing empty entries: `host:port,` is accepted.
    let bs = support::bootstrap();
    let topic = support::unique_topic("console-trailing-comma");
    support::create_topic(&topic, 1, 1, &[]);
    let servers = format!("{bs},,");
    let out = run_ok(
        &["--bootstrap-server", &servers, "--topic", &topic],
        "one\n",
    );
    assert!(stderr(&out).is_empty(), "stderr: {}", stderr(&out));
    let want = expected(&[(None, Some("one"), vec![])]);
    assert_eq!(contents(&consume(&topic, want.len())), want);
    // An empty entry before another one is still refused, as in Java.
    let servers = format!(",{bs}");
    let out = run(&["--bootstrap-server", &servers, "--topic", &topic], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Please provide valid host:port"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reader_config_file_keeps_escaped_whitespace() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("console-reader-config");
    support::create_topic(&topic, 1, 1, &[]);
    let dir = std::env::temp_dir().join(support::unique_topic("console-reader-config"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("reader.properties");
    // `\t` is a tab in a Java properties file (and a separator of one space, `\ `, stays one
    // space): Java's Properties.load keeps escaped and trailing whitespace.
    std::fs::write(
        &file,
        "parse.key=true\n\
         key.separator=\\t\n\
         parse.headers=true\n\
         headers.delimiter=\\ \n",
    )
    .unwrap();
    let file_arg = file.to_string_lossy().into_owned();
    let out = run_ok(
        &[
            "--bootstrap-server",
            &bs,
            "--topic",
            &topic,
            "--reader-config",
            &file_arg,
        ],
        "h:1 k1\tv1\n",
    );
    assert!(stderr(&out).is_empty(), "stderr: {}", stderr(&out));
    let want = expected(&[(Some("k1"), Some("v1"), vec![("h", Some("1"))])]);
    assert_eq!(contents(&consume(&topic, want.len())), want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn producer_config_file_and_producer_property() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("console-config");
    support::create_topic(&topic, 1, 1, &[]);
    let dir = std::env::temp_dir().join(support::unique_topic("console-producer-config"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("producer.properties");
    // bootstrap.servers of the file is overridden by --producer-property (no port listens at
    // 127.0.0.1:1: the records only arrive if the property won), and there is no
    // --bootstrap-server at all. compression.type of the file is overridden by
    // --compression-codec (given without a value: gzip), as in Java.
    std::fs::write(
        &file,
        "# a Java producer.properties\n\
         bootstrap.servers=127.0.0.1:1\n\
         client.id=console-from-file\n\
         acks=1\n\
         linger.ms=5\n\
         compression.type=lz4\n",
    )
    .unwrap();
    let file_arg = file.to_string_lossy().into_owned();
    let bootstrap_prop = format!("bootstrap.servers={bs}");
    let out = run_ok(
        &[
            "--topic",
            &topic,
            "--producer.config",
            &file_arg,
            "--producer-property",
            &bootstrap_prop,
            "--producer-property",
            "max.block.ms=20000",
            "--compression-codec",
        ],
        "one\ntwo\nthree\n",
    );
    assert!(stderr(&out).is_empty(), "stderr: {}", stderr(&out));
    let want = expected(&[
        (None, Some("one"), vec![]),
        (None, Some("two"), vec![]),
        (None, Some("three"), vec![]),
    ]);
    assert_eq!(contents(&consume(&topic, want.len())), want);

    // The stored batches are gzip (attributes bits 0-2 = 1), not the file's lz4.
    let log = support::stored_log(&bs, &topic, 0);
    let mut pos = 0;
    let mut batches = 0;
    while pos + 61 <= log.len() {
        let len = i32::from_be_bytes(log[pos + 8..pos + 12].try_into().unwrap()) as usize;
        let attributes = i16::from_be_bytes(log[pos + 21..pos + 23].try_into().unwrap());
        assert_eq!(attributes & 7, 1, "batch at byte {pos}: not gzip");
        batches += 1;
        pos += 12 + len;
    }
    assert!(batches >= 1);

    // A setting the crate does not know fails before anything is read, naming the key.
    std::fs::write(&file, format!("bootstrap.servers={bs}\nlingr.ms=5\n")).unwrap();
    let out = run(&["--topic", &topic, "--producer.config", &file_arg], "x\n");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("lingr.ms"),
        "stderr: {}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors() {
    let bs = support::bootstrap();
    let fails = |args: &[&str], message: &str| {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{args:?}: want {message:?} in:\n{}",
            stderr(&out)
        );
    };
    fails(
        &["--bootstrap-server", &bs],
        "Missing required argument \"[topic]\"",
    );
    fails(
        &["--topic", "t"],
        "Missing required argument \"[bootstrap-server]\"",
    );
    fails(
        &["--topic", "t", "--bootstrap-server", "no-port"],
        "Please provide valid host:port",
    );
    fails(
        &[
            "--topic",
            "t",
            "--bootstrap-server",
            &bs,
            "--no-such-option",
        ],
        "no-such-option is not a recognized option",
    );
    fails(
        &[
            "--topic",
            "t",
            "--bootstrap-server",
            &bs,
            "--batch-size",
            "big",
        ],
        "Cannot parse argument 'big' of option batch-size",
    );
    fails(
        &["--bootstrap-server", &bs, "--topic"],
        "Option topic requires an argument",
    );
    fails(
        &[
            "--topic",
            "t",
            "--bootstrap-server",
            &bs,
            "--property",
            "headers.separator=:",
        ],
        "headers.separator and headers.key.separator may not be equal",
    );
    let help = run(&["--help"], "");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--producer-property"));
}

#[test]
fn line_without_separator_fails_unless_ignore_error() {
    let bs = support::bootstrap();
    let strict = support::unique_topic("console-strict");
    let lenient = support::unique_topic("console-lenient");
    support::create_topic(&strict, 1, 1, &[]);
    support::create_topic(&lenient, 1, 1, &[]);
    let input = "k1\tv1\nno separator\nk3\tv3\n";

    // As Java: the tool stops at line 2 with status 1; line 1, sent before, is delivered.
    let out = run(
        &[
            "--bootstrap-server",
            &bs,
            "--topic",
            &strict,
            "--property",
            "parse.key=true",
        ],
        input,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("No key separator found on line number 2: 'no separator'"),
        "stderr: {}",
        stderr(&out)
    );
    let want = expected(&[(Some("k1"), Some("v1"), vec![])]);
    // (Waits 8 s for a second record that must not come.)
    let got = support::consume(&strict, 2, Duration::from_secs(8));
    assert_eq!(contents(&got), want);

    // ignore.error=true: the line is sent with a null key and the whole line as its value.
    run_ok(
        &[
            "--bootstrap-server",
            &bs,
            "--topic",
            &lenient,
            "--property",
            "parse.key=true",
            "--property",
            "ignore.error=true",
        ],
        input,
    );
    let want = expected(&[
        (Some("k1"), Some("v1"), vec![]),
        (None, Some("no separator"), vec![]),
        (Some("k3"), Some("v3"), vec![]),
    ]);
    assert_eq!(contents(&consume(&lenient, want.len())), want);

    // A header without its key separator fails the same way (ignore.error off).
    let out = run(
        &[
            "--bootstrap-server",
            &bs,
            "--topic",
            &lenient,
            "--property",
            "parse.headers=true",
        ],
        "a:1,b\tvalue\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("No header key separator found in pair 'b' on line number 1"),
        "stderr: {}",
        stderr(&out)
    );
}

#[test]
fn failed_send_prints_java_error_line() {
    let bs = support::bootstrap();
    let topic = support::unique_topic("console-too-large");
    support::create_topic(&topic, 1, 1, &[]);
    let input = format!("k\t{}\nk2\tsmall\n", "a".repeat(300));
    let base = [
        "--bootstrap-server",
        bs.as_str(),
        "--topic",
        topic.as_str(),
        "--property",
        "parse.key=true",
        "--producer-property",
        "max.request.size=200",
    ];
    let want_line = format!(
        "Error when sending message to topic {topic} with key: 1 bytes, value: 300 bytes with error: "
    );

    // Asynchronous (Java's ErrorLoggingCallback): the error is printed, the next record is sent,
    // and the tool exits with status 0.
    let out = run_ok(&base, &input);
    assert!(
        stderr(&out).contains(&want_line),
        "stderr: {}",
        stderr(&out)
    );
    let want = expected(&[(Some("k2"), Some("small"), vec![])]);
    assert_eq!(contents(&consume(&topic, 1)), want);

    // --sync: the failed send ends the tool with status 1, before the next line.
    let mut args = base.to_vec();
    args.push("--sync");
    let out = run(&args, &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&want_line),
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(support::end_offsets(&topic), vec![(0, 1)]);
}
