/*
 * The three worlds as real processes: `teeshm run` spawns the secure world,
 * the hypervisor and its guests over shared-memory SMC mailboxes.  These
 * tests run the real binary (its path is argv[1]) and read the JSON lines
 * each world prints.  The test process is a child subreaper, so any world
 * left behind would be re-parented to it and found.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *teeshm;

struct run_out {
	int exit_code; /* -signal if killed */
	char *text;
};

/* How many live processes have parent pid (from /proc/<pid>/stat). */
static int count_children(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		FILE *f;
		int ppid = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			const char *rp = strrchr(buf, ')');

			if (rp)
				sscanf(rp + 2, "%*c %d", &ppid);
		}
		fclose(f);
		n += ppid == parent;
	}
	if (d)
		closedir(d);
	return n;
}

static bool has_child(pid_t pid)
{
	return count_children(pid) > 0;
}

/* Run teeshm with args, optionally sending sig delay_ms after its worlds started; capture stdout. */
static struct run_out run(const char *const *args, int sig, int delay_ms)
{
	struct run_out o = { 0 };
	size_t cap = 1 << 16, len = 0;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32];
		int n = 0;

		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		argv[n++] = teeshm;
		while (*args && n < 31)
			argv[n++] = *args++;
		argv[n] = NULL;
		execv(teeshm, (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	if (sig) {
		struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };
		struct timespec tick = { 0, 10 * 1000000L };
		int waited_ms;

		/* Signal a launcher that is up: wait (bounded) until it has spawned its worlds. */
		for (waited_ms = 0; waited_ms < 20000 && !has_child(pid); waited_ms += 10)
			nanosleep(&tick, NULL);
		nanosleep(&ts, NULL);
		kill(pid, sig);
	}
	o.text = malloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 4096 >= cap)
			o.text = realloc(o.text, cap *= 2);
		n = read(fds[0], o.text + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	o.text[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	return o;
}

/* The value after "key": in the line starting at line (spaces skipped), or NULL. */
static const char *value_in_line(const char *line, const char *key)
{
	const char *eol = strchr(line, '\n'), *p;
	char k[64];

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(line, k);
	if (!p || (eol && p > eol))
		return NULL;
	for (p += strlen(k); *p == ' '; p++)
		;
	return p;
}

/* The start of the line of a role (and vm, or -1), or NULL.  Lines are "[world] {json}". */
static const char *line_of(const char *text, const char *role, int vm)
{
	const char *line = text;
	char want[64];

	snprintf(want, sizeof(want), "\"%s\"", role);
	while (line && *line) {
		const char *r = value_in_line(line, "role"), *v = value_in_line(line, "vm");

		if (r && !strncmp(r, want, strlen(want)) && (vm < 0 || (v && atoi(v) == vm)))
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

/* The number after "key": in the line starting at line. */
static long long field(const char *line, const char *key)
{
	const char *p = value_in_line(line, key);

	assert_non_null(p);
	return strtoll(p, NULL, 10);
}

/* No world process may outlive a run: anything orphaned was re-parented to us. */
static void assert_no_leftover_worlds(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	assert_int_equal(count_children(getpid()), 0);
}

/* One normal world straight to the secure world: all data right, nothing mapped at the end. */
static void test_direct(void **state)
{
	const char *args[] = { "run", "--no-hv", "--iterations", "2", NULL };
	struct run_out o = run(args, 0, 0);
	const char *g, *s;

	(void)state;
	assert_int_equal(o.exit_code, 0);
	assert_non_null(g = line_of(o.text, "guest", 0));
	assert_non_null(s = line_of(o.text, "secure", -1));
	assert_int_equal(field(g, "failures"), 0);
	assert_true(field(g, "bytes_verified") > 1000000);
	assert_int_equal(field(s, "mapped_pages"), 0);
	assert_true(field(s, "maps") > 0 && field(s, "maps") == field(s, "unmaps"));
	free(o.text);
	assert_no_leftover_worlds();
}

/* Four guests at once through the hypervisor, each with a scattered stage-2 map. */
static void test_four_guests(void **state)
{
	const char *args[] = { "run", "--vms", "4", "--iterations", "3", NULL };
	struct run_out o = run(args, 0, 0);
	const char *hv, *s;
	int vm;

	(void)state;
	assert_int_equal(o.exit_code, 0);
	for (vm = 0; vm < 4; vm++) {
		const char *g = line_of(o.text, "guest", vm), *hg = line_of(o.text, "hv-guest", vm);

		assert_non_null(g);
		assert_non_null(hg);
		assert_int_equal(field(g, "failures"), 0);
		assert_int_equal(field(g, "pages_in_use"), 0);
		/* The mediator really rewrote page lists from IPAs. */
		assert_true(field(hg, "pages_translated") > 0);
	}
	assert_non_null(hv = line_of(o.text, "hv", -1));
	assert_int_equal(field(hv, "hv_pages_in_use"), 0);
	assert_non_null(s = line_of(o.text, "secure", -1));
	assert_int_equal(field(s, "vm_destroys"), 4);
	assert_int_equal(field(s, "mapped_pages"), 0);
	free(o.text);
	assert_no_leftover_worlds();
}

/* kill -9 of a guest in the middle of its calls: the others finish untouched, the secure world reclaims it all. */
static void test_kill_guest_mid_run(void **state)
{
	/* Killed as its 60th SMC arrives: it dies waiting for that call, whatever the machine's speed. */
	const char *args[] = { "run", "--vms", "3", "--iterations", "6", "--kill-guest", "1",
			       "--kill-at-smc", "60", NULL };
	struct run_out o = run(args, 0, 0);
	const char *dead, *s;

	(void)state;
	assert_int_equal(o.exit_code, 0);
	assert_non_null(dead = line_of(o.text, "hv-guest", 1));
	assert_int_equal(field(dead, "signal"), 9);
	assert_int_equal(field(dead, "smcs"), 60); /* it was killed during its 60th call */
	assert_null(line_of(o.text, "guest", 1)); /* it never finished */
	assert_int_equal(field(line_of(o.text, "guest", 0), "failures"), 0);
	assert_int_equal(field(line_of(o.text, "guest", 2), "failures"), 0);
	assert_non_null(s = line_of(o.text, "secure", -1));
	assert_int_equal(field(s, "vm_destroys"), 3);
	assert_int_equal(field(s, "mapped_pages"), 0);
	assert_int_equal(field(s, "maps"), field(s, "unmaps"));
	assert_non_null(value_in_line(s, "check"));
	assert_int_equal(strncmp(value_in_line(s, "check"), "\"ok\"", 4), 0);
	assert_int_equal(field(line_of(o.text, "hv", -1), "hv_pages_in_use"), 0);
	free(o.text);
	assert_no_leftover_worlds();
}

/*
 * The static 1 MiB carveout carries every call without a single dynamic mapping, but a
 * 1.5 MiB TA image does not fit: "1 megabyte is not enough to run GP tests" (the seed thread).
 */
static void test_carveout_too_small_for_big_ta(void **state)
{
	const char *args[] = { "run", "--no-hv", "--strategy", "carveout", "--iterations", "2", NULL };
	struct run_out o = run(args, 0, 0);
	const char *g, *s;

	(void)state;
	assert_int_equal(o.exit_code, 1);
	assert_non_null(g = line_of(o.text, "guest", 0));
	assert_int_equal(field(g, "failures"), 1);
	assert_non_null(strstr(g, "open bigload: 0xffff000c"));
	assert_true(field(g, "bytes_verified") > 1000000); /* everything else went through */
	assert_non_null(s = line_of(o.text, "secure", -1));
	assert_int_equal(field(s, "maps"), 0);
	assert_int_equal(field(s, "mapped_pages"), 0);
	free(o.text);
	assert_no_leftover_worlds();
}

/*
 * Under the hypervisor each VM gets its own slice of the carveout.  With 4 MiB, two
 * VMs of 2 MiB each run the whole scenario (the 1.5 MiB TA included) without a
 * single dynamic mapping, every buffer rewritten from the VM's IPA window by the
 * mediator, nothing through a page list.
 */
static void test_carveout_per_vm(void **state)
{
	const char *args[] = { "run", "--vms", "2", "--strategy", "carveout", "--carveout-kib",
			       "4096", "--iterations", "2", NULL };
	struct run_out o = run(args, 0, 0);
	const char *s;
	int vm;

	(void)state;
	assert_int_equal(o.exit_code, 0);
	for (vm = 0; vm < 2; vm++) {
		const char *g = line_of(o.text, "guest", vm), *hg = line_of(o.text, "hv-guest", vm);

		assert_non_null(g);
		assert_non_null(hg);
		assert_int_equal(field(g, "failures"), 0);
		assert_true(field(g, "bytes_verified") > 1000000);
		assert_true(field(hg, "window_translated") > 0);
		assert_int_equal(field(hg, "pages_translated"), 0);
	}
	assert_int_equal(field(line_of(o.text, "hv", -1), "hv_pages_in_use"), 0);
	assert_non_null(s = line_of(o.text, "secure", -1));
	assert_int_equal(field(s, "maps"), 0);
	assert_int_equal(field(s, "mapped_pages"), 0);
	assert_int_equal(field(s, "vm_destroys"), 2);
	free(o.text);
	assert_no_leftover_worlds();
}

/*
 * The default 1 MiB split two ways leaves each VM 124 pages: each one's 300000-byte
 * TEMP echo (two 74-page bounces) and the 1.5 MiB TA get TEEC_ERROR_OUT_OF_MEMORY in
 * its own slice, and everything else still goes through, for both.
 */
static void test_carveout_per_vm_exhausted(void **state)
{
	const char *args[] = { "run", "--vms", "2", "--strategy", "carveout", "--iterations", "2",
			       NULL };
	struct run_out o = run(args, 0, 0);
	int vm;

	(void)state;
	assert_int_equal(o.exit_code, 1);
	for (vm = 0; vm < 2; vm++) {
		const char *g = line_of(o.text, "guest", vm);

		assert_non_null(g);
		assert_int_equal(field(g, "failures"), 3); /* 2 big echoes, 1 TA load */
		assert_non_null(strstr(g, "\"first_failure\": \"echo temp: 0xffff000c"));
		assert_true(field(g, "bytes_verified") > 500000);
		assert_int_equal(field(g, "pages_in_use"), 0);
	}
	assert_int_equal(field(line_of(o.text, "secure", -1), "maps"), 0);
	assert_int_equal(field(line_of(o.text, "hv", -1), "hv_pages_in_use"), 0);
	free(o.text);
	assert_no_leftover_worlds();
}

/* Ctrl-C stops every world and the launcher exits 130, leaving no process behind. */
static void test_interrupt(void **state)
{
	const char *args[] = { "run", "--vms", "2", "--iterations", "100000", NULL };
	struct run_out o = run(args, SIGINT, 400);

	(void)state;
	assert_int_equal(o.exit_code, 130);
	assert_non_null(strstr(o.text, "interrupted"));
	free(o.text);
	assert_no_leftover_worlds();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_four_guests),
		cmocka_unit_test(test_kill_guest_mid_run),
		cmocka_unit_test(test_carveout_too_small_for_big_ta),
		cmocka_unit_test(test_carveout_per_vm),
		cmocka_unit_test(test_carveout_per_vm_exhausted),
		cmocka_unit_test(test_interrupt),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH_TO_TEESHM\n", argv[0]);
		return 2;
	}
	teeshm = argv[1];
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests_name("worlds", tests, NULL, NULL);
}
