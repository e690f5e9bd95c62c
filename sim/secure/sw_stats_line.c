/* The secure world's statistics line and its teeshm.result/1 part (see sw_stats_line.h). */
#include "sim/secure/sw_stats_line.h"

#include <stddef.h>

#include "sim/common/json.h"
#include "sim/common/ts_err.h"
#include "sim/secure/cost.h"

/* One map/unmap summary of teeshm.result/1. */
static void json_op(struct json_writer *j, const char *key, const struct sw_op_report *op)
{
	const struct lat_hist *h = &op->host_ns;
	unsigned b;

	jw_key(j, key);
	jw_object_begin(j);
	jw_kv_u64(j, "count", op->count);
	jw_kv_u64(j, "pages", op->pages);
	jw_key(j, "host_ns");
	jw_object_begin(j);
	jw_kv_u64(j, "p50", lat_hist_percentile(h, 500));
	jw_kv_u64(j, "p90", lat_hist_percentile(h, 900));
	jw_kv_u64(j, "p99", lat_hist_percentile(h, 990));
	jw_kv_u64(j, "max", lat_hist_max(h));
	jw_kv_u64(j, "mean", lat_hist_mean(h));
	/* The histogram itself, for CDF plots: [highest ns of the bucket, samples], non-empty only. */
	jw_key(j, "buckets");
	jw_array_begin(j);
	for (b = 0; b < LAT_HIST_BUCKETS; b++) {
		if (!h->bucket_counts[b])
			continue;
		jw_array_begin(j);
		jw_u64(j, lat_hist_bucket_high(b));
		jw_u64(j, h->bucket_counts[b]);
		jw_array_end(j);
	}
	jw_array_end(j);
	jw_object_end(j);
	jw_kv_u64(j, "modeled_cycles", op->modeled_cycles);
	jw_object_end(j);
}

/*
 * The secure world's part of the run's teeshm.result/1 document (DESIGN.md
 * section 5): ops, map, unmap, tlb, memory, leaks.  The launcher adds what
 * only it knows (strategy, workload, vms, profile, copy, time).
 */
static void json_result(struct json_writer *j, struct secure_world *sw, const struct sw_stats *s,
			const struct sw_report *rep, const struct profile *prof)
{
	static const struct {
		const char *name;
		size_t off;
	} smc_errs[] = {
#define SMC_ERR(field, name) { name, offsetof(struct sw_stats, field) }
		SMC_ERR(smc_ethread_limit, "OPTEE_SMC_RETURN_ETHREAD_LIMIT"),
		SMC_ERR(smc_eresume, "OPTEE_SMC_RETURN_ERESUME"),
		SMC_ERR(smc_ebadaddr, "OPTEE_SMC_RETURN_EBADADDR"),
		SMC_ERR(smc_ebadcmd, "OPTEE_SMC_RETURN_EBADCMD"),
		SMC_ERR(smc_enomem, "OPTEE_SMC_RETURN_ENOMEM"),
		SMC_ERR(smc_enotavail, "OPTEE_SMC_RETURN_ENOTAVAIL"),
		SMC_ERR(smc_unknown_function, "OPTEE_SMC_RETURN_UNKNOWN_FUNCTION"),
		SMC_ERR(tee_bad_parameters, "TEE_ERROR_BAD_PARAMETERS"),
		SMC_ERR(tee_item_not_found, "TEE_ERROR_ITEM_NOT_FOUND"),
		SMC_ERR(tee_out_of_memory, "TEE_ERROR_OUT_OF_MEMORY"),
		SMC_ERR(tee_not_implemented, "TEE_ERROR_NOT_IMPLEMENTED"),
		SMC_ERR(tee_busy, "TEE_ERROR_BUSY"),
		SMC_ERR(tee_short_buffer, "TEE_ERROR_SHORT_BUFFER"),
		SMC_ERR(tee_target_dead, "TEE_ERROR_TARGET_DEAD"),
		SMC_ERR(tee_communication, "TEE_ERROR_COMMUNICATION"),
		SMC_ERR(tee_other, "other"),
#undef SMC_ERR
	};
	const struct core_mm *mm = sw_mm(sw);
	const struct tlb_stats *t = &mm->tlb.stats;
	uint64_t failed = 0;
	size_t i;

	for (i = 0; i < sizeof(smc_errs) / sizeof(smc_errs[0]); i++)
		failed += *(const uint64_t *)((const char *)s + smc_errs[i].off);
	jw_key(j, "ops");
	jw_object_begin(j);
	jw_kv_u64(j, "smc", s->fast_calls + s->yielding_calls + s->resumes);
	jw_kv_u64(j, "rpc", s->rpcs);
	jw_kv_u64(j, "open", s->opens);
	jw_kv_u64(j, "invoke", s->invokes);
	jw_kv_u64(j, "close", s->closes);
	jw_kv_u64(j, "register", s->registers);
	jw_kv_u64(j, "unregister", s->unregisters);
	jw_kv_u64(j, "failed", failed);
	jw_key(j, "by_error");
	jw_object_begin(j);
	for (i = 0; i < sizeof(smc_errs) / sizeof(smc_errs[0]); i++) {
		uint64_t n = *(const uint64_t *)((const char *)s + smc_errs[i].off);

		if (n)
			jw_kv_u64(j, smc_errs[i].name, n);
	}
	jw_object_end(j);
	jw_object_end(j);
	json_op(j, "map", &rep->map);
	json_op(j, "unmap", &rep->unmap);
	jw_key(j, "tlb");
	jw_object_begin(j);
	jw_key(j, "flushes");
	jw_object_begin(j);
	jw_kv_u64(j, "va", t->tlbi_va);
	jw_kv_u64(j, "vaa", t->tlbi_vaa);
	jw_kv_u64(j, "range", t->tlbi_range);
	jw_kv_u64(j, "asid", t->tlbi_asid);
	jw_kv_u64(j, "all", t->tlbi_all);
	jw_object_end(j);
	jw_kv_u64(j, "hits", t->hits);
	jw_kv_u64(j, "misses", t->misses);
	jw_kv_u64(j, "walks", mm->stats.walks);
	jw_kv_u64(j, "stale_hits", mm->stats.stale_tlb_hits);
	jw_object_end(j);
	jw_key(j, "memory");
	jw_object_begin(j);
	jw_kv_u64(j, "reserved_peak_bytes", rep->reserved_peak_bytes);
	jw_kv_u64(j, "in_use_peak_bytes", rep->in_use_peak_bytes);
	jw_kv_u64(j, "waste_peak_bytes", rep->waste_peak_bytes);
	jw_kv_u64(j, "waste_mean_bytes", rep->waste_mean_bytes);
	jw_kv_u64(j, "waste_samples", rep->usage_samples);
	jw_kv_u64(j, "xlat_tables_peak", mm->pool.peak_in_use);
	jw_kv_u64(j, "metadata_bytes", mm->metadata_bytes);
	/* [modeled ns, reserved bytes, in-use bytes], thinned to at most SW_SERIES_POINTS. */
	jw_key(j, "series");
	jw_array_begin(j);
	for (i = 0; i < rep->n_series; i++) {
		jw_array_begin(j);
		jw_u64(j, prof ? profile_cycles_to_ns(prof, rep->series[i].time) : rep->series[i].time);
		jw_u64(j, rep->series[i].reserved_bytes);
		jw_u64(j, rep->series[i].in_use_bytes);
		jw_array_end(j);
	}
	jw_array_end(j);
	jw_object_end(j);
	jw_key(j, "leaks");
	jw_object_begin(j);
	jw_kv_u64(j, "mappings", rep->leaked_mappings);
	jw_kv_u64(j, "va_bytes", rep->leaked_va_bytes);
	jw_kv_u64(j, "pinned_pages", rep->leaked_pinned_pages);
	jw_object_end(j);
}

