use std::future::Future;
async fn twice<F, Fut>(mut f: F)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = ()>,
{
    f(1).await;
    f(2).await;
}
fn main() {
    // ANCHOR: shown
    let mut log = Vec::new();
    let _ = twice(|x| async move { log.push(x) });
    // ANCHOR_END: shown
}
