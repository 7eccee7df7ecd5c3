//! Rebuilds the library when a migration is added or changed: `embed_migrations!`
//! in src/db/mod.rs reads the folders at compile time, and cargo does not know it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
