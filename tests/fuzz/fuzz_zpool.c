/*
 * fuzz_zpool.c - the compressed tier's pool (tier/zpool.c) over the fake
 * machine's frames, driven by an operation stream.
 *
 * Feeds: u8 frames the machine has (16 + b % 240), u8 the cap (b % 64),
 * then operations until the input ends (at most MAX_OPS), each an opcode
 * byte and its arguments:
 *   ALLOC    u16 size (% (ZPOOL_MAX_OBJECT + 2): 0 and 2049 are refused)
 *   FREE     u8 which live object (% live objects)
 *   BADFREE  u32 any handle: freed only if it names no live object
 *   CAP      u8 a new cap (% 64)
 *   EXHAUST  u8 frames the machine will still give (% 4, for a while)
 * Each object is filled with bytes derived from its number when made.
 *
 * Checks after every operation (every byte of every object every 16
 * operations and at the end, its first and last 8 bytes in between): every
 * live object still holds its bytes (no two overlap, a free never touches
 * another), handles are distinct and
 * fit ZPOOL_HANDLE_BITS, each object's slot holds its size; the pool's
 * figures agree with what was done (objects, slot bytes, frames = the
 * machine's frames in use, per class objects <= frames x slots a frame);
 * a frame is taken only below the cap of the moment (a lower cap keeps
 * what is held); refused calls change nothing.  At the end every object is freed and every frame
 * must be back.
 */
#include <stdbool.h>
#include <string.h>

#include "fake_mem.h"
#include "fuzz_common.h"
#include "zpool.h"

#define MAX_OPS  600
#define MAX_LIVE 512

enum { OP_ALLOC, OP_ALLOC2, OP_FREE, OP_BADFREE, OP_CAP, OP_EXHAUST, OP_COUNT };

struct obj { uint32_t handle, size, seed; };

static struct obj live[MAX_LIVE];
static unsigned nlive;

static unsigned char byte_of(uint32_t seed, uint32_t i)
{
	return (unsigned char)(seed * 151 + i * 13 + (i >> 7));
}

