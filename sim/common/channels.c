/* All SMC mailboxes of a simulation in one shared memfd (see channels.h). */
#define _GNU_SOURCE
#include "sim/common/channels.h"

#include <sys/mman.h>
#include <unistd.h>

#include "sim/common/ts_err.h"

static size_t stride(void)
{
	size_t b = smc_mailbox_bytes();

	return (b + SMC_MAILBOX_ALIGN_BYTES - 1) & ~(size_t)(SMC_MAILBOX_ALIGN_BYTES - 1);
}

static int map_fd(int fd, uint32_t n, struct channels *ch)
{
	void *p = mmap(NULL, stride() * n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return TS_ENOMEM;
	ch->fd = fd;
	ch->n = n;
	ch->stride_bytes = stride();
	ch->base = p;
	return 0;
}

int channels_create(uint32_t n, struct channels *ch)
{
	uint32_t i;
	int fd, rc;

	if (n == 0)
		return TS_EINVAL;
	fd = memfd_create("teeshm-channels", MFD_CLOEXEC); /* spawned worlds get it at fd 4 */
	if (fd < 0)
		return TS_EIO;
	if (ftruncate(fd, (off_t)(stride() * n)) || (rc = map_fd(fd, n, ch))) {
		close(fd);
		return TS_EIO;
	}
	for (i = 0; i < n; i++)
		if ((rc = smc_mailbox_init(ch->base + i * ch->stride_bytes, ch->stride_bytes))) {
			channels_close(ch);
			return rc;
		}
	return 0;
}

int channels_adopt(int fd, uint32_t n, struct channels *ch)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint32_t i;
	int rc;

	if (n == 0 || end < 0 || (size_t)end != stride() * n)
		return TS_EINVAL;
	if ((rc = map_fd(fd, n, ch)))
		return rc;
	for (i = 0; i < n; i++)
		if (!channels_mailbox(ch, i)) {
			channels_close(ch);
			return TS_EINVAL;
		}
	return 0;
}

void channels_close(struct channels *ch)
{
	if (ch->base)
		munmap(ch->base, ch->stride_bytes * ch->n);
	if (ch->fd >= 0)
		close(ch->fd);
	ch->base = NULL;
	ch->fd = -1;
}

struct smc_mailbox *channels_mailbox(const struct channels *ch, uint32_t i)
{
	struct smc_mailbox *mb;

	if (i >= ch->n || smc_mailbox_attach(ch->base + i * ch->stride_bytes, ch->stride_bytes, &mb))
		return NULL;
	return mb;
}
