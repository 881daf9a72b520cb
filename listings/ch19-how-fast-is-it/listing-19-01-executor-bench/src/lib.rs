//! The benchmark's harness: a counting allocator, the three workloads (run
//! on any executor that implements `Contender`), the two executors of
//! `futures`, tokio's two runtimes and async-executor's `LocalExecutor`, and
//! the table and plot of results. `main.rs` adds the book's two executors
//! and runs it all.

extern crate futures;
extern crate pin_project_lite;
extern crate smol;
extern crate tokio;

use futures::channel::oneshot;
use futures::executor::{LocalPool, LocalSpawner, ThreadPool};
use futures::task::LocalSpawnExt;
use pin_project_lite::pin_project;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

// ANCHOR: allocator
/// The system allocator, keeping count of the allocations and of
/// the bytes in use.
pub struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES_IN_USE: AtomicUsize = AtomicUsize::new(0);

/// How many allocations (and reallocations) the program has made so far.
pub fn allocations() -> usize {
    ALLOCATIONS.load(SeqCst)
}

/// How many heap bytes the program holds right now.
pub fn bytes_in_use() -> usize {
    BYTES_IN_USE.load(SeqCst)
}

// SAFETY: every request goes to the system allocator unchanged; we only count.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, SeqCst);
        BYTES_IN_USE.fetch_add(layout.size(), SeqCst);
        // SAFETY: the caller keeps the contract of
        // `GlobalAlloc::alloc`, as `System` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES_IN_USE.fetch_sub(layout.size(), SeqCst);
        // SAFETY: `ptr` came from `System` with this
        // `layout` (see `alloc`, `realloc`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(
        &self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, SeqCst);
        // SAFETY: as for `dealloc`; the caller keeps `realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            BYTES_IN_USE.fetch_sub(layout.size(), SeqCst);
            BYTES_IN_USE.fetch_add(new_size, SeqCst);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;
// ANCHOR_END: allocator

// ANCHOR: contender
/// An executor in the race.
pub trait Contender {
    /// Its name in the table.
    fn name() -> String;
    fn new() -> Self;
    /// Adds a task. (`Send`, so that the thread pool can take it too.)
    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static);
    /// Returns once every task spawned so far has finished.
    fn run(&mut self);
}
// ANCHOR_END: contender

// ANCHOR: local_pool
/// `futures`' single-threaded executor.
pub struct Local {
    pool: LocalPool,
    spawner: LocalSpawner,
}

impl Contender for Local {
    fn name() -> String {
        "`LocalPool`".to_string()
    }

    fn new() -> Self {
        let pool = LocalPool::new();
        let spawner = pool.spawner();
        Local { pool, spawner }
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.spawner.spawn_local(task).unwrap();
    }

    fn run(&mut self) {
        self.pool.run();
    }
}
// ANCHOR_END: local_pool

// ANCHOR: thread_pool
/// `futures`' thread pool, with one thread per core. Its tasks run on the
/// pool's threads, so `run` has to count them: it waits until the last one
/// has counted itself out.
pub struct Pool(ThreadPool);

/// How many tasks spawned into a `Pool` have not finished. One count serves
/// every pool, since the benchmark runs one at a time.
static UNFINISHED: Countdown = Countdown {
    tasks: AtomicUsize::new(0),
    lock: Mutex::new(()),
    all_done: Condvar::new(),
};

struct Countdown {
    tasks: AtomicUsize,
    lock: Mutex<()>,
    all_done: Condvar,
}

pin_project! {
    /// A task that counts itself out when it finishes. It holds nothing
    /// but the future it wraps, so it is exactly as big.
    struct Counted<F> {
        #[pin]
        task: F,
    }
}

impl<F: Future<Output = ()>> Future for Counted<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.project().task.poll(cx));
        if UNFINISHED.tasks.fetch_sub(1, SeqCst) == 1 {
            // Under the lock, so that this cannot slip in between
            // `run`'s check and wait.
            let _lock = UNFINISHED.lock.lock().unwrap();
            UNFINISHED.all_done.notify_all();
        }
        Poll::Ready(())
    }
}

impl Contender for Pool {
    fn name() -> String {
        format!("`ThreadPool` ({} threads)", threads())
    }

    fn new() -> Self {
        Pool(ThreadPool::builder().pool_size(threads()).create().unwrap())
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        UNFINISHED.tasks.fetch_add(1, SeqCst);
        self.0.spawn_ok(Counted { task });
    }

