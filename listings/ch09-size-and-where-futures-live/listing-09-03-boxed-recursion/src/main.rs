//! A recursive `async fn`, made possible by boxing the recursive call.
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready.
pub struct YieldOnce {
    yielded: bool,
}

pub fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ANCHOR: count_files
pub struct Folder {
    files: u32,
    folders: Vec<Folder>,
}

/// Counts the files in `folder` and everything below it. Each folder costs
/// one wait, as if it had to be read from a slow disk.
pub async fn count_files(folder: &Folder) -> u32 {
    yield_once().await;
    let mut total = folder.files;
    for sub in &folder.folders {
        // The inner future goes into a heap allocation of its own; this
        // future's state holds only the pointer, so its size is finite.
        total += Box::pin(count_files(sub)).await;
    }
    total
}
// ANCHOR_END: count_files

/// Polls `future` until it is ready; returns its output and the number of
/// polls that took (every leaf here wakes its task before `Pending`).
pub fn run<F: Future>(future: F) -> (F::Output, u32) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}

// ANCHOR: main
fn main() {
    let leaf = |files| Folder {
        files,
        folders: vec![],
    };
    let root = Folder {
        files: 1,
        folders: vec![
            leaf(2),
            Folder {
                files: 0,
                folders: vec![leaf(3), leaf(4)],
            },
        ],
    };
    let (files, polls) = run(count_files(&root));
    println!("{files} files in 5 folders, found in {polls} polls");
    println!(
        "count_files(&root) is {} bytes",
        size_of_val(&count_files(&root))
    );
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deep_chain_of_folders() {
        let mut folder = Folder {
            files: 1,
            folders: vec![],
        };
        for _ in 0..99 {
            folder = Folder {
                files: 1,
                folders: vec![folder],
            };
        }
        // One wait per folder, plus the final poll that finishes.
        assert_eq!(run(count_files(&folder)), (100, 101));
    }
}
