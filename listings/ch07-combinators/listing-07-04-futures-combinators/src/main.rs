//! The combinators of the `futures` crate, and the nested type that a chain of
//! them builds.
extern crate futures;

use futures::FutureExt;
use futures::channel::oneshot;
use futures::executor::block_on;
use std::any::type_name_of_val;
use std::future::ready;
use std::thread;
use std::time::Duration;

fn main() {
    // ANCHOR: chain
    let (sender, receiver) = oneshot::channel::<u32>();
    let meal = receiver
        .map(|order| order.expect("no order"))
        .then(|order| ready(format!("soup for order {order}")))
        .map(|meal| meal.to_uppercase());

    // The type the compiler built for `meal`: first as Rust spells it, then
    // laid out.
    let name = type_name_of_val(&meal);
    println!("{name}\n");
    println!("{}\n", type_tree::layout(name));

    sender.send(7).unwrap();
    println!("{}", block_on(meal));
    // ANCHOR_END: chain

    // ANCHOR: join
    let (left_tx, left_rx) = oneshot::channel::<&str>();
    let (right_tx, right_rx) = oneshot::channel::<&str>();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        left_tx.send("left").unwrap();
    });
    thread::spawn(move || right_tx.send("right").unwrap());

    // The function `join` is a combinator like ours:
    let both = futures::future::join(left_rx, right_rx);
    println!("join: {:?}", block_on(both));

    // The macro `join!` takes any number of futures, but it waits for them with
    // `.await`, so it works only inside an `async` block (Part III shows what
    // that is).
    let three =
        block_on(async { futures::join!(ready(1), ready("two"), ready(3.0)) });
    println!("join!: {three:?}");
    // ANCHOR_END: join
}

/// Lays out a type name as a tree, and shortens each path to its last part.
mod type_tree {
    /// A type and its generic arguments.
    struct Type {
        name: String,
        args: Vec<Type>,
    }

    pub fn layout(type_name: &str) -> String {
        let mut chars = type_name.chars().peekable();
        let mut out = String::new();
        write(&parse(&mut chars), 0, &mut out);
        out
    }

    fn parse(chars: &mut std::iter::Peekable<std::str::Chars>) -> Type {
        let mut path = String::new();
        while let Some(&c) = chars.peek() {
            if matches!(c, '<' | '>' | ',') {
                break;
            }
            path.push(c);
            chars.next();
        }
        // `alloc::string::String` becomes `String`; `…::main::{{closure}}`,
        // `{{closure}}`.
        let name = path
            .trim()
            .rsplit("::")
            .next()
            .unwrap_or_default()
            .to_string();
        let mut args = Vec::new();
        if chars.peek() == Some(&'<') {
            chars.next();
            loop {
                args.push(parse(chars));
                match chars.next() {
                    Some(',') => continue,
                    Some('>') => break,
                    other => panic!("unexpected {other:?} in a type name"),
                }
            }
        }
        Type { name, args }
    }

    fn write(ty: &Type, depth: usize, out: &mut String) {
        out.push_str(&"    ".repeat(depth));
        out.push_str(&ty.name);
        if ty.args.is_empty() {
            return;
        }
        if ty.args.iter().all(|arg| arg.args.is_empty()) {
            let names: Vec<&str> =
                ty.args.iter().map(|arg| arg.name.as_str()).collect();
            out.push_str(&format!("<{}>", names.join(", ")));
            return;
        }
        out.push_str("<\n");
        for arg in &ty.args {
            write(arg, depth + 1, out);
            out.push_str(",\n");
        }
        out.push_str(&"    ".repeat(depth));
        out.push('>');
    }
}
