//! Nothing to see: this crate exists so that `cargo xtask test` can build one copy of every
//! crate the chapters use, in a folder of its own, and point `mdbook test -L` at it.
pub use futures;
pub use pin_project_lite;
pub use smol;
pub use tokio;
