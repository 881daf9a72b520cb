//! Which types are `Unpin`, checked at compile time.

use std::future::{Future, Ready};
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::rc::Rc;

// ANCHOR: checks
/// Compiles only if `T: Unpin`. Called in a `const` item, it costs nothing at run
/// time.
const fn assert_unpin<T: ?Sized + Unpin>() {}

/// Compiles only if `T` is NOT `Unpin`: when it is, the two impls below both fit, and
/// the compiler cannot choose between them.
macro_rules! assert_not_unpin {
    ($t:ty) => {
        const _: fn() = || {
            trait Probe<Which> {
                fn probe() {}
            }
            impl<T: ?Sized> Probe<()> for T {}
            impl<T: ?Sized + Unpin> Probe<u8> for T {}
            <$t as Probe<_>>::probe();
        };
    };
}

struct Plain {
    _count: u32,
    _name: String,
}

struct Pinned {
    _count: u32,
    _pinned: PhantomPinned,
}

// Unpin is an auto trait: a struct is Unpin when all its fields are.
const _: () = assert_unpin::<u32>();
const _: () = assert_unpin::<String>();
const _: () = assert_unpin::<Plain>();
const _: () = assert_unpin::<Ready<u32>>();
assert_not_unpin!(PhantomPinned);
assert_not_unpin!(Pinned);
assert_not_unpin!(Option<Pinned>);
assert_not_unpin!((u32, Pinned));

// A pointer is Unpin whatever it points to: moving the pointer does not move the
// pointee.
const _: () = assert_unpin::<&mut Pinned>();
const _: () = assert_unpin::<Box<Pinned>>();
const _: () = assert_unpin::<Rc<Pinned>>();
const _: () = assert_unpin::<Pin<Box<Pinned>>>();
const _: () = assert_unpin::<Pin<Box<dyn Future<Output = u32>>>>();
// ANCHOR_END: checks

fn main() {
    println!("every Unpin check held at compile time");
}
