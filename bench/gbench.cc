// gbench: the C API of gbench.h, a thin shim over Google Benchmark.
//
// The opaque C types are the library's own objects: a gbench_state * is a
// benchmark::State *, a gbench_benchmark * a benchmark::internal::Benchmark *,
// converted back at the boundary.  No C++ exception may cross into C: the only
// throwing calls (allocation in registration and counter maps) are caught here.
#include "bench/gbench.h"

#include <atomic>
#include <cstdio>
#include <new>
#include <string>

#include <benchmark/benchmark.h>

namespace {

// Set when something must make gbench_main() fail although the run completed.
std::atomic<bool> registration_failed{false};
std::atomic<bool> benchmark_failed{false};

benchmark::State &st(gbench_state *state)
{
	return *reinterpret_cast<benchmark::State *>(state);
}

const benchmark::State &st(const gbench_state *state)
{
	return *reinterpret_cast<const benchmark::State *>(state);
}

benchmark::internal::Benchmark *bm(gbench_benchmark *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

gbench_benchmark *handle(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<gbench_benchmark *>(b);
}

void set_counter(gbench_state *state, const char *name, double value,
		 benchmark::Counter::Flags flags)
{
	try {
		st(state).counters[name] = benchmark::Counter(value, flags);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: counter %s: %s\n", name, e.what());
		benchmark_failed = true;
	}
}

} // namespace

extern "C" {

gbench_benchmark *gbench_register(const char *name, gbench_fn fn, void *ctx)
{
	try {
		// The library copies the name; the lambda keeps fn and ctx by value.
		return handle(benchmark::RegisterBenchmark(
			name, [fn, ctx](benchmark::State &state) {
				fn(reinterpret_cast<gbench_state *>(&state), ctx);
			}));
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: cannot register %s: %s\n", name, e.what());
		registration_failed = true;
		return nullptr;
	}
}

// Each setter passes a NULL handle through so chains after a failure stay harmless.
#define GBENCH_CHAIN(b, call)                                                                      \
	do {                                                                                       \
		if (!(b))                                                                          \
			return nullptr;                                                            \
		try {                                                                              \
			return handle(bm(b)->call);                                                \
		} catch (const std::exception &e) {                                                \
			std::fprintf(stderr, "gbench: %s: %s\n", #call, e.what());                 \
			registration_failed = true;                                                \
			return nullptr;                                                            \
		}                                                                                  \
	} while (0)

gbench_benchmark *gbench_arg(gbench_benchmark *b, int64_t x)
{
	GBENCH_CHAIN(b, Arg(x));
}

gbench_benchmark *gbench_arg_range(gbench_benchmark *b, int64_t lo, int64_t hi)
{
	GBENCH_CHAIN(b, Range(lo, hi));
}

gbench_benchmark *gbench_range_multiplier(gbench_benchmark *b, int multiplier)
{
	GBENCH_CHAIN(b, RangeMultiplier(multiplier));
}

gbench_benchmark *gbench_dense_range(gbench_benchmark *b, int64_t start, int64_t limit, int step)
{
	GBENCH_CHAIN(b, DenseRange(start, limit, step));
}

gbench_benchmark *gbench_arg_name(gbench_benchmark *b, const char *arg_name)
{
	GBENCH_CHAIN(b, ArgName(arg_name));
}

gbench_benchmark *gbench_min_time(gbench_benchmark *b, double seconds)
{
	GBENCH_CHAIN(b, MinTime(seconds));
}

gbench_benchmark *gbench_iterations(gbench_benchmark *b, int64_t n)
{
	GBENCH_CHAIN(b, Iterations(n));
}

gbench_benchmark *gbench_repetitions(gbench_benchmark *b, int n)
{
	GBENCH_CHAIN(b, Repetitions(n));
}

gbench_benchmark *gbench_unit(gbench_benchmark *b, enum gbench_time_unit unit)
{
	benchmark::TimeUnit u = benchmark::kNanosecond;

	switch (unit) {
	case GBENCH_NANOSECOND:
		u = benchmark::kNanosecond;
		break;
	case GBENCH_MICROSECOND:
		u = benchmark::kMicrosecond;
		break;
	case GBENCH_MILLISECOND:
		u = benchmark::kMillisecond;
		break;
	case GBENCH_SECOND:
		u = benchmark::kSecond;
		break;
	}
	GBENCH_CHAIN(b, Unit(u));
}

#undef GBENCH_CHAIN

void gbench_add_context(const char *key, const char *value)
{
	try {
		benchmark::AddCustomContext(key, value);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: context %s: %s\n", key, e.what());
	}
}

int gbench_main(int argc, char **argv)
{
	try {
		benchmark::Initialize(&argc, argv);
		if (benchmark::ReportUnrecognizedArguments(argc, argv))
			return 1;
		benchmark::RunSpecifiedBenchmarks();
		benchmark::Shutdown();
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: %s\n", e.what());
		return 1;
	}
	if (registration_failed)
		std::fprintf(stderr, "gbench: some benchmarks could not be registered\n");
	if (benchmark_failed)
		std::fprintf(stderr, "gbench: some benchmarks failed (see ERROR OCCURRED above)\n");
	return registration_failed || benchmark_failed ? 1 : 0;
}

bool gbench_keep_running(gbench_state *state)
{
	return st(state).KeepRunning();
}

bool gbench_keep_running_batch(gbench_state *state, int64_t n)
{
	return st(state).KeepRunningBatch(n);
}

int64_t gbench_range(gbench_state *state, int i)
{
	return st(state).range(static_cast<std::size_t>(i));
}

int64_t gbench_iterations_done(const gbench_state *state)
{
	return st(state).iterations();
}

void gbench_pause_timing(gbench_state *state)
{
	st(state).PauseTiming();
}

void gbench_resume_timing(gbench_state *state)
{
	st(state).ResumeTiming();
}

void gbench_set_items_processed(gbench_state *state, int64_t items)
{
	try {
		st(state).SetItemsProcessed(items);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: items_processed: %s\n", e.what());
		benchmark_failed = true;
	}
}

void gbench_set_bytes_processed(gbench_state *state, int64_t bytes)
{
	try {
		st(state).SetBytesProcessed(bytes);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: bytes_processed: %s\n", e.what());
		benchmark_failed = true;
	}
}

void gbench_set_counter(gbench_state *state, const char *name, double value)
{
	set_counter(state, name, value, benchmark::Counter::kDefaults);
}

void gbench_set_counter_per_iteration(gbench_state *state, const char *name, double value)
{
	set_counter(state, name, value, benchmark::Counter::kAvgIterations);
}

void gbench_set_label(gbench_state *state, const char *label)
{
	try {
		st(state).SetLabel(label);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "gbench: label: %s\n", e.what());
		benchmark_failed = true;
	}
}

void gbench_skip_with_error(gbench_state *state, const char *msg)
{
	benchmark_failed = true;
	st(state).SkipWithError(msg);
}

} // extern "C"
