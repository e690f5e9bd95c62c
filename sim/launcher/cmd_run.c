/*
 * teeshm run: the three worlds as processes.  The launcher creates the
 * simulated DRAM and the SMC mailboxes (two memfds), spawns the secure world
 * and either the hypervisor (which spawns the guests) or, with --no-hv, one
 * normal world talking to the secure world directly.  Children find the
 * memfds at descriptors 3 and 4 and die with the launcher (no orphans); the
 * memfds vanish with the last process, so nothing is left behind.  Every
 * world prints JSON lines of statistics, which the launcher relays; Ctrl-C or
 * SIGTERM stops everything cleanly.  Exit status 0 only when every world
 * ended clean.
 *
 * --dump-mmu DIR goes to the secure world, which writes DIR/final/ after the
 * guests have finished, before its teardown (sim/secure/world_main.c says
 * why checkpoints are not dumped in this mode); a dump that fails fails the run.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "sim/common/channels.h"
#include "sim/common/dram.h"
#include "sim/common/opts.h"
#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/common/world_args.h"
#include "sim/launcher/cli.h"
#include "sim/launcher/run_result.h"
#include "workloads/trace.h"

enum child_role { CHILD_SECURE, CHILD_FRONT, N_CHILDREN }; /* front: hypervisor or lone guest */

struct child {
	const char *name;
	uv_process_t proc;
	uv_pipe_t out;
	bool spawned, exited, out_open;
	int64_t exit_status;
	int term_signal;
	char line[256 * 1024]; /* a world's statistics line: the result with its histograms and series */
	size_t line_len;
	bool saw_ok;       /* its final JSON line reported "check": "ok" or no failures */
};

struct run {
	uv_loop_t loop;
	struct child kids[N_CHILDREN];
	uv_signal_t sigint, sigterm;
	uv_timer_t grace;
	bool interrupted;
	bool no_hv;
	uint64_t direct_leaked_pages;
	struct run_result result;   /* gathered from the worlds' statistics lines */
	int result_rc;              /* a malformed statistics line: TS_EINVAL */
	char result_err[256];
};

