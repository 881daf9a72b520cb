//! Way 3: forbid moves, here with nothing but privacy, at no cost at run time.

use std::pin::Pin;

/// The waiting state of Listing 11-2.
struct Waiting {
    numbers: [u32; 4],
    tail: *const u32,
    tail_len: usize,
}

impl Waiting {
    fn points_into_itself(&self) -> bool {
        let start = (&raw const *self).addr();
        (start..start + size_of::<Self>()).contains(&self.tail.addr())
    }
}

// ANCHOR: stays_put
mod stays_put {
    use super::Waiting;

    /// A `Waiting` that is put on the heap once and never leaves its place there.
    pub struct StaysPut {
        // Private: no code outside this module can reach the `Waiting`.
        // A raw pointer rather than a `Box`, because a `Box` promises to be
        // the only way to its contents, and `tail` is a second way (Miri
        // rejects the `Box` version).
        inner: *mut Waiting,
    }

    impl StaysPut {
        pub fn new(numbers: [u32; 4]) -> StaysPut {
            let inner = Box::into_raw(Box::new(Waiting {
                numbers,
                tail: std::ptr::null(),
                tail_len: 0,
            }));
            // SAFETY: `inner` comes from `Box::into_raw`, so it is valid and
            // ours alone. The value is at its final address now: only now do
            // we point into it.
            unsafe {
                (*inner).tail =
                    (&raw const (*inner).numbers).cast::<u32>().add(1);
                (*inner).tail_len = 3;
            }
            StaysPut { inner }
        }

        fn waiting(&self) -> &Waiting {
            // SAFETY: `inner` stays valid until `drop`, and we only ever read through it.
            unsafe { &*self.inner }
        }

        pub fn points_into_itself(&self) -> bool {
            self.waiting().points_into_itself()
        }

        pub fn sum_tail(&self) -> u32 {
            let waiting = self.waiting();
            // SAFETY: `tail` was set once the value was at its final address,
            // and this module never moves it from there: it gives out neither
            // the `Waiting` by value nor a `&mut Waiting`, so nobody else can
            // move it either.
            let tail = unsafe {
                std::slice::from_raw_parts(waiting.tail, waiting.tail_len)
            };
            tail.iter().sum()
        }
    }

    impl Drop for StaysPut {
        fn drop(&mut self) {
            // SAFETY: `inner` came from `Box::into_raw` and is freed only here, once.
            drop(unsafe { Box::from_raw(self.inner) });
        }
    }
}
use stays_put::StaysPut;
// ANCHOR_END: stays_put

// ANCHOR: main
fn main() {
    let mut a = StaysPut::new([10, 20, 30, 40]);
    let mut b = StaysPut::new([1, 2, 3, 4]);
    std::mem::swap(&mut a, &mut b); // swaps the two boxes, not what is in them
    let all = [a, b]; // moves the boxes again
    for (i, s) in all.iter().enumerate() {
        let into_itself = s.points_into_itself();
        println!(
            "all[{i}]: into itself: {into_itself}, sum of the tail: {}",
            s.sum_tail()
        );
    }

    println!("what it costs at run time:");
    println!("  Box<Waiting>      {} bytes", size_of::<Box<Waiting>>());
    println!("  StaysPut          {} bytes", size_of::<StaysPut>());
    println!(
        "  Pin<Box<Waiting>> {} bytes",
        size_of::<Pin<Box<Waiting>>>()
    );
    println!("  &mut Waiting      {} bytes", size_of::<&mut Waiting>());
    println!(
        "  Pin<&mut Waiting> {} bytes",
        size_of::<Pin<&mut Waiting>>()
    );
}
// ANCHOR_END: main
