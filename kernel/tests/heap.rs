//! The heap: many small blocks, one large one, and memory that is freed being used again.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;
use kernel::allocator;

kernel::test_kernel!(
    timer_hz: 100,
    checks: [many_boxes, large_vec, freed_memory_is_reused]
);

fn many_boxes() {
    let before = allocator::used();
    let boxes: Vec<Box<u64>> = (0..10_000).map(Box::new).collect();
    assert!(boxes.iter().enumerate().all(|(i, b)| **b == i as u64));
    drop(boxes);
    assert_eq!(allocator::used(), before, "every box was freed");
}

fn large_vec() {
    let n = 1_000_000u64; // 8 MB, half of the heap
    let numbers: Vec<u64> = (0..n).collect();
    assert_eq!(numbers.iter().sum::<u64>(), n * (n - 1) / 2);
}

fn freed_memory_is_reused() {
    // Allocates far more than the heap holds, one megabyte at a time.
    let rounds = 4 * allocator::size() / (1 << 20);
    for round in 0..rounds {
        let block = alloc::vec![round as u8; 1 << 20];
        assert_eq!(block[block.len() - 1], round as u8);
    }
    let long_lived = Box::new(7u64);
    for round in 0..10_000u64 {
        let short_lived = Box::new(round);
        assert_eq!(*short_lived, round);
    }
    assert_eq!(*long_lived, 7);
}
