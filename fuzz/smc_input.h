/*
 * The input format of fuzz_smc, shared by the harness and the seed generator
 * (fuzz/gen_seeds.c).  fuzz/README.md says it at more length.
 *
 * byte 0: the world: a strategy index (strategies[] in fuzz_smc.c, modulo its length).
 * then up to FUZZ_SMC_MAX_CALLS records, each:
 *   u8 ctl                     FUZZ_CTL_* bits
 *   [page write]               when ctl & FUZZ_CTL_WRITE: u8 target, u16 offset, u16 length,
 *                              then length bytes (clamped to the page end and to the input)
 *   8 x u64 registers a0..a7   little endian; missing bytes at the end of the input are 0
 * The page write happens before the SMC.  target: bits 0..3 a page of a guest's window
 * (FUZZ_WINDOW_PAGES pages at the start of the guest's RAM), or with FUZZ_TGT_CARVEOUT bits 0..1
 * a page of its carveout window (the start of the guest part of its carveout slice); the guest is
 * the caller's, or with FUZZ_TGT_OTHER the other one.
 */
#ifndef TEESHM_FUZZ_SMC_INPUT_H
#define TEESHM_FUZZ_SMC_INPUT_H

#define FUZZ_SMC_MAX_CALLS 24u
#define FUZZ_SMC_GUESTS 2u
#define FUZZ_WINDOW_PAGES 16u
#define FUZZ_CARVEOUT_WINDOW_PAGES 4u

/* ctl bits 0..1: what a1:a2 (high:low of a 64-bit PA or cookie) become. */
#define FUZZ_CTL_AMODE_MASK 0x03u
#define FUZZ_AMODE_RAW 0u        /* as given */
#define FUZZ_AMODE_WINDOW 1u     /* the caller's RAM window + a2 % its size */
#define FUZZ_AMODE_CARVEOUT 2u   /* the caller's carveout window + a2 % its size */
#define FUZZ_AMODE_PREV 3u       /* a1:a2 of the previous SMC's result */
#define FUZZ_CTL_FID_TABLE 0x04u /* a0 = an OP-TEE function ID, fids[a0 % n] (fuzz_smc.c) */
#define FUZZ_CTL_RESUME_ID 0x08u /* a3 = the thread id of the last RPC return */
#define FUZZ_CTL_WRITE 0x10u     /* a page write comes first */
#define FUZZ_CTL_RELOC_ARG 0x20u /* the bytes written are an optee_msg_arg: buf_ptrs -> window */
#define FUZZ_CTL_RELOC_LIST 0x40u /* the bytes written are list words: each nonzero -> window */
#define FUZZ_CTL_SESSION 0x80u   /* the written arg's session = the last session opened */

#define FUZZ_TGT_PAGE_MASK 0x0fu
#define FUZZ_TGT_CARVEOUT 0x10u
#define FUZZ_TGT_OTHER 0x80u

/*
 * Relocation keeps the offset in the window, so alignment (and its errors) survive:
 * x -> window base + x % (FUZZ_WINDOW_PAGES * 4 KiB).
 */

#endif
