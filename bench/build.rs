// `sqlx::migrate!` embeds the migrations at compile time, but Cargo does not
// see a migration added to the directory: rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
