//! Writes `tests/data/synthetic-v1.btsnoop`, the project's own BTSnoop fixture (made-up bytes,
//! no real capture), which `tests/btsnoop.rs` parses and compares with the same source:
//! `cargo run -p proxtrace --example write_btsnoop_fixture -- crates/proxtrace/tests/data/synthetic-v1.btsnoop`.

#[path = "../tests/support/btsnoop_fixture.rs"]
mod btsnoop_fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: write_btsnoop_fixture OUTPUT")?;
    let fixture = btsnoop_fixture::fixture();
    std::fs::write(&out, &fixture.bytes)?;
    println!(
        "wrote {} bytes ({} records, {} items) to {out}",
        fixture.bytes.len(),
        btsnoop_fixture::FIXTURE_RECORDS,
        fixture.items.len()
    );
    Ok(())
}
