/*
 * --dump-mmu writer (see mmu_dump.h): turns the core_mm_dump() callbacks into
 * regs.json, tables.bin and mappings.tsv.  Each file is written under a
 * temporary name and renamed into place only once all three are complete.
 */
#define _POSIX_C_SOURCE 200809L

#include "sim/secure/mmu_dump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/arch_mm.h"
#include "sim/secure/mm/pgt.h"

#define TABLE_BYTES 4096u
#define TABLE_ENTRIES (TABLE_BYTES / 8u)

size_t mmu_dump_format_attrs(uint32_t attrs, char *buf, size_t buf_len)
{
	static const char *const mem_names[] = { "normal", "device", "normal_nc", "memtype3" };
	uint32_t rest = attrs & ~PGT_ATTR_ALL;
	char text[80]; /* the longest text is under 50 bytes */
	int len;

	len = snprintf(text, sizeof(text), "%s%s|%s%s%s|%s", mem_names[attrs & PGT_ATTR_MEM_MASK],
		       attrs & PGT_ATTR_NS ? "|ns" : "", attrs & PGT_ATTR_RO ? "ro" : "rw",
		       attrs & PGT_ATTR_USER ? "|user" : "", attrs & PGT_ATTR_XN ? "|xn" : "",
		       attrs & PGT_ATTR_NG ? "ng" : "global");
	/* Never drop bits silently: a reader sees them even without knowing their name. */
	if (rest)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "|0x%" PRIx32, rest);
	if (buf_len)
		snprintf(buf, buf_len, "%s", text);
	return (size_t)len;
}

/* ---- writer state and errors ---- */

enum { F_TABLES, F_MAPPINGS, F_REGS, F_COUNT };

static const char *const file_names[F_COUNT] = {
	[F_TABLES] = MMU_DUMP_TABLES_FILE,
	[F_MAPPINGS] = MMU_DUMP_MAPPINGS_FILE,
	[F_REGS] = MMU_DUMP_REGS_FILE,
};

struct out_file {
	char *path;     /* final name */
	char *tmp_path; /* written here, renamed to path when the dump is complete */
	FILE *f;
	bool tmp_exists;
};

struct dump_writer {
	struct out_file files[F_COUNT];
	uint64_t ttbr0, tcr, mair;
	unsigned va_bits, granule_bytes;
	unsigned regs_calls;
	uint64_t n_tables, n_mappings;
	char *err;
	size_t err_len;
	bool have_message;
};

static int errno_to_ts(int e)
{
	switch (e) {
	case ENOENT:
		return TS_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
		return TS_EACCES;
	case ENOSPC:
	case EFBIG: /* a file-size limit is "no space" for this file */
#ifdef EDQUOT
	case EDQUOT:
#endif
		return TS_ENOSPC;
	case ENOMEM:
		return TS_ENOMEM;
	case EEXIST:
	case ENOTDIR:
	case EISDIR:
	case ENOTEMPTY:
		return TS_EEXIST;
	case ENAMETOOLONG:
		return TS_ERANGE;
	case ELOOP:
		return TS_ELOOP;
	default:
		return TS_EIO;
	}
}

/* Record the first failure's message (later ones are consequences); returns code. */
static int fail_msg(char *err, size_t err_len, bool *have_message, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len && !*have_message) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	*have_message = true;
	return code;
}

#define W_FAIL(w, code, ...) fail_msg((w)->err, (w)->err_len, &(w)->have_message, code, __VA_ARGS__)

/* An I/O failure on path, from errno (EIO when errno says nothing, e.g. a bare short write). */
static int io_fail(struct dump_writer *w, const char *what, const char *path)
{
	int e = errno ? errno : EIO;

	return W_FAIL(w, errno_to_ts(e), "mmu dump: %s %s: %s", what, path, strerror(e));
}

/* ---- paths and directories ---- */

/* a + "/" + b + suffix, without doubling a trailing slash of a; NULL on allocation failure. */
static char *path_join(const char *a, const char *b, const char *suffix)
{
	size_t la = strlen(a), lb = strlen(b), ls = suffix ? strlen(suffix) : 0, sep;
	char *p;

	while (la > 1 && a[la - 1] == '/')
		la--;
	sep = la && a[la - 1] == '/' ? 0 : 1; /* only "/" itself still ends in '/' */
	p = malloc(la + sep + lb + ls + 1);
	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (sep)
		p[la] = '/';
	memcpy(p + la + sep, b, lb);
	if (ls)
		memcpy(p + la + sep + lb, suffix, ls);
	p[la + sep + lb + ls] = '\0';
	return p;
}

