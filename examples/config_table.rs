//! Prints the configuration table of the README (every accepted key, its default and meaning),
//! generated from `kafka_producer::config::CONFIG_KEYS` so the two never drift apart (the unit
//! test `config::tests::readme_table_is_current` checks it).
//!
//! ```text
//! cargo run --example config_table
//! ```

fn main() {
    print!("{}", kafka_producer::config::markdown_table());
}
