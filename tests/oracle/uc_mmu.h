/*
 * Test harness: QEMU's stage-1 MMU, through Unicorn 2.0.1, as an oracle for
 * translation tables that nobody here wrote.
 *
 * The caller backs the PAs its tables live at with RAM (uc_mmu_map) and
 * copies the tables in (uc_mmu_write); uc_mmu_query then loads MAIR/TCR/TTBR0
 * into the EL1 registers, turns the EL1 MMU on, invalidates the TLB and runs
 * `at s1e1r/s1e1w/s1e0r/s1e0w` on each VA, returning PAR_EL1 after each.
 *
 * How Unicorn 2.0.1 is driven (DESIGN.md section 8, plus one finding here):
 *  - the CPU starts at EL1 with SCR_EL3 = 0, i.e. EL1 would be AArch32; we set
 *    SCR_EL3.RW through UC_ARM64_REG_CP_REG (op0=3 op1=6 CRn=1 CRm=1 op2=0),
 *    leaving SCR_EL3.NS = 0 so EL1 is *Secure* EL1 and descriptor NS bits count;
 *  - the stub runs at EL3 with its own MMU off, so it needs no mapping in the
 *    tables under test.  Writing PSTATE to EL3h via uc_reg_write changes
 *    env->pstate but not QEMU's cached hflags (CurrentEL still reads 1); an
 *    `eret` executed with SPSR/ELR set rebuilds them, after which we are at EL3;
 *  - `at` does a fresh table walk and needs no shadow mapping of the VAs, but
 *    the stub still does `tlbi vmalle1; dsb ish; isb` before every batch
 *    because uc_ctl_flush_tlb does not flush in 2.0.1.
 *
 * Errors are 0 or a negative TS_E* code with the reason in m->err; the
 * harness never aborts, so each test decides how to fail.
 */
#ifndef TEESHM_TESTS_ORACLE_UC_MMU_H
#define TEESHM_TESTS_ORACLE_UC_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

/* VAs per run of the stub; uc_mmu_query splits longer lists. */
#define UC_MMU_QUERY_MAX 4608u
/* PA bytes the stub region takes from stub_pa (code, VA list, results). */
#define UC_MMU_STUB_BYTES (0x1000ull + UC_MMU_QUERY_MAX * 8ull + UC_MMU_QUERY_MAX * 32ull)
/* Default stub PA: below QEMU virt's DRAM (0x40000000) and clear of our device PAs. */
#define UC_MMU_STUB_PA_DEFAULT 0x10000000ull

/* The four address translations run on each VA, in PAR order. */
enum uc_mmu_at { UC_MMU_AT_E1R, UC_MMU_AT_E1W, UC_MMU_AT_E0R, UC_MMU_AT_E0W, UC_MMU_AT_KINDS };

/* PAR_EL1 (64-bit format) fields. */
#define UC_MMU_PAR_F 1ull
#define UC_MMU_PAR_FST(par) (((par) >> 1) & 0x3f)
#define UC_MMU_PAR_SH(par) (((par) >> 7) & 3)
#define UC_MMU_PAR_NS ((uint64_t)1 << 9)
#define UC_MMU_PAR_PA(par) ((par) & 0x0000fffffffff000ull)
#define UC_MMU_PAR_ATTR(par) ((par) >> 56)
/* Fault status codes (DFSC encoding) as PAR.FST reports them. */
#define UC_MMU_FST_TRANSLATION(level) (0x04u | (level))
#define UC_MMU_FST_ACCESS_FLAG(level) (0x08u | (level))
#define UC_MMU_FST_PERMISSION(level) (0x0cu | (level))
#define UC_MMU_FST_IS_TRANSLATION(fst) (((fst) & 0x3c) == 0x04)

/* MAIR attribute bytes PAR.ATTR reports for the memory kinds the secure core uses (Arm ARM). */
#define UC_MMU_MAIR_DEVICE_NGNRE 0x04u
#define UC_MMU_MAIR_NORMAL_WB 0xffu /* inner/outer write-back, read+write allocate */
#define UC_MMU_MAIR_NORMAL_NC 0x44u

struct uc_mmu_regs {
	uint64_t ttbr0, tcr, mair;
};

struct uc_mmu {
	uc_engine *uc;
	uint64_t stub_pa;
	uint64_t queries; /* VAs translated so far */
	char err[256];
};

/* Start the CPU at EL3 with the stub mapped at stub_pa (4 KiB aligned). */
int uc_mmu_open(struct uc_mmu *m, uint64_t stub_pa);
void uc_mmu_close(struct uc_mmu *m);

/* True if [pa, pa + bytes) overlaps the stub region: tables cannot go there. */
bool uc_mmu_overlaps_stub(const struct uc_mmu *m, uint64_t pa, uint64_t bytes);

/* Back [pa, pa + bytes) with RAM (4 KiB aligned, not yet backed). */
int uc_mmu_map(struct uc_mmu *m, uint64_t pa, uint64_t bytes);
/* Copy bytes into backed memory at pa (e.g. the tables, after every change). */
int uc_mmu_write(struct uc_mmu *m, uint64_t pa, const void *src, size_t bytes);

/*
 * Translate n VAs with the given registers; par[i][UC_MMU_AT_*] receives
 * PAR_EL1 after each kind of `at`.  Also checks that the stub's register
 * writes reached TCR_EL1, TTBR0_EL1, MAIR_EL1 and SCTLR_EL1.M (TS_EIO if not).
 */
int uc_mmu_query(struct uc_mmu *m, const struct uc_mmu_regs *regs, const uint64_t *vas, size_t n,
		 uint64_t (*par)[UC_MMU_AT_KINDS]);

#endif
