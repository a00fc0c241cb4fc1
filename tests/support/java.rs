//! Java cross-check helpers: runs `tests/java/PartitionOf.java` (a single-file program run
//! with the Kafka jars on the class path) to get the partitions the Java client computes for
//! 5,000 string keys `"key-<i>"` and 5,000 int keys ([`int_key`]).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Keys of each kind.
pub const COUNT: usize = 5000;
/// Partition counts to check.
pub const PARTITIONS: [usize; 2] = [7, 12];

/// The key generator of `PartitionOf.java` for int keys.
pub fn int_key(i: usize) -> i32 {
    if i < COUNT / 2 {
        i as i32 - (COUNT / 4) as i32
    } else {
        (i as i32).wrapping_mul(0x9E37_79B1_u32 as i32)
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn has_kafka_clients(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("kafka-clients-") && name.ends_with(".jar")
        })
    })
}

/// The directory of the Kafka jars.
pub fn kafka_libs() -> PathBuf {
    if let Some(dir) = std::env::var_os("KAFKA_LIBS").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            has_kafka_clients(&dir),
            "$KAFKA_LIBS={} holds no kafka-clients-*.jar",
            dir.display()
        );
        return dir;
    }
    let mut tried = Vec::new();
    let script = manifest_dir().join("scripts/kafka.sh");
    if script.is_file() {
        // The client jars of the default release, whatever broker release the tests run
        // against (KAFKA_VERSION): the Java helpers are client code, and the 4.x client talks
        // to brokers from 2.1 on.
        match Command::new("bash")
            .arg(&script)
            .arg("fetch")
            .env_remove("KAFKA_VERSION")
            .current_dir(manifest_dir())
            .output()
        {
            Ok(out) if out.status.success() => {
                let stdout = String::from_utf8_lossy(&out.stdout);
                if let Some(last) = stdout.lines().rev().find(|l| !l.trim().is_empty()) {
                    let dir = PathBuf::from(last.trim());
                    if has_kafka_clients(&dir) {
                        return dir;
                    }
                    tried.push(format!(
                        "scripts/kafka.sh fetch printed {}, which holds no kafka-clients jar",
                        dir.display()
                    ));
                } else {
                    tried.push("scripts/kafka.sh fetch printed nothing".to_string());
                }
            }
            Ok(out) => tried.push(format!(
                "scripts/kafka.sh fetch failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => tried.push(format!("could not run scripts/kafka.sh: {e}")),
        }
    } else {
        tried.push(format!("no {}", script.display()));
    }
    let fallback = PathBuf::from("/tmp/kafka-jars-test");
    if has_kafka_clients(&fallback) {
        return fallback;
    }
    tried.push(format!("no kafka-clients jar in {}", fallback.display()));
    panic!(
        "cannot find the Kafka jars (set KAFKA_LIBS to their directory):\n  {}",
        tried.join("\n  ")
    );
}

pub fn java() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin/java"))
        .filter(|java| java.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// Runs `PartitionOf.java` and returns its stdout lines.
pub fn java_partitions() -> Vec<String> {
    let libs = kafka_libs();
    let mut cmd = Command::new(java());
    // Start-up dominates: C1 only and a serial GC make it about twice as fast.
    cmd.args([
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-Xshare:auto",
    ])
    .arg("-cp")
    .arg(format!("{}/*", libs.display()))
    .arg(manifest_dir().join("tests/java/PartitionOf.java"))
    .arg(COUNT.to_string());
    for n in PARTITIONS {
        cmd.arg(n.to_string());
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?} (is Java 17+ installed?): {e}", java()));
    assert!(
        out.status.success(),
        "PartitionOf.java failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("PartitionOf.java prints UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}