static int make_one_dir(struct dump_writer *w, const char *path, const char *target)
{
	struct stat st;
	int e;

	if (mkdir(path, 0777) == 0)
		return 0;
	e = errno;
	/* Whatever mkdir said (EEXIST, or EACCES for a parent we pass through), a dir is fine. */
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return W_FAIL(w, TS_EEXIST,
			      "mmu dump: cannot create directory %s: %s is not a directory", target,
			      path);
	}
	return W_FAIL(w, errno_to_ts(e), "mmu dump: cannot create directory %s: mkdir %s: %s",
		      target, path, strerror(e));
}

/* mkdir -p: create every missing component of path. */
static int make_dirs(struct dump_writer *w, const char *path)
{
	char *buf = malloc(strlen(path) + 1);
	char *p;
	int rc = 0;

	if (!buf)
		return W_FAIL(w, TS_ENOMEM, "mmu dump: out of memory for path %s", path);
	strcpy(buf, path);
	p = buf;
	while (rc == 0) {
		char saved;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		while (*p && *p != '/')
			p++;
		saved = *p;
		*p = '\0';
		rc = make_one_dir(w, buf, path);
		*p = saved;
	}
	free(buf);
	return rc;
}

/* ---- files ---- */

static int open_tmp(struct dump_writer *w, struct out_file *o)
{
	errno = 0;
	o->f = fopen(o->tmp_path, "wb");
	if (!o->f)
		return io_fail(w, "cannot create", o->tmp_path);
	o->tmp_exists = true;
	return 0;
}

/* Close and check: buffered data that cannot be written shows up only here. */
static int close_tmp(struct dump_writer *w, struct out_file *o)
{
	bool had_error = ferror(o->f) != 0;
	int rc;

	errno = 0;
	rc = fclose(o->f);
	o->f = NULL;
	if (rc != 0 || had_error)
		return io_fail(w, "write failed on", o->tmp_path);
	return 0;
}

