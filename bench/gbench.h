/*
 * gbench: a small C API over Google Benchmark (1.7), so benchmarks of the C
 * code can be written in C.
 *
 * A benchmark is a function `void fn(gbench_state *state, void *ctx)` that
 * does its setup, then runs the timed loop
 *
 *	while (gbench_keep_running(state))
 *		<one operation>;
 *
 * and cleans up.  Google Benchmark calls it several times (to pick an
 * iteration count, then for each repetition), so setup and cleanup run once
 * per call, outside the timed region.  Register benchmarks at the start of
 * main() and hand over to gbench_main():
 *
 *	gbench_range_multiplier(gbench_arg_range(
 *		gbench_register("tree/insert", bench_insert, NULL), 1, 100000), 10);
 *	return gbench_main(argc, argv);
 *
 * gbench_range(state, 0) then gives the argument (1, 10, ..., 100000) and the
 * reported name is "tree/insert/<arg>".
 *
 * The registration functions return their handle so that they chain; a NULL
 * handle (a failed gbench_register) passes through them unchanged and makes
 * gbench_main() fail.  Invalid configuration (a range with lo > hi, a
 * multiplier < 2, ...) is a programming error that Google Benchmark reports
 * by aborting, as it does for C++ users.
 *
 * Not thread-aware: one thread per benchmark (no Threads()).
 */
#ifndef TEESHM_BENCH_GBENCH_H
#define TEESHM_BENCH_GBENCH_H

#include <stdbool.h>
#include <stdint.h>

#if !defined(__GNUC__)
#error "gbench.h needs GCC or Clang (inline asm optimisation barriers)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The running benchmark: a benchmark::State behind an opaque type. */
typedef struct gbench_state gbench_state;
/* A registered benchmark: a benchmark::internal::Benchmark behind an opaque type. */
typedef struct gbench_benchmark gbench_benchmark;
/* A benchmark body; ctx is the pointer given to gbench_register(). */
typedef void (*gbench_fn)(gbench_state *state, void *ctx);

/* Time unit of the reported Time and CPU columns (default nanoseconds). */
enum gbench_time_unit {
	GBENCH_NANOSECOND,
	GBENCH_MICROSECOND,
	GBENCH_MILLISECOND,
	GBENCH_SECOND,
};

/* ---- Registration (call before gbench_main) ---- */

/*
 * Register fn under name (copied), to be called with ctx.  Slashes in the
 * name group results ("vaspace/alloc_free"); each argument adds "/<arg>".
 * Returns the handle, or NULL when out of memory.
 */
gbench_benchmark *gbench_register(const char *name, gbench_fn fn, void *ctx);

/* Run once more with argument x (read back with gbench_range(state, 0)). */
gbench_benchmark *gbench_arg(gbench_benchmark *b, int64_t x);

/*
 * Run with arguments lo, lo * m, lo * m^2, ... below hi, and hi, where m is
 * the range multiplier (default 8; set it first with gbench_range_multiplier).
 */
gbench_benchmark *gbench_arg_range(gbench_benchmark *b, int64_t lo, int64_t hi);

/* Multiplier for a later gbench_arg_range(); at least 2. */
gbench_benchmark *gbench_range_multiplier(gbench_benchmark *b, int multiplier);

/* Run with arguments start, start + step, ... up to limit inclusive. */
gbench_benchmark *gbench_dense_range(gbench_benchmark *b, int64_t start, int64_t limit, int step);

/* Name the argument in the report: "bench/live:1000" instead of "bench/1000". */
gbench_benchmark *gbench_arg_name(gbench_benchmark *b, const char *arg_name);

/*
 * Keep iterating until at least this many seconds were timed (default 0.5 s,
 * or --benchmark_min_time).  Excludes gbench_iterations().
 */
gbench_benchmark *gbench_min_time(gbench_benchmark *b, double seconds);

/* Run exactly n iterations instead of choosing a count by time.  Excludes gbench_min_time(). */
gbench_benchmark *gbench_iterations(gbench_benchmark *b, int64_t n);