static void close_if_open(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void maybe_finish(struct run *r)
{
	if (r->kids[CHILD_SECURE].exited && r->kids[CHILD_FRONT].exited) {
		close_if_open((uv_handle_t *)&r->sigint);
		close_if_open((uv_handle_t *)&r->sigterm);
		uv_timer_stop(&r->grace);
		close_if_open((uv_handle_t *)&r->grace);
	}
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct child *c = h->data;

	(void)suggested;
	buf->base = c->line + c->line_len;
	buf->len = sizeof(c->line) - 1 - c->line_len;
}

/* The text right after "key": in a JSON line (spaces skipped), or NULL. */
static const char *json_value(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(line, k);
	if (!p)
		return NULL;
	for (p += strlen(k); *p == ' '; p++)
		;
	return p;
}

/* Relay the child's output line by line, noting its verdict. */
static void on_line(struct run *r, struct child *c, char *line)
{
	const char *role = json_value(line, "role"), *v;

	printf("[%s] %s\n", c->name, line);
	if (!r->result_rc)
		r->result_rc = run_result_take_line(&r->result, line, r->result_err,
						    sizeof(r->result_err));
	if (((v = json_value(line, "check")) && !strncmp(v, "\"ok\"", 4)) ||
	    ((v = json_value(line, "failures")) && *v == '0'))
		c->saw_ok = true;
	if (r->no_hv && role && !strncmp(role, "\"secure\"", 8) &&
	    (v = json_value(line, "mapped_pages")))
		r->direct_leaked_pages = strtoull(v, NULL, 10);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;
	struct run *r = s->loop->data;
	char *start, *nl;

	(void)buf;
	if (n < 0) {
		if (c->line_len) {
			c->line[c->line_len] = '\0';
			on_line(r, c, c->line);
			c->line_len = 0;
		}
		c->out_open = false;
		uv_close((uv_handle_t *)s, NULL);
		return;
	}
	c->line_len += (size_t)n;
	c->line[c->line_len] = '\0';
	start = c->line;
	while ((nl = strchr(start, '\n'))) {
		*nl = '\0';
		on_line(r, c, start);
		start = nl + 1;
	}
	c->line_len = strlen(start);
	memmove(c->line, start, c->line_len);
	if (c->line_len == sizeof(c->line) - 1) { /* an overlong line: flush it as is */
		c->line[c->line_len] = '\0';
		on_line(r, c, c->line);
		c->line_len = 0;
	}
	fflush(stdout);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct child *c = p->data;
	struct run *r = p->loop->data;

	c->exited = true;
	c->exit_status = status;
	c->term_signal = sig;
	uv_close((uv_handle_t *)p, NULL);
	/* When the front world is done, the secure world has nothing left to serve. */
	if (c == &r->kids[CHILD_FRONT] && r->kids[CHILD_SECURE].spawned && !r->kids[CHILD_SECURE].exited)
		uv_process_kill(&r->kids[CHILD_SECURE].proc, SIGTERM);
	maybe_finish(r);
}

static void on_grace(uv_timer_t *t)
{
	struct run *r = t->loop->data;
	int i;

	for (i = 0; i < N_CHILDREN; i++)
		if (r->kids[i].spawned && !r->kids[i].exited)
			uv_process_kill(&r->kids[i].proc, SIGKILL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->loop->data;
	int i;

	(void)signum;
	r->interrupted = true;
	for (i = 0; i < N_CHILDREN; i++)
		if (r->kids[i].spawned && !r->kids[i].exited)
			uv_process_kill(&r->kids[i].proc, SIGTERM);
	uv_timer_start(&r->grace, on_grace, 3000, 0);
}

static int spawn(struct run *r, struct child *c, const char **argv, int dram_fd, int ch_fd)
{
	uv_process_options_t po = { 0 };
	uv_stdio_container_t stdio[5];
	char exe[4096];
	size_t exe_len = sizeof(exe);
	int rc;

	if (uv_exepath(exe, &exe_len))
		return TS_EIO;
	argv[0] = exe;
	uv_pipe_init(&r->loop, &c->out, 0);
	c->out.data = c;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&c->out;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = dram_fd;
	stdio[4].flags = UV_INHERIT_FD;
	stdio[4].data.fd = ch_fd;
	po.file = exe;
	po.args = (char **)argv;
	po.stdio = stdio;
	po.stdio_count = 5;
	po.exit_cb = on_exit_cb;
	c->proc.data = c;
	rc = uv_spawn(&r->loop, &c->proc, &po);
	if (rc) {
		fprintf(stderr, "teeshm run: spawning %s: %s\n", c->name, uv_strerror(rc));
		uv_close((uv_handle_t *)&c->out, NULL);
		return TS_EIO;
	}
	c->spawned = true;
	c->out_open = true;
	uv_read_start((uv_stream_t *)&c->out, alloc_cb, read_cb);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const char *const scenarios[] = { "basic", NULL };
	struct world_args wa;
	uint64_t vms = 2, iterations = 4, threads = 8, guest_ram = 64, kill_guest = UINT64_MAX,
		 kill_after = 0, kill_at_smc = 0, carveout_kib = 1024;
	unsigned scenario = 0, strategy = STRATEGY_DYNAMIC;
	static const char *const strategies[] = { "carveout", "dynamic", "cached", "rpc", NULL };
	bool no_hv = false;
	const char *workload = NULL, *record = NULL, *trace_path = NULL;
	bool events = false;
	char tmp_trace[] = "/tmp/teeshm-workload-XXXXXX";
	bool tmp_made = false;
	const char *json_path = NULL, *dump_dir = NULL;
	uint64_t t0_ns;
	struct opt_spec specs[] = {
		OPT_SPEC_U64("--vms", &vms, 1, 1024, "guests under the hypervisor (default 2)"),
		OPT_SPEC_FLAG("--no-hv", &no_hv, "one normal world calling the secure world directly"),
		OPT_SPEC_U64("--iterations", &iterations, 1, 1000000, "scenario iterations per guest (default 4)"),
		OPT_SPEC_U64("--threads", &threads, 1, 256, "secure threads, CFG_NUM_THREADS (default 8)"),
		OPT_SPEC_U64("--guest-ram-mib", &guest_ram, 4, 65536, "RAM per guest (default 64)"),
		OPT_SPEC_U64("--carveout-kib", &carveout_kib, 4, 1 << 20, "static carveout (default 1024)"),
		OPT_SPEC_U64("--kill-guest", &kill_guest, 0, 1023, "kill -9 this guest mid-run (fault injection)"),
		OPT_SPEC_U64("--kill-after-ms", &kill_after, 0, 3600000, "when --kill-guest strikes (default 0)"),
		OPT_SPEC_U64("--kill-at-smc", &kill_at_smc, 0, UINT64_MAX, "or: as the guest's Nth SMC arrives (mid-call)"),
		OPT_SPEC_ENUM("--scenario", &scenario, scenarios, "what each guest runs"),
		OPT_SPEC_ENUM("--strategy", &strategy, strategies, "shared-memory strategy (default dynamic)"),
		OPT_SPEC_STR("--json", &json_path, "write the teeshm.result/1 document to this file"),
		OPT_SPEC_STR("--workload", &workload, "each guest replays its ops of this workload (bundled name, generator or trace file); --vms follows the trace"),
		OPT_SPEC_FLAG("--events", &events, "the secure world prints its event timeline (SMC, RPC, map, unmap, TLBI, modeled time) on stderr"),
		OPT_SPEC_STR("--record", &record, "--no-hv: the guest writes a trace of what its client program does"),
		OPT_SPEC_STR("--dump-mmu", &dump_dir, "write the secure MMU state (regs.json, tables.bin, mappings.tsv) to final/ under this directory once the guests are done (checkpoints: teeshm replay --dump-mmu)"),
	};
	struct run r = { 0 };
	struct dram_config dc;
	struct dram *dram = NULL;
	struct channels ch = { .fd = -1 };
	char store[16][24], err[256];
	const char *sargv[48], *fargv[48];
	int sargc = 1, fargc = 1, rc, status = 1;

	rc = opts_parse("run", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	if (record && !no_hv) {
		fprintf(stderr, "teeshm run: --record needs --no-hv (one guest, one trace); guests under "
			"a hypervisor record with TEESHM_RECORD set to a file each\n");
		return 2;
	}
	if (workload) {
		/* The guests read a file: a bundled or generated workload is written to one first. */
		struct trace *t = NULL;
		FILE *f;
		int fd;

		if (cli_workload_load(workload, NULL, &t, err, sizeof(err))) {
			fprintf(stderr, "teeshm run: %s\n", err);
			return 2;
		}
		vms = t->n_vms ? t->n_vms : 1;
		if (no_hv && vms > 1) {
			fprintf(stderr, "teeshm run: --workload %s has %" PRIu64 " VMs: --no-hv runs one\n",
				workload, vms);
			trace_free(t);
			return 2;
		}
		if ((fd = mkstemp(tmp_trace)) < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "teeshm run: cannot write %s\n", tmp_trace);
			trace_free(t);
			return 1;
		}
		tmp_made = true;
		rc = trace_write(t, f);
		rc |= fclose(f);
		trace_free(t);
		if (rc) {
			fprintf(stderr, "teeshm run: cannot write %s\n", tmp_trace);
			unlink(tmp_trace);
			return 1;
		}
		trace_path = tmp_trace;
	}
	if (no_hv)
		vms = 1;
	if (kill_guest != UINT64_MAX && (kill_guest >= vms || no_hv)) {
		fprintf(stderr, "teeshm run: --kill-guest %" PRIu64 " needs a hypervisor and a guest of that number\n",
			kill_guest);
		status = 2;
		goto out;
	}
	world_args_default(&wa);
	wa.guests = vms;
	wa.guest_ram_mib = guest_ram;
	wa.carveout_kib = carveout_kib;
	wa.n_channels = no_hv ? 1 : 2 * vms;
	world_args_dram_config(&wa, &dc);
	if ((rc = dram_create(&dc, &dram, err, sizeof(err)))) {
		fprintf(stderr, "teeshm run: %s\n", err);
		status = 2;
		goto out;
	}
	if (strategy == STRATEGY_CARVEOUT && !no_hv) {
		/* Every world splits the carveout by this rule: refuse here, before any starts. */
		const struct dram_region *co = dram_region_find(dram->layout, DRAM_CARVEOUT, 0);
		struct carveout_split split;
		struct strategy_params sp;

		strategy_params_default(STRATEGY_CARVEOUT, &sp);
		if (carveout_split_init(&split, co->base, co->size_bytes, (uint32_t)vms,
					sp.carveout_vm_bytes, err, sizeof(err))) {
			fprintf(stderr, "teeshm run: --strategy carveout --vms %" PRIu64 ": %s\n",
				vms, err);
			status = 2;
			goto out;
		}
	}
	if ((rc = channels_create((uint32_t)wa.n_channels, &ch))) {
		fprintf(stderr, "teeshm run: cannot create %" PRIu64 " SMC mailboxes: %s\n", wa.n_channels,
			ts_strerror(rc));
		goto out;
	}

	/* The secure world: one server per mailbox that reaches it. */
	sargv[sargc++] = "world-secure";
	world_args_append(&wa, sargv, &sargc, 40, store);
	snprintf(store[12], 24, "%d", no_hv ? 0 : 1);
	snprintf(store[13], 24, "%d", no_hv ? 1 : 2);
	snprintf(store[14], 24, "%" PRIu64, vms);
	snprintf(store[15], 24, "%" PRIu64, threads);
	sargv[sargc++] = "--serve-first";
	sargv[sargc++] = store[12];
	sargv[sargc++] = "--serve-stride";
	sargv[sargc++] = store[13];
	sargv[sargc++] = "--serve-count";
	sargv[sargc++] = store[14];
	sargv[sargc++] = "--threads";
	sargv[sargc++] = store[15];
	sargv[sargc++] = "--max-guests";
	sargv[sargc++] = store[14];
	if (!no_hv)
		sargv[sargc++] = "--virt";
	if (events)
		sargv[sargc++] = "--events";
	if (dump_dir) {
		sargv[sargc++] = "--dump-mmu";
		sargv[sargc++] = dump_dir;
	}
	sargv[sargc++] = "--strategy";
	sargv[sargc++] = strategies[strategy];
	sargv[sargc] = NULL;

	/* The front world: the hypervisor with its guests, or one guest alone. */
	{
		static char fstore[16][24];

		fargv[fargc++] = no_hv ? "world-guest" : "world-hv";
		world_args_append(&wa, fargv, &fargc, 40, fstore);
		snprintf(fstore[12], 24, "%" PRIu64, iterations);
		fargv[fargc++] = "--iterations";
		fargv[fargc++] = fstore[12];
		fargv[fargc++] = "--scenario";
		fargv[fargc++] = scenarios[scenario];
		fargv[fargc++] = "--strategy";
		fargv[fargc++] = strategies[strategy];
		if (trace_path) {
			fargv[fargc++] = "--workload";
			fargv[fargc++] = trace_path;
		}
		if (record) {
			fargv[fargc++] = "--record";
			fargv[fargc++] = record;
		}
		if (events)
			fargv[fargc++] = "--events";
		if (no_hv) {
			fargv[fargc++] = "--vm";
			fargv[fargc++] = "0";
			fargv[fargc++] = "--mailbox";
			fargv[fargc++] = "0";
		} else {
			snprintf(fstore[13], 24, "%" PRIu64, vms);
			fargv[fargc++] = "--vms";
			fargv[fargc++] = fstore[13];
			if (kill_guest != UINT64_MAX) {
				static char kstore[24];

				snprintf(fstore[14], 24, "%" PRIu64, kill_guest);
				snprintf(fstore[15], 24, "%" PRIu64, kill_after);
				fargv[fargc++] = "--kill-guest";
				fargv[fargc++] = fstore[14];
				fargv[fargc++] = "--kill-after-ms";
				fargv[fargc++] = fstore[15];
				if (kill_at_smc) {
					snprintf(kstore, sizeof(kstore), "%" PRIu64, kill_at_smc);
					fargv[fargc++] = "--kill-at-smc";
					fargv[fargc++] = kstore;
				}
			}
		}
		fargv[fargc] = NULL;
	}

	uv_loop_init(&r.loop);
	r.loop.data = &r;
	run_result_init(&r.result);
	t0_ns = uv_hrtime();
	r.no_hv = no_hv;
	r.kids[CHILD_SECURE].name = "secure";
	r.kids[CHILD_FRONT].name = no_hv ? "guest" : "hv";
	uv_signal_init(&r.loop, &r.sigint);
	uv_signal_init(&r.loop, &r.sigterm);
	uv_timer_init(&r.loop, &r.grace);
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	if (spawn(&r, &r.kids[CHILD_SECURE], sargv, dram->fd, ch.fd) ||
	    spawn(&r, &r.kids[CHILD_FRONT], fargv, dram->fd, ch.fd)) {
		r.kids[CHILD_FRONT].exited |= !r.kids[CHILD_FRONT].spawned;
		if (r.kids[CHILD_SECURE].spawned && !r.kids[CHILD_SECURE].exited)
			uv_process_kill(&r.kids[CHILD_SECURE].proc, SIGTERM);
		r.kids[CHILD_SECURE].exited |= !r.kids[CHILD_SECURE].spawned;
		maybe_finish(&r);
	}
	uv_run(&r.loop, UV_RUN_DEFAULT);
	uv_loop_close(&r.loop);

	{
		const struct child *s = &r.kids[CHILD_SECURE], *f = &r.kids[CHILD_FRONT];
		struct run_meta meta = { strategies[strategy], workload ? workload : scenarios[scenario], vms,
					 uv_hrtime() - t0_ns, NULL };
		struct profile prof;

		/* The secure world's default profile prices the guests' copies as well. */
		if (!profile_load_file(TEESHM_PROFILE_DIR "/cortex-a53.ini", &prof, err, sizeof(err)))
			meta.profile = &prof;
		bool ok = !r.interrupted && s->spawned && f->spawned && s->exit_status == 0 &&
			  !s->term_signal && f->exit_status == 0 && !f->term_signal && s->saw_ok &&
			  !(no_hv && r.direct_leaked_pages);
		json_t *doc = NULL;

		/* The result document: the table always, the file when asked. */
		if (r.result_rc) {
			fprintf(stderr, "teeshm run: %s\n", r.result_err);
			ok = false;
		} else if (!r.interrupted &&
			   !(doc = run_result_document(&r.result, &meta, err, sizeof(err)))) {
			fprintf(stderr, "teeshm run: %s\n", err);
			ok = false;
		}
		if (doc) {
			const json_t *leaks = json_object_get(doc, "leaks");
			const char *k;
			json_t *v;

			run_result_print_table(doc, stdout);
			json_object_foreach((json_t *)leaks, k, v)
				ok &= json_integer_value(v) == 0;
			if (json_path && run_result_write(doc, json_path, err, sizeof(err))) {
				fprintf(stderr, "teeshm run: %s\n", err);
				ok = false;
			}
			json_decref(doc);
		}
		run_result_fini(&r.result);

		printf("run: %s (secure exit %" PRId64 "%s, %s exit %" PRId64 "%s%s)\n",
		       ok ? "ok" : "FAILED", s->exit_status, s->term_signal ? " by signal" : "", f->name,
		       f->exit_status, f->term_signal ? " by signal" : "",
		       r.interrupted ? ", interrupted" : "");
		status = r.interrupted ? 130 : ok ? 0 : 1;
	}
out:
	if (tmp_made)
		unlink(tmp_trace);
	channels_close(&ch);
	dram_destroy(dram);
	return status;
}