/*
 * One JSON line: the secure world's own counters, the memory manager's, the
 * TLB's, the mailboxes', and the modeled cost of it all on the profile.
 */
int sw_write_stats_line(FILE *out, struct secure_world *sw, const struct profile *prof, int check_rc,
			const struct smc_mailbox_stats *mailboxes)
{
	const struct core_mm *mm = sw_mm(sw);
	const struct tlb_stats *t = &mm->tlb.stats;
	struct sw_stats sws;
	struct sw_report rep;
	struct cost_counts cc;
	uint64_t cycles, smcs = sw_smcs(sw);
	struct json_writer j;

	sw_stats_total(sw, &sws);
	sw_report(sw, &rep);
	core_mm_cost_counts(mm, &cc);
	cc.smcs = smcs;
	cycles = profile_modeled_cycles(prof, &cc);

	jw_begin(&j, out, false);
	jw_object_begin(&j);
	jw_kv_string(&j, "role", "secure");
	jw_kv_string(&j, "check", check_rc ? ts_err_name(check_rc) : "ok");
	jw_kv_u64(&j, "smcs", smcs);
	jw_kv_u64(&j, "maps", mm->stats.maps);
	jw_kv_u64(&j, "unmaps", mm->stats.unmaps);
	jw_kv_u64(&j, "mapped_pages", mm->stats.mapped_pages);
	jw_kv_u64(&j, "vm_destroys", mm->stats.vm_destroys);
	jw_key(&j, "secure_world");
	jw_object_begin(&j);
#define SW_KV(name) jw_kv_u64(&j, #name, sws.name);
	SW_STATS_FIELDS(SW_KV)
#undef SW_KV
	jw_object_end(&j);
	jw_key(&j, "core_mm");
	jw_object_begin(&j);
#define MM_KV(name) jw_kv_u64(&j, #name, mm->stats.name);
	CORE_MM_STATS_FIELDS(MM_KV)
#undef MM_KV
	jw_kv_u64(&j, "pte_writes", mm->pgt.pte_writes);
	jw_kv_u64(&j, "xlat_tables_peak", mm->pool.peak_in_use);
	jw_kv_u64(&j, "metadata_bytes", mm->metadata_bytes);
	jw_object_end(&j);
	jw_key(&j, "tlb");
	jw_object_begin(&j);
#define TLB_KV(name) jw_kv_u64(&j, #name, t->name);
	TLB_STATS_FIELDS(TLB_KV)
#undef TLB_KV
	jw_object_end(&j);
	if (mailboxes) {
		jw_key(&j, "mailboxes");
		jw_object_begin(&j);
#define MB_KV(name) jw_kv_u64(&j, #name, mailboxes->name);
		SMC_MAILBOX_STATS(MB_KV)
#undef MB_KV
		jw_object_end(&j);
	}
	jw_kv_string(&j, "profile", prof->name);
	jw_kv_u64(&j, "modeled_cycles", cycles);
	jw_kv_u64(&j, "modeled_ns", profile_cycles_to_ns(prof, cycles));
	jw_key(&j, "result");
	jw_object_begin(&j);
	json_result(&j, sw, &sws, &rep, prof);
	jw_object_end(&j);
	jw_object_end(&j);
	if (jw_end(&j))
		return TS_EINVAL;
	return fputc('\n', out) == EOF ? TS_EIO : 0;
}