static void check_all(struct zpool *p, const struct fake_mem *m, uint64_t offered, const char *when,
		      bool full)
{
	struct zpool_stats s;
	uint64_t slot_bytes = 0, objs = 0, frames = 0;

	for (unsigned i = 0; i < nlive; i++) {
		const unsigned char *b = zpool_ptr(p, live[i].handle);
		CHECK(b, "after %s: live object %u (handle %u) has no bytes", when, i, live[i].handle);
		CHECK(zpool_slot_size(p, live[i].handle) >= live[i].size, "after %s: a slot smaller than its object", when);
		for (uint32_t k = 0; k < live[i].size; k++) {
			if (!full && k == 8 && live[i].size > 16)
				k = live[i].size - 8;
			CHECK(b[k] == byte_of(live[i].seed, k), "after %s: object %u byte %u changed", when, i, k);
		}
		for (unsigned j = 0; j < i; j++)
			CHECK(live[j].handle != live[i].handle, "after %s: two objects share handle %u", when,
			      live[i].handle);
		CHECK(live[i].handle < (1u << ZPOOL_HANDLE_BITS), "a handle past its bits");
		slot_bytes += zpool_slot_size(p, live[i].handle);
	}
	zpool_get_stats(p, &s);
	CHECK(s.objects == nlive && s.slot_bytes == slot_bytes,
	      "after %s: the pool counts %llu objects, %llu slot bytes; %u and %llu live", when,
	      (unsigned long long)s.objects, (unsigned long long)s.slot_bytes, nlive,
	      (unsigned long long)slot_bytes);
	CHECK(s.frames == offered - m->nfree, "after %s: %llu frames counted, %llu taken", when,
	      (unsigned long long)s.frames, (unsigned long long)(offered - m->nfree));
	for (unsigned c = 0; c < ZPOOL_NCLASSES; c++) {
		struct zpool_class_stats k;
		zpool_get_class(p, c, &k);
		CHECK(k.objects <= k.frames * k.per_frame && (k.frames == 0 || k.objects > 0),
		      "after %s: class %u holds %llu objects in %llu frames of %u", when, c,
		      (unsigned long long)k.objects, (unsigned long long)k.frames, k.per_frame);
		objs += k.objects;
		frames += k.frames;
	}
	CHECK(objs == s.objects && frames == s.frames, "after %s: classes sum to %llu objects, %llu frames",
	      when, (unsigned long long)objs, (unsigned long long)frames);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct fake_mem m0;
	static bool made;
	struct fake_mem m;
	struct dedup_ops o;
	struct zpool_ops zo;
	struct zpool *p;
	uint64_t nframes = 16 + fz_u8(&f) % 240, cap = fz_u8(&f) % 64;
	unsigned ops = 0, exhausted = 0;
	uint32_t seed = 0;

	/* One machine for every input (a fresh arena each time would cost most
	 * of the time); nframes of its frames are offered. */
	if (!made) {
		fake_init(&m0, 256, false);
		made = true;
	}
	m = m0;
	m.nfree = nframes;
	for (uint64_t i = 0; i < nframes; i++)
		m.free_stack[i] = nframes - 1 - i;
	o = fake_ops(&m);
	zo = (struct zpool_ops){ o.frame_ptr, o.frame_alloc, o.frame_free, o.ctx };
	p = zpool_create(&zo, cap);
	CHECK(p, "zpool_create failed");
	nlive = 0;

	while (f.n && ops++ < MAX_OPS) {
		unsigned op = fz_u8(&f) % OP_COUNT;
		const char *name = "?";
		switch (op) {
		case OP_ALLOC:
		case OP_ALLOC2: {
			uint32_t sz = fz_u16(&f) % (ZPOOL_MAX_OBJECT + 2), h;
			struct zpool_stats before;
			int r;
			name = "alloc";
			zpool_get_stats(p, &before);
			r = zpool_alloc(p, sz, &h);
			if (sz == 0 || sz > ZPOOL_MAX_OBJECT) {
				CHECK(r == ZPOOL_EINVAL, "alloc of %u bytes: %d", sz, r);
			} else if (nlive == MAX_LIVE) {
				if (r == 0)
					CHECK(zpool_free(p, h) == 0, "freeing an object just made");
			} else if (r == 0) {
				unsigned char *b = zpool_ptr(p, h);
				struct zpool_stats after;
				zpool_get_stats(p, &after);
				CHECK(after.frames == before.frames ||
				      (after.frames == before.frames + 1 && after.frames <= cap),
				      "alloc took a frame beyond the cap (%llu frames, cap %llu)",
				      (unsigned long long)after.frames, (unsigned long long)cap);
				live[nlive] = (struct obj){ h, sz, ++seed };
				for (uint32_t k = 0; k < sz; k++)
					b[k] = byte_of(seed, k);
				nlive++;
			} else {
				struct zpool_stats after;
				CHECK(r == ZPOOL_ENOMEM, "alloc of %u bytes: %d", sz, r);
				CHECK(!zpool_has_room(p, sz) || m.alloc_budget == 0 || m.nfree == 0,
				      "alloc refused though the pool says it has room and frames are free");
				zpool_get_stats(p, &after);
				CHECK(after.objects == before.objects && after.frames == before.frames,
				      "a refused alloc changed the pool");
			}
			break;
		}
		case OP_FREE:
			name = "free";
			if (nlive) {
				unsigned i = fz_u8(&f) % nlive;
				CHECK(zpool_free(p, live[i].handle) == 0, "free of a live object refused");
				CHECK(zpool_ptr(p, live[i].handle) == NULL, "a freed object still has bytes");
				live[i] = live[--nlive];
			}
			break;
		case OP_BADFREE: {
			uint32_t h = fz_u32(&f);
			bool is_live = false;
			name = "free of any handle";
			for (unsigned i = 0; i < nlive; i++)
				is_live |= live[i].handle == h;
			if (!is_live)
				CHECK(zpool_free(p, h) == ZPOOL_EINVAL, "a handle of no object was freed");
			break;
		}
		case OP_CAP:
			name = "cap";
			cap = fz_u8(&f) % 64;
			zpool_set_max(p, cap);
			break;
		case OP_EXHAUST:
			name = "exhaust";
			m.alloc_budget = fz_u8(&f) % 4;
			exhausted = 8;
			break;
		}
		if (exhausted && --exhausted == 0)
			m.alloc_budget = -1;
		check_all(p, &m, nframes, name, ops % 16 == 0);
	}
	while (nlive)
		CHECK(zpool_free(p, live[--nlive].handle) == 0, "final free refused");
	check_all(p, &m, nframes, "freeing everything", true);
	CHECK(m.nfree == nframes, "%llu frames kept with no object",
	      (unsigned long long)(nframes - m.nfree));
	zpool_destroy(p);
	return 0;
}