static int write_all(struct dump_writer *w, struct out_file *o, const void *data, size_t bytes)
{
	errno = 0;
	if (fwrite(data, 1, bytes, o->f) != bytes)
		return io_fail(w, "short write to", o->tmp_path);
	return 0;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- core_mm_dump callbacks ---- */

static int on_regs(void *ctx, uint64_t ttbr0, uint64_t tcr, uint64_t mair, unsigned va_bits,
		   unsigned granule_bytes)
{
	struct dump_writer *w = ctx;

	if (w->regs_calls++)
		return W_FAIL(w, TS_EINVAL, "mmu dump: the core reported its registers twice");
	if (granule_bytes != TABLE_BYTES || !arch_mm_va_bits_valid(va_bits))
		return W_FAIL(w, TS_EINVAL, "mmu dump: unsupported granule %u or VA size %u",
			      granule_bytes, va_bits);
	w->ttbr0 = ttbr0;
	w->tcr = tcr;
	w->mair = mair;
	w->va_bits = va_bits;
	w->granule_bytes = granule_bytes;
	return 0;
}

static int on_table(void *ctx, paddr_t pa, const uint64_t *descriptors, unsigned level)
{
	struct dump_writer *w = ctx;
	struct out_file *o = &w->files[F_TABLES];
	uint8_t rec[MMU_DUMP_TABLE_RECORD_BYTES];
	unsigned i;

	(void)level; /* implied by the walk from the root; the format does not carry it */
	put_le64(rec, pa_addr(pa));
	for (i = 0; i < TABLE_ENTRIES; i++)
		put_le64(rec + 8 + 8 * i, descriptors[i]);
	w->n_tables++;
	return write_all(w, o, rec, sizeof(rec));
}

static int on_mapping(void *ctx, vaddr_t va, paddr_t pa, uint64_t n_pages, uint32_t attrs, int vm,
		      enum teecore_memtypes type)
{
	struct dump_writer *w = ctx;
	struct out_file *o = &w->files[F_MAPPINGS];
	char attr_text[64], vm_text[16];

	mmu_dump_format_attrs(attrs, attr_text, sizeof(attr_text));
	if (vm < 0)
		strcpy(vm_text, "-");
	else
		snprintf(vm_text, sizeof(vm_text), "%d", vm);
	w->n_mappings++;
	errno = 0;
	if (fprintf(o->f, "0x%016" PRIx64 "\t0x%016" PRIx64 "\t%" PRIu64 "\t%s\t%s\t%s\n",
		    va_addr(va), pa_addr(pa), n_pages, attr_text, vm_text,
		    teecore_memtype_name(type)) < 0)
		return io_fail(w, "write failed on", o->tmp_path);
	return 0;
}

static int write_regs(struct dump_writer *w)
{
	struct out_file *o = &w->files[F_REGS];
	int rc = open_tmp(w, o);

	if (rc)
		return rc;
	errno = 0;
	if (fprintf(o->f,
		    "{\n"
		    "  \"schema\": \"%s\",\n"
		    "  \"ttbr0\": \"0x%016" PRIx64 "\",\n"
		    "  \"tcr\": \"0x%016" PRIx64 "\",\n"
		    "  \"mair\": \"0x%016" PRIx64 "\",\n"
		    "  \"va_bits\": %u,\n"
		    "  \"granule\": %u,\n"
		    "  \"start_level\": %u,\n"
		    "  \"tables\": %" PRIu64 ",\n"
		    "  \"mappings\": %" PRIu64 "\n"
		    "}\n",
		    MMU_DUMP_SCHEMA, w->ttbr0, w->tcr, w->mair, w->va_bits, w->granule_bytes,
		    arch_mm_start_level(w->va_bits), w->n_tables, w->n_mappings) < 0) {
		rc = io_fail(w, "write failed on", o->tmp_path);
		close_tmp(w, o); /* closes the stream; the first message stays */
		return rc;
	}
	return close_tmp(w, o);
}

/*
 * Put the complete dump in place: the old regs.json goes first and the new one
 * comes last, so at no moment does a regs.json sit beside files it does not describe.
 */
static int publish(struct dump_writer *w, const char *target)
{
	static const int order[F_COUNT] = { F_TABLES, F_MAPPINGS, F_REGS };
	unsigned i;

	errno = 0;
	if (unlink(w->files[F_REGS].path) != 0 && errno != ENOENT)
		return io_fail(w, "cannot remove the previous", w->files[F_REGS].path);
	for (i = 0; i < F_COUNT; i++) {
		struct out_file *o = &w->files[order[i]];
		int e;

		if (rename(o->tmp_path, o->path) == 0) {
			o->tmp_exists = false;
			continue;
		}
		e = errno;
		return W_FAIL(w, errno_to_ts(e),
			      "mmu dump: cannot rename %s to %s: %s (the dump in %s is incomplete: "
			      "no %s)",
			      o->tmp_path, o->path, strerror(e), target, MMU_DUMP_REGS_FILE);
	}
	return 0;
}

static void writer_release(struct dump_writer *w)
{
	unsigned i;

	for (i = 0; i < F_COUNT; i++) {
		struct out_file *o = &w->files[i];

		if (o->f)
			fclose(o->f);
		if (o->tmp_exists)
			unlink(o->tmp_path);
		free(o->path);
		free(o->tmp_path);
	}
}

static bool tag_valid(const char *tag)
{
	return !strchr(tag, '/') && strcmp(tag, ".") != 0 && strcmp(tag, "..") != 0;
}

int mmu_dump_write(const struct core_mm *mm, const char *dir, const char *tag, char *err,
		   size_t err_len)
{
	static const struct core_mm_dump_ops ops = {
		.regs = on_regs,
		.table = on_table,
		.mapping = on_mapping,
	};
	struct dump_writer w = { .err = err, .err_len = err_len };
	char *target = NULL;
	unsigned i;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	if (!mm || !dir || !*dir)
		return W_FAIL(&w, TS_EINVAL, "mmu dump: no core memory manager or no directory");
	if (tag && *tag && !tag_valid(tag))
		return W_FAIL(&w, TS_EINVAL, "mmu dump: bad tag '%s' (one path component expected)",
			      tag);

	if (tag && *tag)
		target = path_join(dir, tag, NULL);
	else
		target = strdup(dir);
	if (!target)
		return W_FAIL(&w, TS_ENOMEM, "mmu dump: out of memory for %s", dir);
	for (i = 0; i < F_COUNT; i++) {
		w.files[i].path = path_join(target, file_names[i], NULL);
		w.files[i].tmp_path = path_join(target, file_names[i], ".tmp");
		if (!w.files[i].path || !w.files[i].tmp_path) {
			rc = W_FAIL(&w, TS_ENOMEM, "mmu dump: out of memory for %s", target);
			goto out;
		}
	}

	if ((rc = make_dirs(&w, target)) || (rc = open_tmp(&w, &w.files[F_TABLES])) ||
	    (rc = open_tmp(&w, &w.files[F_MAPPINGS])))
		goto out;
	errno = 0;
	if (fprintf(w.files[F_MAPPINGS].f, "%s\n", MMU_DUMP_MAPPINGS_HEADER) < 0) {
		rc = io_fail(&w, "write failed on", w.files[F_MAPPINGS].tmp_path);
		goto out;
	}
	rc = core_mm_dump(mm, &ops, &w);
	if (rc) {
		/* Our callbacks leave a message; an error of the core's own walk does not. */
		W_FAIL(&w, rc, "mmu dump: core_mm_dump failed: %s", ts_strerror(rc));
		goto out;
	}
	if (w.regs_calls != 1) {
		rc = W_FAIL(&w, TS_EIO, "mmu dump: the core reported no registers");
		goto out;
	}
	if ((rc = close_tmp(&w, &w.files[F_TABLES])) ||
	    (rc = close_tmp(&w, &w.files[F_MAPPINGS])) || (rc = write_regs(&w)))
		goto out;
	rc = publish(&w, target);
out:
	writer_release(&w);
	free(target);
	return rc;
}
