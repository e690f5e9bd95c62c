/*
 * The hypervisor's OP-TEE mediator, modelled on Xen's (xen/arch/arm/tee/optee.c).
 *
 * Guests speak the OP-TEE SMC ABI as if the secure world were theirs alone,
 * with guest (intermediate) physical addresses.  The mediator stands between
 * each guest and the secure world:
 *  - tags every call with the guest's client id (VM id + 1; 0 is the hypervisor),
 *    and tells the secure world VM_CREATED / VM_DESTROYED;
 *  - copies each optee_msg_arg into a shadow buffer in hypervisor RAM, so the
 *    secure world never reads memory the guest can still rewrite, and copies
 *    the results back;
 *  - rewrites every page list from IPAs to PAs into pages of its own,
 *    refusing any page outside the guest's RAM, and enforces per-buffer and
 *    per-guest page limits;
 *  - shadows RPC argument buffers the same way, and translates the buffers a
 *    guest hands to the secure world in RPC answers;
 *  - accepts CALL_WITH_REGD_ARG (Xen does not): the arg is found in the
 *    guest's registered buffer and shadowed, and the TEE gets CALL_WITH_ARG;
 *  - when a guest dies, drops its calls and buffers and tells the secure world.
 * Fast calls the guest may not make (VM_CREATED/DESTROYED) are refused.  The
 * static carveout is not offered to guests (as in Xen) unless
 * hv_mediator_offer_carveout says so (the "carveout" strategy): then each
 * guest gets its own slice (sim/common/strategy.h's split rule).
 *
 * Carveout slices.  GET_SHM_CONFIG answers with the guest part of the VM's
 * slice, seen at an IPA window right above guest RAM (carveout_window_ipa:
 * the next 2 MiB boundary, 0x44000000 for 64 MiB of RAM), which the guest
 * process maps itself.  Contiguous TMEMs, args and RPC buffers whose IPA
 * range lies wholly in the window are rewritten to the slice's PAs; one that
 * leaves the window (another slice's PA, its own RAM, past the end) is
 * refused as any foreign buffer is.  The shadow copies of the VM's args go to
 * the first CARVEOUT_SHADOW_PAGES of its slice instead of hypervisor RAM: the
 * secure half of "carveout" reaches only the statically mapped carveout
 * (mapping hypervisor RAM for it would make every guest's shadows reachable
 * through one VM's calls), and the VM pays for its own shadows.  The guest
 * never maps those pages.  When they are all in use (as many calls in flight),
 * a further call gets ETHREAD_LIMIT and the driver waits, as for busy threads.
 */
#ifndef TEESHM_HV_MEDIATOR_H
#define TEESHM_HV_MEDIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/dram.h"
#include "sim/common/smc.h"
#include "sim/common/stage2.h"

struct hv_limits {
	uint32_t max_pages_per_buffer;   /* registered buffers and call memrefs; Xen: 129 */
	/*
	 * Buffers the guest hands the TEE in RPC answers (SHM_ALLOC, e.g. a TA image).
	 * Xen applies its 129-page limit here too, which would refuse TA images over
	 * 512 KiB; kept separate so that effect can be switched on and measured.
	 */
	uint32_t max_pages_per_rpc_buffer;
	uint32_t max_shm_buffers;        /* registered at once per guest */
	uint64_t max_pages_per_guest;    /* Xen: 16384 */
	uint32_t max_calls_per_guest;    /* suspended or running at once */
};

void hv_limits_default(struct hv_limits *l);

/* Counters per guest, X-macro listed for the stats writer. */
#define HV_GUEST_STATS(X)                                                          \
	X(smcs)               /* SMCs from the guest */                          \
	X(fast_calls)                                                            \
	X(std_calls)          /* CALL_WITH_ARG / CALL_WITH_RPC_ARG */           \
	X(rpcs)               /* RPCs passed to the guest */                    \
	X(pages_translated)   /* page-list entries rewritten IPA -> PA */        \
	X(list_pages_written) /* page-list pages the mediator wrote */           \
	X(shadow_copies)      /* args copied in or out of shadow buffers */      \
	X(window_translated)  /* carveout-window buffers rewritten IPA -> PA */   \
	X(refused)            /* calls refused by the mediator itself */         \
	X(registered_pages)   /* now */                                          \
	X(registered_buffers) /* now */

struct hv_guest_stats {
#define HV_STAT_FIELD(name) uint64_t name;
	HV_GUEST_STATS(HV_STAT_FIELD)
#undef HV_STAT_FIELD
};

struct hv_mediator;
struct hv_guest;

/*
 * A mediator over DRAM (the hypervisor maps all non-secure memory: the
 * view must cover hv-ram and the guests' RAM) forwarding to the secure world
 * through to_sw.  to_sw is used by one guest call at a time per guest; the
 * caller gives each guest its own conduit in hv_guest_add.
 */
int hv_mediator_create(const struct dram_view *ns_view, const struct hv_limits *limits,
		       struct hv_mediator **out);
void hv_mediator_destroy(struct hv_mediator *med);

/*
 * Offer each guest VM id 0..max_vms-1 its slice of the static carveout
 * (vm_bytes each, 0: an even share), by carveout_split_init; call before the
 * first hv_guest_add.  The carveout must be in the mediator's view.  0, or
 * TS_EINVAL / TS_ERANGE / TS_ENOMEM with a message in err.
 */
int hv_mediator_offer_carveout(struct hv_mediator *med, uint32_t max_vms, uint64_t vm_bytes,
			       char *err, size_t err_len);

/*
 * Register guest vm_id (client id vm_id + 1) with its stage-2 map (owned by
 * the caller, kept alive until hv_guest_remove) and its conduit to the secure
 * world; sends VM_CREATED.  TS_EEXIST, TS_ENOMEM, TS_EIO (the secure world
 * refused: OPTEE_SMC_RETURN_ENOTAVAIL).
 */
int hv_guest_add(struct hv_mediator *med, uint16_t vm_id, const struct stage2_map *s2,
		 const struct smc_conduit *to_sw, struct hv_guest **out);

/* An smc_handler_fn for the guest's channel: ctx is the struct hv_guest. */
void hv_guest_smc(void *guest, struct smc_regs *regs);

/*
 * The guest is gone (exited or crashed): drop its pending calls and buffers,
 * send VM_DESTROYED.  Safe while no hv_guest_smc of this guest runs.
 */
int hv_guest_remove(struct hv_mediator *med, struct hv_guest *guest);

const struct hv_guest_stats *hv_guest_stats(const struct hv_guest *guest);

/*
 * Hypervisor pages in use (shadows, translated lists), the shadow pages of
 * carveout slices included; 0 when idle with no guest.
 */
uint32_t hv_mediator_pages_in_use(const struct hv_mediator *med);

#endif
