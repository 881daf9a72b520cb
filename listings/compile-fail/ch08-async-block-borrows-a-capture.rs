use std::future::Future;
// ANCHOR: shown
async fn twice<F, Fut>(mut f: F)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = ()>,
{
    f(1).await;
    f(2).await;
}

fn main() {
    let mut log = Vec::new();
    let _ = twice(|x| async { log.push(x) });
}
// ANCHOR_END: shown
