extern crate futures;
use futures::FutureExt;
use std::future::{Future, Ready, ready};
pub struct Db {
    queries: u32,
}
impl Db {
    pub fn user_id(&mut self, name: &str) -> Ready<u32> {
        self.queries += 1;
        ready(name.len() as u32)
    }
    pub fn balance(&mut self, user: u32) -> Ready<i64> {
        self.queries += 1;
        ready(i64::from(user) * 100)
    }
}
// ANCHOR: shown
fn report(mut db: Db) -> impl Future<Output = String> {
    db.user_id("ferris")
        .then(move |user| db.balance(user))
        .map(move |balance| format!("balance {balance} after {} queries", db.queries))
}
// ANCHOR_END: shown
fn main() {
    let _ = report(Db { queries: 0 });
}
