/* Unicorn 2.0.1 MMU oracle harness (see uc_mmu.h for how and why it works this way). */
#include "tests/oracle/uc_mmu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/common/ts_err.h"

#define PAGE 0x1000ull

/* Stub region: code, then the VA list, then 4 PARs per VA. */
#define VA_LIST_OFF PAGE
#define RESULTS_OFF (VA_LIST_OFF + UC_MMU_QUERY_MAX * 8ull)

#define STUB_BOOT_OFF 0x00 /* eret; nop */
#define STUB_EL_OFF 0x08   /* mrs x0, CurrentEL; nop */
#define STUB_QUERY_OFF 0x10
#define STUB_DONE_OFF 0x88

/*
 * Query: x6/x7/x8 = MAIR/TCR/TTBR0, x1 = VA list, x2 = count, x3 = results.
 * It programs the EL1 translation regime, turns its MMU on, invalidates the
 * EL1 TLB, and runs the four `at` kinds on each VA, storing PAR_EL1 after each.
 */
static const uint32_t stub_code[] = {
	0xd69f03e0, /* 00: eret */
	0xd503201f, /* 04: nop */
	0xd5384240, /* 08: mrs x0, CurrentEL */
	0xd503201f, /* 0c: nop */
	0xd518a206, /* 10: msr mair_el1, x6 */
	0xd5182047, /* 14: msr tcr_el1, x7 */
	0xd5182008, /* 18: msr ttbr0_el1, x8 */
	0xd5381009, /* 1c: mrs x9, sctlr_el1 */
	0xb2400129, /* 20: orr x9, x9, #1        (SCTLR_EL1.M) */
	0xd5181009, /* 24: msr sctlr_el1, x9 */
	0xd5033fdf, /* 28: isb */
	0xd508871f, /* 2c: tlbi vmalle1 */
	0xd5033b9f, /* 30: dsb ish */
	0xd5033fdf, /* 34: isb */
	0xb4000282, /* 38: cbz x2, done */
	0xf8408424, /* 3c: loop: ldr x4, [x1], #8 */
	0xd5087804, /* 40: at s1e1r, x4 */
	0xd5033fdf, /* 44: isb */
	0xd5387405, /* 48: mrs x5, par_el1 */
	0xf8008465, /* 4c: str x5, [x3], #8 */
	0xd5087824, /* 50: at s1e1w, x4 */
	0xd5033fdf, /* 54: isb */
	0xd5387405, /* 58: mrs x5, par_el1 */
	0xf8008465, /* 5c: str x5, [x3], #8 */
	0xd5087844, /* 60: at s1e0r, x4 */
	0xd5033fdf, /* 64: isb */
	0xd5387405, /* 68: mrs x5, par_el1 */
	0xf8008465, /* 6c: str x5, [x3], #8 */
	0xd5087864, /* 70: at s1e0w, x4 */
	0xd5033fdf, /* 74: isb */
	0xd5387405, /* 78: mrs x5, par_el1 */
	0xf8008465, /* 7c: str x5, [x3], #8 */
	0xf1000442, /* 80: subs x2, x2, #1 */
	0x54fffdc1, /* 84: b.ne loop */
	0xd503201f, /* 88: done: nop */
};