    fn run(&mut self) {
        let mut lock = UNFINISHED.lock.lock().unwrap();
        while UNFINISHED.tasks.load(SeqCst) > 0 {
            lock = UNFINISHED.all_done.wait(lock).unwrap();
        }
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
// ANCHOR_END: thread_pool

// ANCHOR: runtimes
/// tokio, on one thread or on a pool of them. It has no "run until every
/// task is done", so `run` awaits each task's join handle.
pub struct Tokio {
    runtime: tokio::runtime::Runtime,
    handles: Vec<tokio::task::JoinHandle<()>>,
    threads: usize,
}

impl Tokio {
    /// A runtime on the calling thread (`threads == 0`), or on a pool of
    /// `threads` worker threads.
    fn with_threads(threads: usize) -> Self {
        let mut builder = match threads {
            0 => tokio::runtime::Builder::new_current_thread(),
            n => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(n);
                builder
            }
        };
        let runtime = builder.build().unwrap();
        Tokio {
            runtime,
            handles: Vec::new(),
            threads,
        }
    }

    fn name(&self) -> String {
        match self.threads {
            0 => "tokio `current_thread`".to_string(),
            n => format!("tokio `multi_thread` ({n} threads)"),
        }
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.handles.push(self.runtime.spawn(task));
    }

    fn run(&mut self) {
        let handles = std::mem::take(&mut self.handles);
        self.runtime.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
    }
}

/// tokio's single-threaded runtime.
pub struct TokioCurrentThread(Tokio);

impl Contender for TokioCurrentThread {
    fn name() -> String {
        Tokio::with_threads(0).name()
    }

    fn new() -> Self {
        TokioCurrentThread(Tokio::with_threads(0))
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task);
    }

    fn run(&mut self) {
        self.0.run();
    }
}

/// tokio's runtime with a pool of worker threads, one per core.
pub struct TokioMultiThread(Tokio);

impl Contender for TokioMultiThread {
    fn name() -> String {
        Tokio::with_threads(threads()).name()
    }

    fn new() -> Self {
        TokioMultiThread(Tokio::with_threads(threads()))
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task);
    }

    fn run(&mut self) {
        self.0.run();
    }
}

/// async-executor's single-threaded executor (smol's `LocalExecutor`).
/// Dropping a task's handle cancels the task, so the handles are kept,
/// and `run` awaits them.
pub struct SmolLocal {
    executor: smol::LocalExecutor<'static>,
    tasks: Vec<smol::Task<()>>,
}

impl Contender for SmolLocal {
    fn name() -> String {
        "async-executor `LocalExecutor`".to_string()
    }

    fn new() -> Self {
        SmolLocal {
            executor: smol::LocalExecutor::new(),
            tasks: Vec::new(),
        }
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.push(self.executor.spawn(task));
    }

    fn run(&mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        futures::executor::block_on(self.executor.run(async {
            for task in tasks {
                task.await;
            }
        }));
    }
}
// ANCHOR_END: runtimes

// ANCHOR: workloads
/// Spawns `tasks` tasks that finish at once and runs them: the time and
/// the allocations per task.
pub fn spawn_and_run<C: Contender>(tasks: usize) -> (Duration, f64) {
    let mut executor = C::new();
    let allocations_before = allocations();
    let start = Instant::now();
    for _ in 0..tasks {
        executor.spawn(async {});
    }
    executor.run();
    let time = start.elapsed() / tasks as u32;
    let allocations =
        (allocations() - allocations_before) as f64 / tasks as f64;
    (time, allocations)
}

/// Lets `tasks` tasks each yield `yields` times: wake-ups per second.
pub fn wake_ups<C: Contender>(tasks: usize, yields: usize) -> f64 {
    let mut executor = C::new();
    let start = Instant::now();
    for _ in 0..tasks {
        executor.spawn(async move {
            for _ in 0..yields {
                yield_now().await;
            }
        });
    }
    executor.run();
    (tasks * yields) as f64 / start.elapsed().as_secs_f64()
}

/// Spawns `tasks` tasks that each wait for a message: the heap bytes
/// held per waiting task.
pub fn bytes_per_waiting_task<C: Contender>(tasks: usize) -> usize {
    let mut executor = C::new();
    let channels = (0..tasks).map(|_| oneshot::channel());
    let (senders, mut receivers): (Vec<_>, Vec<_>) = channels.unzip();
    let polled = Arc::new(AtomicUsize::new(0));
    let before = bytes_in_use();
    // `drain` keeps the vector's buffer: freeing it now would
    // count as a saving.
    for receiver in receivers.drain(..) {
        let polled = Arc::clone(&polled);
        executor.spawn(async move {
            polled.fetch_add(1, SeqCst);
            let _: Result<(), _> = receiver.await;
        });
    }
    // One more task measures once every other task has been polled and waits;
    // then it drops the senders, which lets the others finish.
    let measured = Arc::new(AtomicUsize::new(0));
    let result = Arc::clone(&measured);
    executor.spawn(async move {
        while polled.load(SeqCst) < tasks {
            yield_now().await;
        }
        result.store(bytes_in_use().saturating_sub(before), SeqCst);
        drop(senders);
    });
    executor.run();
    measured.load(SeqCst) / tasks
}

/// Lets the other tasks run: the first poll wakes its own
/// task and returns `Pending`.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
// ANCHOR_END: workloads

