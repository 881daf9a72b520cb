//! A value needed by two steps of a chain: with combinators it must be handed
//! from step to step; with `async`/`await` it simply stays where it is.
extern crate futures;

use futures::FutureExt;
use futures::executor::block_on;
use std::future::{Future, Ready, ready};

// ANCHOR: db
/// A pretend database connection. There is only one, and it cannot be cloned.
pub struct Db {
    queries: u32,
}

impl Db {
    /// Each query answers with a future (here, one that is ready at once).
    pub fn user_id(&mut self, name: &str) -> Ready<u32> {
        self.queries += 1;
        ready(name.len() as u32)
    }

    pub fn balance(&mut self, user: u32) -> Ready<i64> {
        self.queries += 1;
        ready(i64::from(user) * 100)
    }
}
// ANCHOR_END: db

// ANCHOR: combinators
fn report_with_combinators(mut db: Db) -> impl Future<Output = String> {
    db.user_id("ferris")
        // `db` moves into this closure. The step after it can only have `db`
        // back if this step hands it on, packed together with its own output.
        .then(move |user| db.balance(user).map(move |balance| (db, balance)))
        .map(|(db, balance)| {
            format!("balance {balance} after {} queries", db.queries)
        })
}
// ANCHOR_END: combinators

// ANCHOR: async
async fn report_with_async(mut db: Db) -> String {
    let user = db.user_id("ferris").await;
    let balance = db.balance(user).await;
    format!("balance {balance} after {} queries", db.queries)
}
// ANCHOR_END: async

// ANCHOR: main
fn main() {
    let report = block_on(report_with_combinators(Db { queries: 0 }));
    println!("combinators: {report}");
    let report = block_on(report_with_async(Db { queries: 0 }));
    println!("async/await: {report}");
}
// ANCHOR_END: main