static int mmu_fail(struct uc_mmu *m, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Return TS_EIO with Unicorn's reason when a Unicorn call fails. */
#define UC_TRY(m, call, what)                                                          \
	do {                                                                           \
		uc_err e_ = (call);                                                    \
		if (e_ != UC_ERR_OK)                                                   \
			return mmu_fail((m), TS_EIO, "unicorn: %s: %s", (what),        \
					uc_strerror(e_));                              \
	} while (0)

static int write_cp_reg(struct uc_mmu *m, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
			unsigned op2, uint64_t val)
{
	uc_arm64_cp_reg reg = { .crn = crn, .crm = crm, .op0 = op0, .op1 = op1, .op2 = op2,
				.val = val };

	UC_TRY(m, uc_reg_write(m->uc, UC_ARM64_REG_CP_REG, &reg), "write cp reg");
	return 0;
}

static int read_cp_reg(struct uc_mmu *m, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
		       unsigned op2, uint64_t *val)
{
	uc_arm64_cp_reg reg = { .crn = crn, .crm = crm, .op0 = op0, .op1 = op1, .op2 = op2 };

	UC_TRY(m, uc_reg_read(m->uc, UC_ARM64_REG_CP_REG, &reg), "read cp reg");
	*val = reg.val;
	return 0;
}

static int write_reg(struct uc_mmu *m, int reg, uint64_t val, const char *what)
{
	UC_TRY(m, uc_reg_write(m->uc, reg, &val), what);
	return 0;
}

/* Get the CPU to EL3 with lower ELs AArch64 and Secure (see the header). */
static int enter_el3(struct uc_mmu *m)
{
	uint64_t v, el;
	int rc;

	/* SCR_EL3: RW (bit 10) = lower ELs are AArch64; NS (bit 0) = 0: Secure EL1. */
	if ((rc = write_cp_reg(m, 3, 6, 1, 1, 0, 1ull << 10)) ||
	    (rc = read_cp_reg(m, 3, 6, 1, 1, 0, &v)))
		return rc;
	if ((v & 0x401) != 0x400)
		return mmu_fail(m, TS_EIO, "SCR_EL3 reads 0x%llx, RW set and NS clear expected",
				(unsigned long long)v);

	/* PSTATE = EL3h, DAIF masked; eret (to STUB_EL_OFF) makes QEMU adopt it. */
	UC_TRY(m, uc_reg_read(m->uc, UC_ARM64_REG_PSTATE, &v), "read pstate");
	v = (v & ~0xfull) | 0xd;
	if ((rc = write_reg(m, UC_ARM64_REG_PSTATE, v, "write pstate")) ||
	    (rc = write_cp_reg(m, 3, 6, 4, 0, 0, 0x3cd)) || /* SPSR_EL3 */
	    /* SPSR_EL1: the eret, translated "at EL1", reads it */
	    (rc = write_cp_reg(m, 3, 0, 4, 0, 0, 0x3cd)) ||
	    (rc = write_reg(m, UC_ARM64_REG_ELR_EL3, m->stub_pa + STUB_EL_OFF, "write elr_el3")) ||
	    (rc = write_reg(m, UC_ARM64_REG_ELR_EL1, m->stub_pa + STUB_EL_OFF, "write elr_el1")))
		return rc;
	UC_TRY(m, uc_emu_start(m->uc, m->stub_pa + STUB_BOOT_OFF, m->stub_pa + STUB_EL_OFF + 4, 0,
			       0),
	       "eret");
	UC_TRY(m, uc_reg_read(m->uc, UC_ARM64_REG_X0, &el), "read x0");
	if (el != 3u << 2)
		return mmu_fail(m, TS_EIO, "CurrentEL reads 0x%llx after eret, EL3 expected",
				(unsigned long long)el);
	return 0;
}

int uc_mmu_open(struct uc_mmu *m, uint64_t stub_pa)
{
	uc_err e;
	int rc;

	memset(m, 0, sizeof(*m));
	m->stub_pa = stub_pa;
	if (stub_pa & (PAGE - 1))
		return mmu_fail(m, TS_EINVAL, "stub PA 0x%llx is not page aligned",
				(unsigned long long)stub_pa);
	e = uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &m->uc);
	if (e != UC_ERR_OK) {
		m->uc = NULL;
		return mmu_fail(m, TS_EIO, "unicorn: open: %s", uc_strerror(e));
	}
	rc = uc_mmu_map(m, stub_pa, UC_MMU_STUB_BYTES);
	if (!rc)
		rc = uc_mmu_write(m, stub_pa, stub_code, sizeof(stub_code));
	if (!rc)
		rc = enter_el3(m);
	if (rc) {
		uc_close(m->uc);
		m->uc = NULL;
	}
	return rc;
}

void uc_mmu_close(struct uc_mmu *m)
{
	if (m->uc)
		uc_close(m->uc);
	m->uc = NULL;
}

bool uc_mmu_overlaps_stub(const struct uc_mmu *m, uint64_t pa, uint64_t bytes)
{
	return pa < m->stub_pa + UC_MMU_STUB_BYTES && m->stub_pa < pa + bytes;
}