/// How much work each measurement does. `--quick` only
/// checks that everything runs.
pub struct Sizes {
    pub runs: usize,
    pub spawned_tasks: usize,
    pub yielding_tasks: usize,
    pub yields: usize,
    pub waiting_tasks: usize,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        runs: 7,
        spawned_tasks: 100_000,
        yielding_tasks: 100,
        yields: 10_000,
        waiting_tasks: 10_000,
    };
    pub const QUICK: Sizes = if cfg!(miri) {
        // Miri interprets every instruction: a few tasks are enough there.
        Sizes {
            runs: 1,
            spawned_tasks: 20,
            yielding_tasks: 2,
            yields: 10,
            waiting_tasks: 10,
        }
    } else {
        Sizes {
            runs: 1,
            spawned_tasks: 1_000,
            yielding_tasks: 10,
            yields: 100,
            waiting_tasks: 100,
        }
    };
}

/// One executor's results: one row of the table.
pub struct Row {
    pub name: String,
    pub spawn_ns: f64,
    pub allocations_per_spawn: f64,
    pub wake_ups_per_second: f64,
    pub bytes_per_task: usize,
}

// ANCHOR: measure
/// Measures one executor: the best of `sizes.runs` runs for each timing.
pub fn measure<C: Contender>(sizes: &Sizes) -> Row {
    let runs = 0..sizes.runs;
    let spawns = runs
        .clone()
        .map(|_| spawn_and_run::<C>(sizes.spawned_tasks));
    let (fastest, allocations) = spawns.min_by_key(|(time, _)| *time).unwrap();
    let wakes = runs.map(|_| wake_ups::<C>(sizes.yielding_tasks, sizes.yields));
    Row {
        name: C::name(),
        spawn_ns: fastest.as_nanos() as f64,
        allocations_per_spawn: allocations,
        wake_ups_per_second: wakes.fold(0.0, f64::max),
        bytes_per_task: bytes_per_waiting_task::<C>(sizes.waiting_tasks),
    }
}
// ANCHOR_END: measure

/// The results as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| Executor | Spawn and run one task (ns) | Allocations per spawned task \
         | Wake-ups per second (millions) | Heap per waiting task (bytes) |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let wake_ups = row.wake_ups_per_second / 1e6;
        let _ = writeln!(
            text,
            "| {} | {:.0} | {:.1} | {wake_ups:.2} | {} |",
            row.name,
            row.spawn_ns,
            row.allocations_per_spawn,
            row.bytes_per_task
        );
    }
    text
}

/// One bar chart of the plot: a title, and which number of a row it shows.
struct Chart {
    title: &'static str,
    value: fn(&Row) -> f64,
    decimals: usize,
}

const CHARTS: [Chart; 4] = [
    Chart {
        title: "Spawn and run one task (ns, lower is better)",
        value: |row| row.spawn_ns,
        decimals: 0,
    },
    Chart {
        title: "Allocations per spawned task (lower is better)",
        value: |row| row.allocations_per_spawn,
        decimals: 1,
    },
    Chart {
        title: "Wake-ups per second (millions, higher is better)",
        value: |row| row.wake_ups_per_second / 1e6,
        decimals: 2,
    },
    Chart {
        title: "Heap per waiting task (bytes, lower is better)",
        value: |row| row.bytes_per_task as f64,
        decimals: 0,
    },
];

/// The results as an SVG picture: one bar chart per measurement,
/// one bar per executor.
pub fn plot(rows: &[Row]) -> String {
    const WIDTH: f64 = 720.0;
    const LABEL: f64 = 270.0; // room for the executors' names
    const BAR: f64 = 22.0;
    const COLOURS: [&str; 7] = [
        "#c2410c", "#b45309", "#2563eb", "#7c3aed", "#0891b2", "#059669",
        "#4d7c0f",
    ];
    let chart_height = 34.0 + rows.len() as f64 * (BAR + 6.0) + 14.0;
    let height = chart_height * CHARTS.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (index, chart) in CHARTS.iter().enumerate() {
        let top = index as f64 * chart_height;
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            top + 22.0,
            chart.title
        );
        let largest = rows
            .iter()
            .map(chart.value)
            .fold(f64::MIN_POSITIVE, f64::max);
        for (i, row) in rows.iter().enumerate() {
            let y = top + 34.0 + i as f64 * (BAR + 6.0);
            let value = (chart.value)(row);
            let length = value / largest * (WIDTH - LABEL - 80.0);
            let name = row.name.replace('`', "");
            let colour = COLOURS[i % COLOURS.len()];
            let text_y = y + BAR * 0.72;
            let _ = writeln!(
                svg,
                "<text x=\"10\" y=\"{text_y:.1}\">{name}</text>\n\
                 <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{length:.1}\" height=\"{BAR}\" fill=\"{colour}\"/>\n\
                 <text x=\"{:.1}\" y=\"{text_y:.1}\">{value:.*}</text>",
                LABEL + length + 6.0,
                chart.decimals,
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_a_task_does_not_make_it_bigger() {
        let (_sender, receiver) = oneshot::channel::<()>();
        let task = async move {
            let _: Result<(), _> = receiver.await;
        };
        let size = size_of_val(&task);
        assert_eq!(size_of_val(&Counted { task }), size);
    }
}
