/*
 * oracle.h - the ideal sharing of a set of memory images (Barker et al.).
 *
 * For chunks of `chunk` bytes (4096, or 2048/1024 as in the paper's
 * figure 10): sharable = chunks - distinct contents; self-sharing(V) = the
 * same within V alone; inter-VM = sharable - sum of self.  Zero chunks are
 * counted apart and also included, as the paper does.
 */
#ifndef ORACLE_H
#define ORACLE_H

#include <stdint.h>
/* Plain C: built into dedupsim, the host tests and the hypervisor. */

struct oracle_vm {
	uint64_t pages, zero, distinct, self;
};

struct oracle {
	unsigned chunk;
	uint64_t pages_total, pages_zero;
	uint64_t pages_unique;     /* distinct contents, zero counting as one */
	uint64_t sharable;         /* pages_total - pages_unique */
	uint64_t sharable_nonzero; /* the same with zero chunks left out */
	uint64_t self_sharing, inter_sharing;
	uint64_t max_copies;       /* most copies of one content */
	int max_copies_is_zero;
	unsigned nvm;
	struct oracle_vm *vm;      /* nvm entries, malloc'd */
};

/* Page p (4 KiB) of VM v, read through the caller. */
typedef const unsigned char *(*oracle_page_fn)(void *ctx, unsigned v, uint64_t p);

/* VM v has pages[v] pages of 4 KiB; chunk divides 4096.  0, or -1 (out of
 * memory, or a 128-bit hash collision, which would make the count wrong). */
int oracle_count(oracle_page_fn page, void *ctx, const uint64_t *pages, unsigned nvm,
		 unsigned chunk, struct oracle *out);

/* The same over contiguous images: images[v] holds sizes[v] bytes. */
int oracle_compute(const unsigned char *const *images, const uint64_t *sizes, unsigned nvm,
		   unsigned chunk, struct oracle *out);
void oracle_free(struct oracle *o);

#endif
