/*
 * stress.c - randomized test of the zmm heap against a shadow model.
 *
 *   stress [--ops N] [--seed S] [--storage NAME] [--protection 0|1] [--cache BYTES]
 *          [--segment-size BYTES] [--slots N] [--limit BYTES] [--verbose]
 *
 * Keeps a table of live blocks and runs N random alloc/free/realloc operations on it, sizes 0..2 MiB
 * with a skewed distribution (mostly small, some large, a few huge). Every block is filled with a
 * pattern derived from its id, verified before free/realloc and (the preserved prefix) after realloc.
 * The shadow model checks the heap's accounting after every operation (summary.size - cached ==
 * the bytes of the live blocks, usage, peaks), runs zmm_heap_check every 50,000 operations (and
 * compares real_size with the sum of the segment rows), and at the end frees everything, flushes the
 * cache and checks that no segment is left. With --limit the heap gets a limit whose hook always
 * answers PROCEED, so the allocations still succeed but the near-limit paths run (rest list search,
 * cache flush before the hook). Prints
 *   stress(<storage>,seed=S,prot=P): N ops, M mismatches
 * and exits non-zero if M > 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zmm_heap.h"
#include "zmm_storage.h"

#define MAX_REQUEST ((size_t)2 * 1024 * 1024)
#define PATTERN_SHIFTS 251
#define CHECK_EVERY 50000

typedef struct slot {
	unsigned char *p;
	size_t n;          /* requested bytes */
	size_t bsz;        /* the block's size from its header */
	uint32_t id;
} slot_t;

static unsigned long long g_mismatches;
static unsigned long long g_op;
static int g_verbose;
static size_t g_limit = ZMM_HEAP_NO_LIMIT;
static unsigned long long g_limit_calls;
static unsigned char *g_pat;   /* MAX_REQUEST + PATTERN_SHIFTS random bytes */

