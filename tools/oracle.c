/*
 * oracle.c - dedupsim's oracle: the exact recount over memory images.
 *
 * The counting is the engine's (dedup/recount.c, the same code the
 * hypervisor checks itself with); what is the tool's is reading whole
 * images from host memory.
 */
#include "oracle.h"

static const unsigned char *image_page(void *ctx, unsigned v, uint64_t p)
{
	return ((const unsigned char *const *)ctx)[v] + p * 4096;
}

int oracle_compute(const unsigned char *const *images, const uint64_t *sizes, unsigned nvm,
		   unsigned chunk, struct dedup_recount *o)
{
	uint64_t pages[64];
	unsigned v;
	if (nvm > 64)
		return -1;
	for (v = 0; v < nvm; v++)
		pages[v] = sizes[v] / 4096;
	return dedup_recount(image_page, (void *)images, pages, nvm, chunk, o);
}
