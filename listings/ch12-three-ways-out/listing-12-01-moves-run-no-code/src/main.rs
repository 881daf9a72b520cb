//! A move runs none of the value's own code: only `clone` and `drop` print.

// ANCHOR: ticket
/// A value that reports every piece of its own code that runs.
struct Ticket {
    number: u32,
}

impl Clone for Ticket {
    fn clone(&self) -> Self {
        println!("  clone() of ticket {}", self.number);
        Ticket {
            number: self.number + 100,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        println!("  drop() of ticket {}", self.number);
    }
}

fn pass_through<T>(value: T) -> T {
    value
}
// ANCHOR_END: ticket

// ANCHOR: main
fn main() {
    println!("making ticket 1");
    let a = Ticket { number: 1 };

    println!("moving it around");
    let b = a; // to another local
    let c = Box::new(b); // to the heap
    let d = pass_through(*c); // out of the box, into a function and back out
    let mut e = vec![d]; // into a vector
    let ticket = e.pop().unwrap(); // out of the vector

    println!("cloning it");
    let copy = ticket.clone();

    println!("end of main");
    drop(copy);
    drop(ticket);
}
// ANCHOR_END: main