int uc_mmu_map(struct uc_mmu *m, uint64_t pa, uint64_t bytes)
{
	uc_err e;

	if ((pa | bytes) & (PAGE - 1) || bytes == 0)
		return mmu_fail(m, TS_EINVAL, "map [0x%llx, +0x%llx): not page aligned",
				(unsigned long long)pa, (unsigned long long)bytes);
	e = uc_mem_map(m->uc, pa, bytes, UC_PROT_ALL);
	if (e != UC_ERR_OK)
		return mmu_fail(m, TS_EIO, "unicorn: map [0x%llx, +0x%llx): %s",
				(unsigned long long)pa, (unsigned long long)bytes, uc_strerror(e));
	return 0;
}

int uc_mmu_write(struct uc_mmu *m, uint64_t pa, const void *src, size_t bytes)
{
	uc_err e = uc_mem_write(m->uc, pa, src, bytes);

	if (e != UC_ERR_OK)
		return mmu_fail(m, TS_EIO, "unicorn: write [0x%llx, +0x%zx): %s",
				(unsigned long long)pa, bytes, uc_strerror(e));
	return 0;
}

/* TS_EIO unless (register & mask) == want. */
static int expect_cp_reg(struct uc_mmu *m, const char *name, unsigned op0, unsigned op1,
			 unsigned crn, unsigned crm, unsigned op2, uint64_t mask, uint64_t want)
{
	uint64_t v = 0;
	int rc = read_cp_reg(m, op0, op1, crn, crm, op2, &v);

	if (rc)
		return rc;
	if ((v & mask) != want)
		return mmu_fail(m, TS_EIO, "%s reads 0x%llx, 0x%llx expected", name,
				(unsigned long long)(v & mask), (unsigned long long)want);
	return 0;
}

/* One run of the stub on at most UC_MMU_QUERY_MAX VAs. */
static int query_batch(struct uc_mmu *m, const struct uc_mmu_regs *regs, const uint64_t *vas,
		       size_t n, uint64_t (*par)[UC_MMU_AT_KINDS])
{
	int rc;

	if ((rc = uc_mmu_write(m, m->stub_pa + VA_LIST_OFF, vas, n * 8)) ||
	    (rc = write_reg(m, UC_ARM64_REG_X1, m->stub_pa + VA_LIST_OFF, "x1")) ||
	    (rc = write_reg(m, UC_ARM64_REG_X2, n, "x2")) ||
	    (rc = write_reg(m, UC_ARM64_REG_X3, m->stub_pa + RESULTS_OFF, "x3")) ||
	    (rc = write_reg(m, UC_ARM64_REG_X6, regs->mair, "x6")) ||
	    (rc = write_reg(m, UC_ARM64_REG_X7, regs->tcr, "x7")) ||
	    (rc = write_reg(m, UC_ARM64_REG_X8, regs->ttbr0, "x8")))
		return rc;
	UC_TRY(m, uc_emu_start(m->uc, m->stub_pa + STUB_QUERY_OFF, m->stub_pa + STUB_DONE_OFF, 0,
			       0),
	       "query");
	UC_TRY(m, uc_mem_read(m->uc, m->stub_pa + RESULTS_OFF, par, n * 8 * UC_MMU_AT_KINDS),
	       "read PARs");

	/* The stub's msr writes really reached the EL1 registers. */
	if ((rc = expect_cp_reg(m, "TCR_EL1", 3, 0, 2, 0, 2, ~0ull, regs->tcr)) ||
	    (rc = expect_cp_reg(m, "TTBR0_EL1", 3, 0, 2, 0, 0, ~0ull, regs->ttbr0)) ||
	    (rc = expect_cp_reg(m, "MAIR_EL1", 3, 0, 10, 2, 0, ~0ull, regs->mair)) ||
	    (rc = expect_cp_reg(m, "SCTLR_EL1.M", 3, 0, 1, 0, 0, 1, 1)))
		return rc;
	m->queries += n;
	return 0;
}

int uc_mmu_query(struct uc_mmu *m, const struct uc_mmu_regs *regs, const uint64_t *vas, size_t n,
		 uint64_t (*par)[UC_MMU_AT_KINDS])
{
	size_t done = 0;
	int rc;

	if (!m->uc)
		return mmu_fail(m, TS_EINVAL, "oracle not open");
	do {
		size_t batch = n - done < UC_MMU_QUERY_MAX ? n - done : UC_MMU_QUERY_MAX;

		rc = query_batch(m, regs, vas + done, batch, par + done);
		done += batch;
	} while (rc == 0 && done < n);
	return rc;
}
