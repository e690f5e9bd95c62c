/*
 * --dump-mmu: write the secure MMU state as files any external tool can read
 * (DESIGN.md section 6).  Host-side: uses stdio and POSIX files, not part of
 * the freestanding core; it sees the core only through core_mm_dump().
 *
 * One dump is a directory holding three files:
 *
 *   regs.json     {"schema": "teeshm.mmu/1", "ttbr0": "0x<16 hex>", "tcr": "0x<16 hex>",
 *                  "mair": "0x<16 hex>", "va_bits": 39, "granule": 4096,
 *                  "start_level": 1, "tables": <records in tables.bin>,
 *                  "mappings": <rows in mappings.tsv>}
 *   tables.bin    per translation table, root first then parents before
 *                 children: the table's PA as a little-endian u64, then its
 *                 4096 bytes (512 little-endian u64 descriptors) exactly as the
 *                 MMU reads them.  Load each at its PA, point TTBR0 at the
 *                 root, and an MMU translates as the secure core does.
 *   mappings.tsv  "# va\tpa\tpages\tattrs\tvm\ttype", then one row per
 *                 physically contiguous run of a mapping, from the core's own
 *                 books (not from the tables): va and pa as 0x%016 hex, pages
 *                 in decimal, attrs as flags joined by '|' (see
 *                 mmu_dump_format_attrs), vm as a number or '-', type as
 *                 teecore_memtype_name().
 *
 * Files are written to "<name>.tmp" and renamed into place only when all three
 * are complete, so a failed dump never leaves a half-written file: before the
 * renames the previous dump (if any) is untouched; regs.json is renamed last,
 * so a directory without regs.json holds no complete dump.
 */
#ifndef TEESHM_SECURE_MMU_DUMP_H
#define TEESHM_SECURE_MMU_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/secure/mm/core_mm.h"

#define MMU_DUMP_SCHEMA "teeshm.mmu/1"
#define MMU_DUMP_REGS_FILE "regs.json"
#define MMU_DUMP_TABLES_FILE "tables.bin"
#define MMU_DUMP_MAPPINGS_FILE "mappings.tsv"
#define MMU_DUMP_MAPPINGS_HEADER "# va\tpa\tpages\tattrs\tvm\ttype"
/* Bytes of one tables.bin record: u64 PA + one 4 KiB table. */
#define MMU_DUMP_TABLE_RECORD_BYTES (8u + 4096u)

/*
 * Dump mm into <dir>/<tag>/ (into dir itself when tag is NULL or empty),
 * creating missing directories as mkdir -p does.  tag is one path component
 * ("checkpoint-3", "final"): no '/', not "." or "..".
 * Returns 0, or a negative TS_E* code with a message naming the path in err
 * (err may be NULL): TS_EINVAL (bad arguments), TS_EEXIST (a path component
 * exists and is not a directory), TS_EACCES, TS_ENOENT, TS_ENOSPC (also for
 * a file-size limit), TS_ENOMEM, TS_EIO (other I/O failures), or an error the
 * core's dump walk returned.
 */
int mmu_dump_write(const struct core_mm *mm, const char *dir, const char *tag, char *err,
		   size_t err_len);

/*
 * PGT_ATTR_* flags as text, in this order: memory type ("normal", "device",
 * "normal_nc"), "ns" if non-secure, "ro" or "rw", "user" if EL0 may access,
 * "xn" if execute-never, "global" or "ng"; unknown bits as a trailing "0x..".
 * E.g. "normal|ns|rw|xn|global".  Writes at most buf_len bytes including
 * the NUL and returns the length the full text needs, as snprintf does.
 */
size_t mmu_dump_format_attrs(uint32_t attrs, char *buf, size_t buf_len);

#endif