/* Run the whole benchmark n times and also report mean, median and stddev. */
gbench_benchmark *gbench_repetitions(gbench_benchmark *b, int n);

/* Report time in this unit. */
gbench_benchmark *gbench_unit(gbench_benchmark *b, enum gbench_time_unit unit);

/* Add "key": "value" to the context printed before the results and written to JSON. */
void gbench_add_context(const char *key, const char *value);

/*
 * Run the benchmarks: parse and remove the --benchmark_* flags, reject any
 * other argument, run what --benchmark_filter selects, print the table (and
 * the --benchmark_out file).  Returns 0, or 1 when an argument was not
 * recognised, a registration failed or a benchmark called
 * gbench_skip_with_error() (so CI notices a benchmark whose setup broke).
 */
int gbench_main(int argc, char **argv);

/* ---- Inside a benchmark ---- */

/*
 * The timed loop condition: true while more iterations are wanted.  The first
 * call starts the timer, the last (false) one stops it; the benchmark must
 * call it until it returns false (unless it skipped with an error).  Costs an
 * out-of-line call, about a nanosecond: for operations of a few nanoseconds
 * use gbench_keep_running_batch().
 */
bool gbench_keep_running(gbench_state *state);

/*
 * As gbench_keep_running(), but each true return stands for a batch of n
 * iterations, which the caller runs in its own inner loop.  The total may
 * overshoot the wanted count by up to n - 1; the reported iteration count
 * and time per iteration account for that.
 */
bool gbench_keep_running_batch(gbench_state *state, int64_t n);

/*
 * Argument i of this run (i = 0 for the gbench_arg / gbench_arg_range value).
 * i must be below the number of arguments the benchmark was registered with:
 * a benchmark registered without any has none, and reading one is undefined
 * behaviour (as in C++; the library's bounds assert is compiled out with NDEBUG).
 */
int64_t gbench_range(gbench_state *state, int i);

/* Iterations run so far; after the loop, the total the report divides by. */
int64_t gbench_iterations_done(const gbench_state *state);

/* Stop / restart the timer inside the loop, for per-iteration setup (each costs ~0.1-1 us). */
void gbench_pause_timing(gbench_state *state);
void gbench_resume_timing(gbench_state *state);

/* Report items_per_second = items / total time (call after the loop). */
void gbench_set_items_processed(gbench_state *state, int64_t items);

/* Report bytes_per_second = bytes / total time (call after the loop). */
void gbench_set_bytes_processed(gbench_state *state, int64_t bytes);

/* Report a user counter column `name` with this value, as is. */
void gbench_set_counter(gbench_state *state, const char *name, double value);

/* Report a user counter column `name` with value / iterations (a per-operation average). */
void gbench_set_counter_per_iteration(gbench_state *state, const char *name, double value);

/* A free-form label shown at the end of the result line. */
void gbench_set_label(gbench_state *state, const char *label);

/*
 * Mark this run failed with msg and report no timings for it.  The
 * benchmark must then return without entering (or must leave) its timed
 * loop; gbench_keep_running() returns false from now on.
 */
void gbench_skip_with_error(gbench_state *state, const char *msg);

/*
 * Optimisation barriers, inline so they cost nothing in the timed loop.
 *
 * gbench_do_not_optimize(p): the compiler must assume the object at p (and
 * any memory) is read here, so a computation whose result is stored there is
 * not removed.  Pass the address of the result: gbench_do_not_optimize(&r).
 *
 * gbench_clobber_memory(): the compiler must assume all memory is read and
 * written here, so pending stores are done and later loads are not hoisted.
 */
static inline void gbench_do_not_optimize(const void *p)
{
	__asm__ __volatile__("" : : "g"(p) : "memory");
}

static inline void gbench_clobber_memory(void)
{
	__asm__ __volatile__("" : : : "memory");
}

#ifdef __cplusplus
}
#endif

#endif
