//! serve_echo on the process's MAIN thread, set up as chapter 26's benchmark
//! child sets itself up: open-files limit raised, a line on stdout, a thread
//! blocked reading stdin, a watchdog thread; clients on other threads.
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

#[repr(C)]
struct Rlimit {
    soft: u64,
    hard: u64,
}
unsafe extern "C" {
    fn getrlimit(resource: i32, limit: *mut Rlimit) -> i32;
    fn setrlimit(resource: i32, limit: *const Rlimit) -> i32;
}

fn main() {
    let mut limit = Rlimit { soft: 0, hard: 0 };
    assert_eq!(unsafe { getrlimit(7, &mut limit) }, 0);
    limit.soft = limit.hard;
    assert_eq!(unsafe { setrlimit(7, &limit) }, 0);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    println!("{} {}", address.port(), limit.soft);
    thread::spawn(|| {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
    });
    thread::spawn(|| {
        thread::sleep(Duration::from_secs(20));
        eprintln!("FAILED: not served within 20 s");
        std::process::exit(1);
    });
    thread::spawn(move || {
        let clients: Vec<_> = (0..8)
            .map(|_| {
                thread::spawn(move || {
                    for _ in 0..50 {
                        let mut s = TcpStream::connect(address).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(10)))
                            .unwrap();
                        s.write_all(b"+").unwrap();
                        let mut b = [0];
                        s.read_exact(&mut b).unwrap();
                        assert_eq!(&b, b"+");
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        eprintln!(
            "ok: 400 connections served by serve_echo on the main thread"
        );
        std::process::exit(0);
    });
    listing_25_01_reactor::serve_echo(listener);
}
