//! Chapter 19's second benchmark: equal jobs that only compute, and a short
//! job queued behind a long one, on the book's executor (one thread), on a
//! `futures` `ThreadPool` and on plain threads, one per core. Prints two
//! Markdown tables. The number of jobs is fixed, not a multiple of the
//! cores, so that a full run takes well under a minute on any machine.
//! `--quick` runs tiny sizes, only to check that it works.

use futures::executor::ThreadPool;
use listing_19_02_when_async_is_slower::{
    Finished, cpu_bound_on_a_thread_pool, cpu_bound_on_the_executor,
    cpu_bound_on_threads, short_behind_long_on_a_thread_pool,
    short_behind_long_on_the_executor, short_behind_long_on_threads,
};
use std::fmt::Write;
use std::time::Duration;

/// How much work each measurement does.
struct Sizes {
    /// Runs of the CPU-bound jobs; the best is kept.
    runs: usize,
    /// CPU-bound jobs, whatever the number of cores.
    jobs: usize,
    /// Rounds of `crunch` in each CPU-bound job.
    rounds: u64,
    /// Rounds of the long and the short job.
    long: u64,
    short: u64,
    /// Runs of the long and short jobs; the median is kept.
    repetitions: usize,
}

const FULL: Sizes = Sizes {
    runs: 7,
    jobs: 24,
    rounds: 20_000_000,
    long: 40_000_000,
    short: 40_000,
    repetitions: 21,
};

const QUICK: Sizes = Sizes {
    runs: 1,
    jobs: 4,
    rounds: 20_000,
    long: 40_000,
    short: 40,
    repetitions: 3,
};

const CONTENDERS: [&str; 3] = [
    "the book's executor (one thread)",
    "`futures`' `ThreadPool`, a thread per core",
    "threads of their own (`thread::scope`)",
];

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes = if quick { QUICK } else { FULL };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = ThreadPool::builder().pool_size(cores).create().unwrap();
    let mut text = String::new();

    let jobs = sizes.jobs;
    let mut best = [Duration::MAX; 3];
    for _ in 0..sizes.runs {
        // The three take turns, so that a busy moment on the machine is
        // shared out rather than falling on one of them.
        let times = [
            cpu_bound_on_the_executor(jobs, sizes.rounds),
            cpu_bound_on_a_thread_pool(jobs, sizes.rounds, &pool),
            cpu_bound_on_threads(jobs, sizes.rounds, cores),
        ];
        for (best, time) in best.iter_mut().zip(times) {
            *best = (*best).min(time);
        }
    }
    writeln!(
        text,
        "{jobs} equal jobs of {} rounds of `crunch` each, best of {} runs:\n",
        grouped(sizes.rounds),
        sizes.runs
    )
    .unwrap();
    text.push_str(
        "| Where the jobs run | Threads | Wall time (ms) | Speed-up |\n\
         | --- | ---: | ---: | ---: |\n",
    );
    for ((name, threads), time) in
        CONTENDERS.iter().zip([1, cores, cores]).zip(best)
    {
        let speed_up = best[0].as_secs_f64() / time.as_secs_f64();
        writeln!(
            text,
            "| {name} | {threads} | {:.1} | {speed_up:.2} |",
            ms(time)
        )
        .unwrap();
    }

    let mut finished: [Vec<Finished>; 3] = Default::default();
    for _ in 0..sizes.repetitions {
        let (long, short) = (sizes.long, sizes.short);
        finished[0].push(short_behind_long_on_the_executor(long, short));
        finished[1]
            .push(short_behind_long_on_a_thread_pool(long, short, &pool));
        finished[2].push(short_behind_long_on_threads(long, short));
    }
    writeln!(
        text,
        "\nA long job of {} rounds, then a short one of {}; \
         when each was done, median of {} runs:\n",
        grouped(sizes.long),
        grouped(sizes.short),
        sizes.repetitions
    )
    .unwrap();
    text.push_str(
        "| Where the jobs run | Short job done after (ms) | Long job done after (ms) |\n\
         | --- | ---: | ---: |\n",
    );
    for (name, runs) in CONTENDERS.iter().zip(&finished) {
        let short = median(runs.iter().map(|f| f.short));
        let long = median(runs.iter().map(|f| f.long));
        writeln!(text, "| {name} | {:.2} | {:.2} |", ms(short), ms(long))
            .unwrap();
    }
    print!("{text}");
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

/// `n` with its digits in groups of three: 20,000,000.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

fn median(times: impl Iterator<Item = Duration>) -> Duration {
    let mut times: Vec<Duration> = times.collect();
    times.sort();
    times[times.len() / 2]
}