#define MISMATCH(...) do { \
	g_mismatches++; \
	if (g_mismatches <= 25) { \
		fprintf(stderr, "stress: op %llu: ", g_op); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

/* xorshift64* */
static uint64_t g_rng;
static uint64_t rnd(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* Mostly small, some large, a few huge. */
static size_t rand_size(void)
{
	unsigned r = (unsigned)rnd_below(10000);
	if (r < 5000) {
		return rnd_below(65);
	}
	if (r < 8800) {
		return rnd_below(ZMM_HEAP_MAX_SMALL_REQUEST + 1);
	}
	if (r < 9975) {
		unsigned bits = 6 + (unsigned)rnd_below(12); /* 64 .. 128 Ki spread above the small limit */
		return ZMM_HEAP_MAX_SMALL_REQUEST + 1 + rnd_below((size_t)1 << bits);
	}
	return 256 * 1024 + rnd_below(MAX_REQUEST - 256 * 1024 + 1);
}

static const unsigned char *pattern(uint32_t id) { return g_pat + id % PATTERN_SHIFTS; }

/* The heap poisons block headers under ASan (unless built with ZMM_NO_ANNOTATIONS): read the size
 * word without instrumentation. */
#if defined(__SANITIZE_ADDRESS__)
# define NOASAN __attribute__((no_sanitize_address, noinline))
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define NOASAN __attribute__((no_sanitize_address, noinline))
# endif
#endif
#ifndef NOASAN
# define NOASAN
#endif

NOASAN static size_t header_size(const void *p)
{
	return *(const volatile size_t *)((const char *)p - 2 * sizeof(size_t)) & ~(size_t)7;
}

static void check_block(zmm_heap_t *h, zmm_storage_t *st, slot_t *s, const char *what)
{
	size_t t = zmm_heap_true_size(h, s->n), slack = ZMM_HEAP_MIN_BLOCK;
	/* the exact size: realloc keeps a block of no class's size that holds it (an unsplittable tail) */
	size_t x = (s->n + (zmm_heap_get_options(h)->protection ? ZMM_HEAP_PROTECTION_EXTRA : 0) + ZMM_HEAP_HDR_SIZE + 7) & ~(size_t)7;
	if (((uintptr_t)s->p & (ZMM_HEAP_ALIGNMENT - 1)) != 0) {
		MISMATCH("%s: %p is not aligned", what, (void *)s->p);
	}
	if (zmm_heap_owner(st, s->p) != h) {
		MISMATCH("%s: %p (%zu bytes) is not in a segment of this heap", what, (void *)s->p, s->n);
		return;
	}
	/* an unsplittable tail; with size classes a large block may also keep up to a realloc step */
	if (zmm_heap_get_options(h)->size_classes && t > ZMM_HEAP_MAX_CLASS_BLOCK) {
		slack += ZMM_HEAP_REALLOC_STEP;
	}
	s->bsz = header_size(s->p);
	if (s->bsz < (x < ZMM_HEAP_MIN_BLOCK ? ZMM_HEAP_MIN_BLOCK : x) || s->bsz >= t + slack) {
		MISMATCH("%s: block of %zu bytes for a request of %zu (true size %zu)", what, s->bsz, s->n, t);
	}
}

static int verify_prefix(const slot_t *s, size_t n, const char *what)
{
	if (memcmp(s->p, pattern(s->id), n) != 0) {
		size_t i;
		const unsigned char *pat = pattern(s->id);
		for (i = 0; i < n && s->p[i] == pat[i]; i++) {
		}
		MISMATCH("%s: block %u (%zu bytes at %p) damaged at byte %zu", what, s->id, s->n, (void *)s->p, i);
		return 0;
	}
	return 1;
}

static void on_error(void *ctx, zmm_heap_t *heap, const zmm_heap_error_t *e)
{
	(void)ctx;
	(void)heap;
	MISMATCH("error hook: kind %d fatal %d op %s: %s", (int)e->kind, e->fatal, e->operation ? e->operation : "?",
	         e->message ? e->message : "?");
	if (e->fatal) {
		fprintf(stderr, "stress: fatal heap error, aborting\n");
		abort();
	}
}

static zmm_heap_limit_action_t on_limit(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	zmm_heap_summary_t s;
	(void)ctx;
	if (g_limit == ZMM_HEAP_NO_LIMIT) {
		MISMATCH("limit hook called (request %zu, needed %zu) without a limit", request, needed);
		return ZMM_LIMIT_FAIL;
	}
	g_limit_calls++;
	zmm_heap_summary(heap, &s);
	if (s.cached != 0) {
		MISMATCH("limit hook: %zu bytes still cached", s.cached);
	}
	if (s.real_size + needed <= g_limit) {
		MISMATCH("limit hook called although real_size %zu + %zu fits the limit %zu", s.real_size, needed, g_limit);
	}
	return ZMM_LIMIT_PROCEED;
}

static void on_oom(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	(void)ctx;
	(void)heap;
	MISMATCH("oom hook called (request %zu, needed %zu)", request, needed);
}

static void check_cb(void *ctx, const char *message)
{
	unsigned *n = ctx;
	if ((*n)++ < 10) {
		fprintf(stderr, "stress: zmm_heap_check: %s\n", message);
	}
}

static void full_check(zmm_heap_t *h, slot_t *tab, size_t nslots, size_t live_bytes, size_t live_blocks)
{
	unsigned msgs = 0;
	zmm_heap_check_result_t r;
	zmm_heap_stats_t st;
	size_t e, i, real = 0, used = 0, freeb = 0, largest = 0;

	memset(&r, 0, sizeof r);
	e = zmm_heap_check(h, check_cb, &msgs, &r);
	if (e != 0) {
		MISMATCH("zmm_heap_check found %zu problem(s)", e);
	}
	if (zmm_heap_stats(h, &st, 0) != 0) {
		MISMATCH("zmm_heap_stats failed");
		return;
	}
	for (i = 0; i < st.segment_count; i++) {
		real += st.segments[i].size;
		used += st.segments[i].used;
		freeb += st.segments[i].free;
		if (st.segments[i].largest_free_block > largest) {
			largest = st.segments[i].largest_free_block;
		}
		if (st.segments[i].used + st.segments[i].free + st.segments[i].overhead != st.segments[i].size) {
			MISMATCH("segment row %zu: used %zu + free %zu + overhead %zu != size %zu", i, st.segments[i].used,
			         st.segments[i].free, st.segments[i].overhead, st.segments[i].size);
		}
	}
	if (st.segment_count != st.summary.segments) {
		MISMATCH("%zu segment rows, summary says %zu segments", st.segment_count, st.summary.segments);
	}
	if (real != st.summary.real_size) {
		MISMATCH("segment rows add up to %zu bytes, real_size is %zu", real, st.summary.real_size);
	}
	if (used != st.summary.size) {
		MISMATCH("used bytes in segment rows %zu != summary.size %zu", used, st.summary.size);
	}
	if (freeb != st.summary.free_bytes) {
		MISMATCH("free bytes in segment rows %zu != summary.free_bytes %zu", freeb, st.summary.free_bytes);
	}
	if (largest != st.summary.largest_free_block) {
		MISMATCH("largest free block in segment rows %zu != summary %zu", largest, st.summary.largest_free_block);
	}
	if (st.counters.allocs - st.counters.frees != live_blocks) {
		MISMATCH("counters: %llu allocs - %llu frees != %zu live blocks", (unsigned long long)st.counters.allocs,
		         (unsigned long long)st.counters.frees, live_blocks);
	}
	if (r.blocks < live_blocks) {
		MISMATCH("check walked %zu blocks, %zu are live", r.blocks, live_blocks);
	}
	if (st.summary.size - st.summary.cached != live_bytes) {
		MISMATCH("full check: size %zu - cached %zu != live %zu", st.summary.size, st.summary.cached, live_bytes);
	}
	zmm_heap_stats_free(&st);
	for (i = 0; i < nslots; i++) {
		if (tab[i].p) {
			verify_prefix(&tab[i], tab[i].n, "full check");
			if (header_size(tab[i].p) != tab[i].bsz) {
				MISMATCH("block %u at %p: header size %zu, was %zu", tab[i].id, (void *)tab[i].p,
				         header_size(tab[i].p), tab[i].bsz);
			}
		}
	}
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end == 'k' || *end == 'K') {
		v *= 1024;
	} else if (*end == 'm' || *end == 'M') {
		v *= 1024 * 1024;
	} else if (*end != '\0') {
		fprintf(stderr, "stress: bad number '%s'\n", s);
		exit(2);
	}
	return (size_t)v;
}

static void usage(void)
{
	fprintf(stderr, "usage: stress [--ops N] [--seed S] [--storage NAME] [--protection 0|1] [--cache BYTES]\n"
	                "              [--segment-size BYTES] [--slots N] [--limit BYTES] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long ops = 1000000, seed = 1;
	const char *storage_name = "malloc";
	int protection = 0;
	size_t cache = ZMM_HEAP_CACHE_DEFAULT, seg_size = ZMM_SEGMENT_SIZE_DEFAULT, nslots = 4096;
	const zmm_storage_handlers_t *handlers;
	zmm_storage_t storage;
	zmm_heap_options_t opts;
	zmm_heap_hooks_t hooks;
	zmm_heap_t *h;
	slot_t *tab;
	size_t live_bytes = 0, live_blocks = 0, i;
	uint32_t next_id = 1;
	unsigned long long nalloc = 0, nfree = 0, nrealloc = 0, nsame = 0;
	zmm_heap_summary_t s;
	zmm_heap_counters_t c;
	int a;

	for (a = 1; a < argc; a++) {
		const char *o = argv[a];
		if (strcmp(o, "--verbose") == 0) {
			g_verbose = 1;
			continue;
		}
		if (a + 1 >= argc) {
			usage();
		}
		if (strcmp(o, "--ops") == 0) {
			ops = parse_size(argv[++a]);
		} else if (strcmp(o, "--seed") == 0) {
			seed = parse_size(argv[++a]);
		} else if (strcmp(o, "--storage") == 0) {
			storage_name = argv[++a];
		} else if (strcmp(o, "--protection") == 0) {
			protection = atoi(argv[++a]) != 0;
		} else if (strcmp(o, "--cache") == 0) {
			cache = parse_size(argv[++a]);
		} else if (strcmp(o, "--segment-size") == 0) {
			seg_size = parse_size(argv[++a]);
		} else if (strcmp(o, "--limit") == 0) {
			g_limit = parse_size(argv[++a]);
		} else if (strcmp(o, "--slots") == 0) {
			nslots = parse_size(argv[++a]);
			if (nslots == 0) {
				usage();
			}
		} else {
			usage();
		}
	}

	handlers = zmm_storage_lookup(storage_name);
	if (handlers == NULL) {
		char names[256];
		fprintf(stderr, "stress: unknown storage '%s' (supported: %s)\n", storage_name,
		        zmm_storage_names(names, sizeof names));
		return 2;
	}
	if (zmm_storage_init(&storage, handlers, seg_size, 4) != 0) {
		fprintf(stderr, "stress: cannot initialise storage %s with segment size %zu\n", storage_name, seg_size);
		return 2;
	}
	zmm_heap_options_default(&opts);
	opts.cache_limit = cache;
	opts.protection = protection;
	opts.limit = g_limit;
	memset(&hooks, 0, sizeof hooks);
	hooks.error = on_error;
	hooks.limit = on_limit;
	hooks.oom = on_oom;
	h = zmm_heap_create(&storage, &opts, &hooks);
	tab = calloc(nslots, sizeof *tab);
	g_pat = malloc(MAX_REQUEST + PATTERN_SHIFTS);
	if (h == NULL || tab == NULL || g_pat == NULL) {
		fprintf(stderr, "stress: out of memory\n");
		return 2;
	}
	g_rng = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
	if (g_rng == 0) {
		g_rng = 1;
	}
	for (i = 0; i < MAX_REQUEST + PATTERN_SHIFTS; i++) {
		g_pat[i] = (unsigned char)(rnd() >> 56);
	}

	for (g_op = 0; g_op < ops; g_op++) {
		slot_t *sl = &tab[rnd_below(nslots)];
		if (sl->p == NULL) {
			size_t n = rand_size();
			int via_realloc = rnd_below(8) == 0;
			unsigned char *p = via_realloc ? zmm_heap_realloc(h, NULL, n) : zmm_heap_alloc(h, n);
			nalloc++;
			if (p == NULL) {
				MISMATCH("alloc(%zu) returned NULL", n);
				continue;
			}
			sl->p = p;
			sl->n = n;
			sl->id = next_id++;
			check_block(h, &storage, sl, "alloc");
			if (zmm_heap_block_size(h, p) < n) {
				MISMATCH("block_size(%p) = %zu < %zu", (void *)p, zmm_heap_block_size(h, p), n);
			}
			memcpy(p, pattern(sl->id), n);
			live_bytes += sl->bsz;
			live_blocks++;
		} else if (rnd_below(10) < 6) {
			int rc;
			verify_prefix(sl, sl->n, "before free");
			if (header_size(sl->p) != sl->bsz) {
				MISMATCH("before free: header of block %u changed from %zu to %zu", sl->id, sl->bsz,
				         header_size(sl->p));
			}
			rc = zmm_heap_free(h, sl->p);
			nfree++;
			if (rc != ZMM_FREE_OK) {
				MISMATCH("free(%p) returned %d", (void *)sl->p, rc);
			}
			live_bytes -= sl->bsz;
			live_blocks--;
			sl->p = NULL;
		} else {
			size_t n, keep;
			unsigned char *p;
			switch (rnd_below(4)) {
			case 0:
				n = rand_size();
				break;
			case 1: /* grow a little */
				n = sl->n + 1 + rnd_below(sl->n / 4 + 64);
				break;
			case 2: /* shrink */
				n = rnd_below(sl->n + 1);
				break;
			default:
				n = sl->n + rnd_below(129) - (sl->n < 64 ? sl->n : 64);
				break;
			}
			if (n > MAX_REQUEST) {
				n = MAX_REQUEST;
			}
			verify_prefix(sl, sl->n, "before realloc");
			p = zmm_heap_realloc(h, sl->p, n);
			nrealloc++;
			if (p == NULL) {
				MISMATCH("realloc(%p, %zu -> %zu) returned NULL", (void *)sl->p, sl->n, n);
				continue;
			}
			nsame += p == sl->p;
			keep = n < sl->n ? n : sl->n;
			live_bytes -= sl->bsz;
			sl->p = p;
			verify_prefix(sl, keep, "after realloc");
			sl->n = n;
			check_block(h, &storage, sl, "realloc");
			if (zmm_heap_block_size(h, p) < n) {
				MISMATCH("block_size(%p) = %zu < %zu after realloc", (void *)p, zmm_heap_block_size(h, p), n);
			}
			if (n > keep) {
				memcpy(p + keep, pattern(sl->id) + keep, n - keep);
			}
			live_bytes += sl->bsz;
		}

		/* O(1) accounting after every operation */
		zmm_heap_summary(h, &s);
		if (s.size - s.cached != live_bytes) {
			MISMATCH("size %zu - cached %zu = %zu, live blocks hold %zu", s.size, s.cached, s.size - s.cached,
			         live_bytes);
			live_bytes = s.size - s.cached; /* resynchronise so one error is reported once */
		}
		if (zmm_heap_usage(h) != s.size - s.cached) {
			MISMATCH("usage %zu != size - cached %zu", zmm_heap_usage(h), s.size - s.cached);
		}
		if (s.cached > (cache ? cache + ZMM_HEAP_MAX_CLASS_BLOCK : 0)) {
			MISMATCH("cached %zu exceeds the cap %zu by more than a block", s.cached, cache);
		}
		if (s.peak < s.size - s.cached || s.real_peak < s.real_size) {
			MISMATCH("peak %zu / real_peak %zu below size %zu / real_size %zu", s.peak, s.real_peak, s.size,
			         s.real_size);
		}
		if (s.rest_blocks > ZMM_HEAP_MAX_REST_BLOCKS) {
			MISMATCH("%zu blocks in the rest list", s.rest_blocks);
		}

		if ((g_op + 1) % CHECK_EVERY == 0) {
			full_check(h, tab, nslots, live_bytes, live_blocks);
			if (g_verbose) {
				fprintf(stderr, "stress: %llu ops, %zu live blocks, size %zu, real %zu, %zu segments\n",
				        g_op + 1, live_blocks, s.size, s.real_size, s.segments);
			}
		}
		if ((g_op + 1) % 200000 == 100000) {
			size_t before = s.cached, r = zmm_heap_flush_cache(h);
			if (r != before) {
				MISMATCH("flush_cache returned %zu, %zu were cached", r, before);
			}
			zmm_heap_summary(h, &s);
			if (s.cached != 0 || s.size != live_bytes) {
				MISMATCH("after flush: cached %zu, size %zu, live %zu", s.cached, s.size, live_bytes);
			}
		}
		if ((g_op + 1) % 200000 == 0) {
			zmm_heap_gc(h);
			zmm_heap_reset_peak(h);
			zmm_heap_summary(h, &s);
			if (s.peak != s.size - s.cached || s.real_peak != s.real_size) {
				MISMATCH("after reset_peak: peak %zu (size-cached %zu), real_peak %zu (real %zu)", s.peak,
				         s.size - s.cached, s.real_peak, s.real_size);
			}
		}
	}

	/* the end: everything back */
	full_check(h, tab, nslots, live_bytes, live_blocks);
	for (i = 0; i < nslots; i++) {
		if (tab[i].p) {
			verify_prefix(&tab[i], tab[i].n, "final free");
			if (zmm_heap_free(h, tab[i].p) != ZMM_FREE_OK) {
				MISMATCH("final free(%p) failed", (void *)tab[i].p);
			}
			live_bytes -= tab[i].bsz;
			tab[i].p = NULL;
		}
	}
	zmm_heap_flush_cache(h);
	zmm_heap_summary(h, &s);
	zmm_heap_counters(h, &c);
	if (s.segments != 0 || s.real_size != 0 || s.size != 0 || s.cached != 0 || s.free_bytes != 0 ||
	    s.rest_blocks != 0) {
		MISMATCH("after freeing everything: segments %zu, real_size %zu, size %zu, cached %zu, free %zu, rest %zu",
		         s.segments, s.real_size, s.size, s.cached, s.free_bytes, s.rest_blocks);
	}
	if (c.allocs != c.frees) {
		MISMATCH("counters after freeing everything: %llu allocs, %llu frees", (unsigned long long)c.allocs,
		         (unsigned long long)c.frees);
	}
	if (c.segments_released != c.segments_allocated) {
		MISMATCH("segments allocated %llu, released %llu", (unsigned long long)c.segments_allocated,
		         (unsigned long long)c.segments_released);
	}
	if (c.invalid_frees != 0 || c.corruptions != 0) {
		MISMATCH("counters: %llu invalid frees, %llu corruptions", (unsigned long long)c.invalid_frees,
		         (unsigned long long)c.corruptions);
	}
	{
		unsigned msgs = 0;
		zmm_heap_check_result_t r;
		if (zmm_heap_check(h, check_cb, &msgs, &r) != 0) {
			MISMATCH("zmm_heap_check on the empty heap failed");
		}
	}
	if (storage.segments != 0) {
		MISMATCH("storage still has %zu live segments", storage.segments);
	}
	if (g_verbose) {
		fprintf(stderr, "stress: %llu allocs, %llu frees, %llu reallocs (%llu in place); heap: %llu huge, "
		        "%llu cache hits, %llu small list hits, %llu large search hits, %llu rest hits, %llu segments, "
		        "%llu limit hook calls\n",
		        nalloc, nfree, nrealloc, nsame, (unsigned long long)c.huge_allocs,
		        (unsigned long long)c.cache_hits, (unsigned long long)c.small_list_hits,
		        (unsigned long long)c.large_search_hits, (unsigned long long)c.rest_hits,
		        (unsigned long long)c.segments_allocated, g_limit_calls);
	}
	zmm_heap_destroy(h);
	zmm_storage_destroy(&storage);
	free(tab);
	free(g_pat);
	printf("stress(%s,seed=%llu,prot=%d): %llu ops, %llu mismatches\n", storage_name, seed, protection, ops,
	       g_mismatches);
	return g_mismatches ? 1 : 0;
}
