/*
 * tests/fuzz/fuzz_heap.c - libFuzzer harness for the zmm heap core (zmm_heap.c + zmm_storage.c)
 *
 * Build (tests/fuzz/run does this):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. \
 *         tests/fuzz/fuzz_heap.c zmm_heap.c zmm_storage.c -o fuzz_heap
 * Standalone replay without libFuzzer (gcc is enough): add tests/fuzz/replay_main.c and leave out
 * -fsanitize=fuzzer.
 *
 * Input format (every read past the end yields 0 bytes, so any input is valid):
 *
 *   header, 5 bytes
 *     h0  bits 0-1: storage ("malloc", "mmap_anon", "mmap_zero"; 3 -> "mmap_anon")
 *         bit  2  : two heaps on the storage (cross-heap free and realloc)
 *         bit  3  : protection on heap 0        bit 4: protection on heap 1
 *         bits 5-6: limit hook mode: 0 FAIL, 1 PROCEED, 2 longjmp out of the hook, 3 alternate FAIL/PROCEED
 *         bit  7  : the oom hook longjmps too (only with mode 2)
 *     h1  segment size 64 KiB << (h1 % 5); storage pool limit (h1 >> 3) % 4
 *     h2  cache limit: h2 % 4 == 0: none; 1: small ((h2 >> 2) * 64 bytes); 2: PHP 5's 256 KiB; 3: the default (64 MiB)
 *     h3  limit: h3 % 4 == 0: none; else ((h3 >> 2) + 1) * segment size / 2, on both heaps
 *     h4  storage.fail_countdown: h4 < 192: off; else h4 - 191 (the Nth provider call fails)
 *
 *   then operations until the input ends; the first byte picks the operation:
 *     0..79    alloc        [s][class][x0][x1][x2]    slot s & 63 in heap (s >> 6) & 1 (an occupied slot is freed first)
 *     80..129  free         [s]                        free the slot through heap (s >> 6) & 1 (maybe not its owner)
 *     130..169 realloc      [s][class][x0][x1][x2]    realloc the slot (NULL when empty) through heap (s >> 6) & 1
 *     170..184 check        full consistency check (zmm_heap_check, shadow, accounting)
 *     185..192 gc           [h]
 *     193..200 flush_cache  [h]
 *     201..205 reset        [h][keep]                  zmm_heap_reset(heap, keep % 4); forget that heap's slots
 *     206..212 cache limit  [h][v]                     v % 4: 0 off, 1 small, 2 default, 3 8 KiB
 *     213..222 stats        [h]                        limited = h & 2
 *     223..225 reset_peak   [h]
 *     226..227 set_limit    [h][v]                     v % 4: 0 none; 1 real_size + (v >> 2) * segment/4;
 *                                                      2 real_size / 2 (below the usage); 3 ((v >> 2) + 1) segments
 *     228..239 block_size   [s]                        query, then use the whole usable size (fills the slack)
 *     240..247 misuse       [s][v]...                  v % 4: 0,1 double free; 2 realloc of a freed block [+size];
 *                                                      3 free of a foreign (malloc'd) pointer and of NULL, and
 *                                                        realloc of the foreign pointer [+size]
 *     248..255 fault        [n]                        storage.fail_countdown = n % 9 (0 = off)
 *   size classes ([class] % 32, x = x0 | x1 << 8 | x2 << 16):
 *     0..16 small x % 544; 17 an edge (0, 1, 496, 497, 520, 521, ...; when (x & 0x1f00) == 0x1f00 a size
 *     that cannot be served: SIZE_MAX, SIZE_MAX - 16, SIZE_MAX - 4096, 2^62, except with "malloc"); 18..21 544 + x % 8192;
 *     22..25 x % segment size; 26..27 segment size - 192 + x % 256; 28..29 segment size + x % (2 * segment size);
 *     30..31 huge: x % 4 MiB
 *
 * Every live block is filled with bytes taken from a fixed pseudo-random reference buffer at a
 * per-allocation offset, and verified before free, before realloc and at every check; after a
 * realloc the preserved prefix min(old, new) is verified. Any mismatch, unexpected NULL, unexpected
 * error-hook call or inconsistency calls abort() after printing what went wrong.
 *
 * Accounting invariant (from zmm_heap.h): summary.size counts the true block sizes of blocks handed
 * out, cached blocks included, so size - cached == sum of the block sizes of the live blocks the heap
 * owns. Without protection the block size of a live block is exactly zmm_heap_block_size() + 16 (the
 * usable size is the block minus its header). With protection zmm_heap_block_size() returns the
 * requested size, so only bounds hold: each block is at least zmm_heap_true_size(requested) and at
 * most that plus 24 (a tail shorter than the 32-byte minimum block is never split off).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../zmm_heap.h"

/* Under AddressSanitizer zmm_heap.c poisons everything but the requested bytes of a block, and
 * zmm_heap_block_size() must then report only those: the block_size op fails when the size it
 * reports reaches into poisoned bytes. */
#if defined(__SANITIZE_ADDRESS__)
# define FUZZ_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define FUZZ_ASAN 1
# endif
#endif
/* With ASan and zmm's annotations on, zmm_heap_block_size() reports the unpoisoned (requested) bytes. */
#if defined(FUZZ_ASAN) && !defined(ZMM_NO_ANNOTATIONS)
# define ASAN_ANNOTATED 1
#else
# define ASAN_ANNOTATED 0
#endif
#ifdef FUZZ_ASAN
# include <sanitizer/asan_interface.h>
# define REGION_POISONED(p, n) ((n) != 0 && __asan_region_is_poisoned((void *)(p), (n)) != NULL)
#else
# define REGION_POISONED(p, n) 0
#endif

#define NSLOTS      64
#define MAX_REQUEST ((size_t)4 << 20)                      /* largest size class: 4 MiB */
#define REF_SIZE    (2 * MAX_REQUEST + 256 + 65536)        /* reference bytes (requests may grow into block slack) */
#define SLACK_MAX   (ZMM_HEAP_MIN_BLOCK - ZMM_HEAP_ALIGNMENT) /* at most 24 bytes of unsplit tail per block */
#define OVERHEAD    (ZMM_HEAP_SEGMENT_HDR_SIZE + ZMM_HEAP_HDR_SIZE) /* per segment: header and guard */

typedef struct slot {
	unsigned char *p;      /* payload, NULL when the slot is empty */
	size_t size;           /* bytes we own (the request, or the usable size after a block_size op) */
	size_t off;            /* offset of the block's contents in the reference buffer */
	int owner;             /* index of the heap that owns the block */
} slot_t;

typedef struct fuzz {
	const uint8_t *data;
	size_t len, pos;
	unsigned long op_no;

	zmm_storage_t storage;
	zmm_heap_t *heaps[2];
	int nheaps;
	int protection[2];
	size_t seg_size;
	size_t limit;                /* the limit both heaps start with */
	size_t cap[2];               /* FAIL/longjmp modes: real_size never exceeds this (max(limit, real_size when set)) */
	size_t cur_limit[2];         /* the limit each heap has now */
	int limit_mode;
	int oom_jumps;
	size_t pool_limit;

	slot_t slots[NSLOTS];
	size_t next_off;

	/* hook bookkeeping */
	unsigned long limit_calls, limit_fails, oom_calls;
	int in_op;                   /* jmp is armed */
	jmp_buf jmp;
	int expect_error;            /* 1: one error-hook call is expected (misuse op) */
	int errors_seen;
	zmm_heap_error_kind_t err_kind;
	const void *err_ptr;
	const char *err_op;
	int err_fatal;
	zmm_heap_t *err_heap;

	int peak_exact[2];           /* no reset_peak since creation/reset: peak >= size must hold */
	zmm_heap_counters_t last_counters[2];
	unsigned char *foreign;      /* a malloc'd block that zmm does not own */
} fuzz_t;

static unsigned char *ref;       /* pseudo-random reference contents, made once */
static int trace = -1;           /* ZMM_FUZZ_TRACE=1: print every decoded operation on stderr */
static fuzz_t *cur;              /* for die() */

static void dump_state(void);

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_heap: FAILURE at op #%lu (input byte %zu): ", cur ? cur->op_no : 0, cur ? cur->pos : 0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_state();
	abort();
}

#define REQUIRE(cond, ...) do { if (!(cond)) die(__VA_ARGS__); } while (0)
#define TRACE(...) do { if (trace > 0) { fprintf(stderr, "  op #%lu: ", cur->op_no); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void ref_init(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	if (ref) {
		return;
	}
	ref = (unsigned char *)malloc(REF_SIZE);
	if (ref == NULL) {
		abort();
	}
	for (i = 0; i < REF_SIZE; i += 8) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		memcpy(ref + i, &x, 8);
	}
}

/*** input ***/

static unsigned byte(fuzz_t *f)
{
	return f->pos < f->len ? f->data[f->pos++] : 0;
}

static size_t decode_size(fuzz_t *f)
{
	static const size_t edges[] = { 0, 1, 7, 8, 9, 16, 17, 24, 25, 472, 496, 497, 504, 505, 512, 513, 519, 520, 521, 528,
	                                3048, 3049, 3072, 3073, 4096, 4097, 32744, 32745, 32768, 32769 };
	unsigned cls = byte(f) % 32;
	size_t x = byte(f);
	x |= (size_t)byte(f) << 8;
	x |= (size_t)byte(f) << 16;

	if (cls <= 16) return x % 544;
	if (cls == 17) {
		/* edges; every 32nd pick a size that cannot be served (NULL after the oom hook). Not with
		 * the malloc provider: ASan and libFuzzer treat a giant malloc as a crash of their own. */
		static const size_t giant[] = { (size_t)-1, (size_t)-1 - 16, (size_t)-1 - 4096, (size_t)1 << 62 };
		if ((x & 0x1f00) == 0x1f00 && strcmp(f->storage.handlers->name, "malloc") != 0) {
			return giant[x % 4];
		}
		return edges[x % (sizeof(edges) / sizeof(edges[0]))];
	}
	if (cls <= 21) return 544 + x % 8192;
	if (cls <= 25) return x % f->seg_size;
	if (cls <= 27) return f->seg_size - 192 + x % 256;
	if (cls <= 29) return f->seg_size + x % (2 * f->seg_size);
	return x % MAX_REQUEST;
}

/*** reporting ***/

static void dump_state(void)
{
	fuzz_t *f = cur;
	int h;

	if (f == NULL) {
		return;
	}
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_summary_t s;
		if (f->heaps[h] == NULL) continue;
		zmm_heap_summary(f->heaps[h], &s);
		fprintf(stderr, "  heap %d: size %zu peak %zu real %zu real_peak %zu cached %zu (%zu blocks) cache_limit %zu "
		        "limit %zu segments %zu free %zu rest %zu/%zu prot %d\n", h, s.size, s.peak, s.real_size, s.real_peak,
		        s.cached, s.cached_blocks, s.cache_limit, s.limit, s.segments, s.free_bytes, s.rest_blocks,
		        s.rest_bytes, s.protection);
	}
	fprintf(stderr, "  storage: segments %zu bytes %zu pool %zu/%zu fail_countdown %lu\n", f->storage.segments,
	        f->storage.bytes, f->storage.pool_count, f->storage.pool_limit, f->storage.fail_countdown);
}

static void check_cb(void *ctx, const char *message)
{
	fprintf(stderr, "fuzz_heap: zmm_heap_check(heap %d): %s\n", (int)(intptr_t)ctx, message);
}

/*** hooks ***/

static int heap_index(fuzz_t *f, const zmm_heap_t *heap)
{
	int h;
	for (h = 0; h < f->nheaps; h++) {
		if (f->heaps[h] == heap) return h;
	}
	return -1;
}

static void check_structure(fuzz_t *f, const char *when)
{
	int h;
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_check_result_t r;
		size_t n = zmm_heap_check(f->heaps[h], check_cb, (void *)(intptr_t)h, &r);
		REQUIRE(n == 0 && r.errors == 0, "zmm_heap_check(heap %d) found %zu problem(s) %s", h, n, when);
	}
}

static zmm_heap_limit_action_t limit_hook(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	fuzz_t *f = (fuzz_t *)ctx;
	zmm_heap_summary_t s;
	int h = heap_index(f, heap);
	zmm_heap_limit_action_t act;

	REQUIRE(h >= 0, "limit hook called with an unknown heap");
	zmm_heap_summary(heap, &s);
	REQUIRE(s.cached == 0 && s.cached_blocks == 0,
	        "limit hook (heap %d, request %zu, needed %zu) called with %zu bytes still cached", h, request, needed, s.cached);
	REQUIRE(s.real_size + needed > s.limit || s.real_size + needed < s.real_size,
	        "limit hook (heap %d) called though real_size %zu + needed %zu <= limit %zu", h, s.real_size, needed, s.limit);
	check_structure(f, "inside the limit hook (the heap must be consistent there)");
	f->limit_calls++;
	switch (f->limit_mode) {
	case 1:  act = ZMM_LIMIT_PROCEED; break;
	case 2:
		if (f->in_op) {
			f->limit_fails++;
			longjmp(f->jmp, 1);
		}
		act = ZMM_LIMIT_FAIL;
		break;
	case 3:  act = (f->limit_calls & 1) ? ZMM_LIMIT_FAIL : ZMM_LIMIT_PROCEED; break;
	default: act = ZMM_LIMIT_FAIL; break;
	}
	if (act == ZMM_LIMIT_FAIL) {
		f->limit_fails++;
	}
	return act;
}

static void oom_hook(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	fuzz_t *f = (fuzz_t *)ctx;
	int h = heap_index(f, heap);

	REQUIRE(h >= 0, "oom hook called with an unknown heap");
	(void)request; (void)needed;
	check_structure(f, "inside the oom hook");
	f->oom_calls++;
	if (f->oom_jumps && f->in_op) {
		longjmp(f->jmp, 1);
	}
}

static void error_hook(void *ctx, zmm_heap_t *heap, const zmm_heap_error_t *err)
{
	fuzz_t *f = (fuzz_t *)ctx;

	if (!f->expect_error || err->fatal) {
		die("unexpected %serror hook call from heap %d: kind %d, operation %s: %s", err->fatal ? "fatal " : "",
		    heap_index(f, heap), (int)err->kind, err->operation, err->message);
	}
	f->errors_seen++;
	f->err_kind = err->kind;
	f->err_ptr = err->ptr;
	f->err_op = err->operation;
	f->err_fatal = err->fatal;
	f->err_heap = heap;
	REQUIRE(err->message != NULL && err->message[0] != '\0', "error hook called without a message");
}

/*** operations that may longjmp out of a hook ***/

/* Returns the block or NULL; *jumped is set when a hook longjmp'd out of the call. */
static void *guarded_alloc(fuzz_t *f, zmm_heap_t *heap, size_t size, int *jumped)
{
	void *volatile p = NULL;

	*jumped = 0;
	if (setjmp(f->jmp) == 0) {
		f->in_op = 1;
		p = zmm_heap_alloc(heap, size);
	} else {
		*jumped = 1;
		p = NULL;
	}
	f->in_op = 0;
	return p;
}

static void *guarded_realloc(fuzz_t *f, zmm_heap_t *heap, void *ptr, size_t size, int *jumped)
{
	void *volatile p = NULL;

	*jumped = 0;
	if (setjmp(f->jmp) == 0) {
		f->in_op = 1;
		p = zmm_heap_realloc(heap, ptr, size);
	} else {
		*jumped = 1;
		p = NULL;
	}
	f->in_op = 0;
	return p;
}

/*** shadow ***/

/* Which bytes of a block of n bytes carry the pattern: all of a block up to WIN_FULL bytes; of a
 * larger one the first and last WIN_EDGE bytes and WIN_SAMPLE bytes either side of every multiple of
 * WIN_STRIDE. Touching every page of multi-megabyte blocks made a run 10x slower (page faults)
 * without finding more: a wrong copy, a lost tail or an overlap shows in the sampled windows. The
 * byte at offset i is always ref[off + i], so refilling a window is idempotent. */
#define WIN_FULL   16384
#define WIN_EDGE   4096
#define WIN_STRIDE 65536
#define WIN_SAMPLE 128

/* Calls fn on each window of a block of n bytes clipped to [0, limit). */
static void for_windows(size_t n, size_t limit, void (*fn)(fuzz_t *, int, size_t, size_t, const char *), fuzz_t *f,
                        int idx, const char *when)
{
	size_t k;

	if (limit > n) limit = n;
	if (n <= WIN_FULL) {
		if (limit) fn(f, idx, 0, limit, when);
		return;
	}
	fn(f, idx, 0, WIN_EDGE < limit ? WIN_EDGE : limit, when);
	for (k = WIN_STRIDE; k + WIN_SAMPLE < n - WIN_EDGE; k += WIN_STRIDE) {
		size_t lo = k - WIN_SAMPLE, hi = k + WIN_SAMPLE;
		if (lo >= limit) break;
		fn(f, idx, lo, hi < limit ? hi : limit, when);
	}
	if (n - WIN_EDGE < limit) {
		fn(f, idx, n - WIN_EDGE, limit, when);
	}
}

static void fill_range(fuzz_t *f, int idx, size_t from, size_t to, const char *when)
{
	slot_t *s = &f->slots[idx];
	(void)when;
	if (to > from) {
		memcpy(s->p + from, ref + s->off + from, to - from);
	}
}

static void verify_range(fuzz_t *f, int idx, size_t from, size_t to, const char *when)
{
	slot_t *s = &f->slots[idx];
	size_t i;

	if (to <= from || memcmp(s->p + from, ref + s->off + from, to - from) == 0) {
		return;
	}
	for (i = from; i < to && s->p[i] == ref[s->off + i]; i++) {
	}
	die("slot %d (%p, %zu bytes, heap %d): contents damaged %s: first bad byte at offset %zu (0x%02x, expected 0x%02x)",
	    idx, (void *)s->p, s->size, s->owner, when, i, s->p[i], ref[s->off + i]);
}

/* Writes the pattern for the slot's current size. */
static void fill_all(fuzz_t *f, int idx)
{
	for_windows(f->slots[idx].size, f->slots[idx].size, fill_range, f, idx, "");
}

/* Verifies the pattern that a block of wsize bytes got, up to limit bytes. */
static void verify_upto(fuzz_t *f, int idx, size_t wsize, size_t limit, const char *when)
{
	for_windows(wsize, limit, verify_range, f, idx, when);
}

static void verify(fuzz_t *f, int idx, size_t n, const char *when)
{
	verify_upto(f, idx, f->slots[idx].size, n, when);
}

static size_t new_off(fuzz_t *f)
{
	f->next_off = (f->next_off * 2654435761u + 12345) & 0xffff;
	return f->next_off;
}

/* A NULL result is acceptable only if the limit refused or storage failed during the call. */
static void require_null_ok(fuzz_t *f, unsigned long fails0, unsigned long ooms0, int jumped, const char *what, size_t size)
{
	REQUIRE(jumped || f->limit_fails != fails0 || f->oom_calls != ooms0,
	        "%s(%zu) returned NULL though neither the limit hook refused nor storage failed", what, size);
}

/*** invariants ***/

static void check_counters(fuzz_t *f, int h)
{
	zmm_heap_counters_t c, *o = &f->last_counters[h];

	zmm_heap_counters(f->heaps[h], &c);
#define MONO(field) REQUIRE(c.field >= o->field, "heap %d: counter " #field " went down (%llu -> %llu)", h, \
                            (unsigned long long)o->field, (unsigned long long)c.field)
	MONO(allocs); MONO(frees); MONO(reallocs); MONO(huge_allocs); MONO(segments_allocated);
	MONO(segments_released); MONO(cache_hits); MONO(cache_misses); MONO(small_list_hits);
	MONO(large_search_hits); MONO(rest_hits); MONO(invalid_frees); MONO(corruptions); MONO(limit_refusals);
#undef MONO
	REQUIRE(c.corruptions == 0, "heap %d: %llu corruption(s) counted", h, (unsigned long long)c.corruptions);
	*o = c;
}

static void check_summary(fuzz_t *f, int h, const zmm_heap_summary_t *s)
{
	REQUIRE(s->real_size % f->seg_size == 0, "heap %d: real_size %zu is not a multiple of the segment size", h, s->real_size);
	REQUIRE(s->segment_size == f->seg_size, "heap %d: segment_size %zu", h, s->segment_size);
	REQUIRE(s->segments * f->seg_size <= s->real_size, "heap %d: %zu segments but real_size %zu", h, s->segments, s->real_size);
	REQUIRE((s->segments == 0) == (s->real_size == 0), "heap %d: segments %zu, real_size %zu", h, s->segments, s->real_size);
	REQUIRE(s->real_peak >= s->real_size, "heap %d: real_peak %zu < real_size %zu", h, s->real_peak, s->real_size);
	REQUIRE(s->peak_segments >= s->segments, "heap %d: peak_segments %zu < segments %zu", h, s->peak_segments, s->segments);
	REQUIRE(s->size + s->segments * OVERHEAD <= s->real_size, "heap %d: size %zu + overhead does not fit real_size %zu",
	        h, s->size, s->real_size);
	REQUIRE(s->free_bytes == s->real_size - s->size - s->segments * OVERHEAD, "heap %d: free_bytes %zu", h, s->free_bytes);
	REQUIRE(s->cached <= s->size, "heap %d: cached %zu > size %zu", h, s->cached, s->size);
	REQUIRE((s->cached == 0) == (s->cached_blocks == 0), "heap %d: cached %zu in %zu blocks", h, s->cached, s->cached_blocks);
	REQUIRE(s->cached_blocks * ZMM_HEAP_MIN_BLOCK <= s->cached
	        && s->cached < s->cached_blocks * ZMM_HEAP_MAX_CLASS_BLOCK + 1,
	        "heap %d: %zu cached bytes in %zu blocks", h, s->cached, s->cached_blocks);
	if (s->cache_limit == 0) {
		REQUIRE(s->cached == 0, "heap %d: cache is off but %zu bytes are cached", h, s->cached);
	} else {
		REQUIRE(s->cached < s->cache_limit + ZMM_HEAP_MAX_CLASS_BLOCK,
		        "heap %d: cached %zu exceeds the cache limit %zu by a block or more", h, s->cached, s->cache_limit);
	}
	REQUIRE(s->rest_blocks <= ZMM_HEAP_MAX_REST_BLOCKS, "heap %d: %zu rest blocks", h, s->rest_blocks);
	REQUIRE(s->rest_bytes <= s->free_bytes && (s->rest_blocks == 0) == (s->rest_bytes == 0),
	        "heap %d: rest %zu blocks / %zu bytes, free %zu", h, s->rest_blocks, s->rest_bytes, s->free_bytes);
	REQUIRE(s->largest_free_block <= s->free_bytes, "heap %d: largest free block %zu > free bytes %zu", h,
	        s->largest_free_block, s->free_bytes);
	REQUIRE((s->free_bytes == 0) == (s->largest_free_block == 0), "heap %d: free %zu, largest %zu", h, s->free_bytes,
	        s->largest_free_block);
	REQUIRE(s->protection == f->protection[h], "heap %d: protection %d", h, s->protection);
	if (f->peak_exact[h]) {
		REQUIRE(s->peak >= s->size, "heap %d: peak %zu < size %zu", h, s->peak, s->size);
	}
	REQUIRE(s->limit == f->cur_limit[h] && zmm_heap_get_options(f->heaps[h])->limit == f->cur_limit[h],
	        "heap %d: limit %zu, expected %zu", h, s->limit, f->cur_limit[h]);
	if (f->cap[h] != ZMM_HEAP_NO_LIMIT && (f->limit_mode == 0 || f->limit_mode == 2)) {
		REQUIRE(s->real_size <= f->cap[h], "heap %d: real_size %zu above the limit %zu though the hook never let it through",
		        h, s->real_size, f->cap[h]);
	}
}

/* zmm_heap_check, the shadow contents and ownership, and the accounting invariant. */
static void full_check(fuzz_t *f, const char *when)
{
	size_t exact[2] = { 0, 0 }, lo[2] = { 0, 0 }, hi[2] = { 0, 0 }, real = 0, segs = 0;
	int i, h;

	check_structure(f, when);
	for (i = 0; i < NSLOTS; i++) {
		slot_t *s = &f->slots[i];
		zmm_heap_t *owner;
		size_t bsz, ts, tx, step;
		if (s->p == NULL) continue;
		verify(f, i, s->size, when);
		owner = zmm_heap_owner(&f->storage, s->p);
		REQUIRE(owner == f->heaps[s->owner], "slot %d: zmm_heap_owner says heap %d, expected heap %d", i,
		        heap_index(f, owner), s->owner);
		REQUIRE(((uintptr_t)s->p & (ZMM_HEAP_ALIGNMENT - 1)) == 0, "slot %d: %p is not aligned", i, (void *)s->p);
		bsz = zmm_heap_block_size(f->heaps[f->nheaps - 1 - s->owner], s->p);  /* any heap on the storage answers */
		REQUIRE(bsz >= s->size, "slot %d: block_size %zu < %zu bytes in use", i, bsz, s->size);
		ts = zmm_heap_true_size(f->heaps[s->owner], s->size);
		/* the block may be smaller than the size's class: a block of no class's size in the medium
		 * range (an unsplittable tail) that realloc kept, since the exact size fits */
		tx = (s->size + (f->protection[s->owner] ? ZMM_HEAP_PROTECTION_EXTRA : 0) + ZMM_HEAP_HDR_SIZE + 7) & ~(size_t)7;
		tx = tx < ZMM_HEAP_MIN_BLOCK ? ZMM_HEAP_MIN_BLOCK : tx;
		/* with size classes a large block may also keep up to a realloc step */
		step = zmm_heap_get_options(f->heaps[s->owner])->size_classes && ts > ZMM_HEAP_MAX_CLASS_BLOCK
		       ? ZMM_HEAP_REALLOC_STEP : 0;
		if (f->protection[s->owner] || ASAN_ANNOTATED) {
			REQUIRE(bsz == s->size, "slot %d: %s block_size %zu != requested %zu", i,
			        f->protection[s->owner] ? "protected" : "annotated", bsz, s->size);
		} else {
			REQUIRE(bsz + ZMM_HEAP_HDR_SIZE >= tx && bsz + ZMM_HEAP_HDR_SIZE <= ts + SLACK_MAX + step,
			        "slot %d: block of %zu bytes for a request of %zu (true size %zu)", i, bsz + ZMM_HEAP_HDR_SIZE,
			        s->size, ts);
			exact[s->owner] += bsz + ZMM_HEAP_HDR_SIZE;
		}
		lo[s->owner] += tx;
		hi[s->owner] += ts + SLACK_MAX + step;
	}
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_summary_t s;
		size_t used;
		zmm_heap_summary(f->heaps[h], &s);
		check_summary(f, h, &s);
		check_counters(f, h);
		used = s.size - s.cached;
		REQUIRE(zmm_heap_usage(f->heaps[h]) == used, "heap %d: zmm_heap_usage %zu != size - cached %zu", h,
		        zmm_heap_usage(f->heaps[h]), used);
		if (f->protection[h] || ASAN_ANNOTATED) {
			REQUIRE(used >= lo[h] && used <= hi[h], "heap %d: size - cached = %zu outside [%zu, %zu] from the live blocks",
			        h, used, lo[h], hi[h]);
		} else {
			REQUIRE(used == exact[h], "heap %d: size - cached = %zu but the live blocks hold %zu bytes (%s)", h, used,
			        exact[h], when);
		}
		real += s.real_size;
		segs += s.segments;
	}
	REQUIRE(real == f->storage.bytes && segs == f->storage.segments,
	        "storage holds %zu segments / %zu bytes but the heaps hold %zu / %zu", f->storage.segments,
	        f->storage.bytes, segs, real);
	REQUIRE(f->storage.pool_units <= f->storage.pool_limit, "storage pool %zu units > limit %zu",
	        f->storage.pool_units, f->storage.pool_limit);
	REQUIRE(zmm_storage_pool_bytes(&f->storage) == f->storage.pool_units * f->seg_size, "pool bytes");
	{
		/* the pool list agrees with its counts; every pooled segment is small and unregistered */
		size_t n = 0, units = 0;
		const zmm_segment_t *p;
		for (p = f->storage.pool; p != NULL && n <= f->storage.pool_count; p = p->next) {
			REQUIRE(p->size % f->seg_size == 0 && p->size / f->seg_size >= 1
			        && p->size / f->seg_size <= ZMM_STORAGE_POOL_MAX_UNITS, "pooled segment of %zu bytes", p->size);
			REQUIRE(zmm_storage_find(&f->storage, p) == NULL, "a pooled segment is still registered");
			units += p->size / f->seg_size;
			n++;
		}
		REQUIRE(n == f->storage.pool_count && units == f->storage.pool_units,
		        "pool list holds %zu segments / %zu units, counts say %zu / %zu", n, units,
		        f->storage.pool_count, f->storage.pool_units);
	}
}

static void check_stats(fuzz_t *f, int h, int limited)
{
	zmm_heap_stats_t st;
	zmm_heap_summary_t s;
	zmm_heap_counters_t c;
	size_t i;

	REQUIRE(zmm_heap_stats(f->heaps[h], &st, limited) == 0, "zmm_heap_stats failed");
	zmm_heap_summary(f->heaps[h], &s);
	zmm_heap_counters(f->heaps[h], &c);
	REQUIRE(memcmp(&st.summary, &s, sizeof(s)) == 0 || (st.summary.size == s.size && st.summary.real_size == s.real_size
	        && st.summary.cached == s.cached && st.summary.free_bytes == s.free_bytes
	        && st.summary.largest_free_block == s.largest_free_block && st.summary.segments == s.segments),
	        "heap %d: stats summary differs from zmm_heap_summary", h);
	REQUIRE(memcmp(&st.counters, &c, sizeof(c)) == 0, "heap %d: stats counters differ from zmm_heap_counters", h);
	if (limited) {
		REQUIRE(st.segments == NULL && st.segment_count == 0, "heap %d: limited stats has segment rows", h);
		zmm_heap_stats_free(&st);
		return;
	}
	{
		size_t rsize = 0, rused = 0, rfree = 0, rover = 0, rfreeb = 0, rlargest = 0, blocks = 0;
		size_t bcached = 0, bcached_bytes = 0, bfree_bytes = 0, lfree = 0, lfree_bytes = 0;
		uint64_t hits = 0, misses = 0;
		REQUIRE(st.segment_count == s.segments, "heap %d: %zu segment rows for %zu segments", h, st.segment_count, s.segments);
		for (i = 0; i < st.segment_count; i++) {
			const zmm_segment_stats_t *r = &st.segments[i];
			REQUIRE(r->size == r->used + r->free + r->overhead, "heap %d segment row %zu: %zu != %zu + %zu + %zu", h, i,
			        r->size, r->used, r->free, r->overhead);
			REQUIRE(r->overhead == OVERHEAD, "heap %d segment row %zu: overhead %zu", h, i, r->overhead);
			REQUIRE(r->free_blocks <= r->blocks && r->largest_free_block <= r->free
			        && (r->free_blocks == 0) == (r->free == 0), "heap %d segment row %zu: bad block counts", h, i);
			rsize += r->size; rused += r->used; rfree += r->free; rover += r->overhead; rfreeb += r->free_blocks;
			blocks += r->blocks;
			if (r->largest_free_block > rlargest) rlargest = r->largest_free_block;
		}
		REQUIRE(rover == s.segments * OVERHEAD, "heap %d: segment rows' overhead %zu", h, rover);
		REQUIRE(rsize == s.real_size && rused == s.size && rfree == s.free_bytes,
		        "heap %d: segment rows: %zu real / %zu used / %zu free, summary %zu / %zu / %zu", h, rsize, rused, rfree,
		        s.real_size, s.size, s.free_bytes);
		REQUIRE(rfreeb == st.free_blocks, "heap %d: %zu free blocks in segments, %zu in the free structures", h, rfreeb,
		        st.free_blocks);
		REQUIRE(rlargest == s.largest_free_block, "heap %d: largest free block %zu in segments, summary says %zu", h,
		        rlargest, s.largest_free_block);
		for (i = 0; i < ZMM_HEAP_NUM_BUCKETS; i++) {
			const zmm_bucket_stats_t *b = &st.buckets[i];
			REQUIRE(b->block_size == ZMM_HEAP_MIN_BLOCK + i * ZMM_HEAP_ALIGNMENT, "bucket %zu: block size %zu", i, b->block_size);
			REQUIRE(zmm_heap_bucket_index(b->block_size) == (int)i, "bucket %zu: bucket_index disagrees", i);
			if (b->min_request <= b->max_request) {
				REQUIRE(zmm_heap_true_size(f->heaps[h], b->max_request) == b->block_size
				        && zmm_heap_true_size(f->heaps[h], b->max_request + 1) > b->block_size
				        && zmm_heap_true_size(f->heaps[h], b->min_request) == b->block_size
				        && (b->min_request == 0 || zmm_heap_true_size(f->heaps[h], b->min_request - 1) < b->block_size),
				        "heap %d bucket %zu: request range [%zu, %zu] does not match true sizes", h, i, b->min_request,
				        b->max_request);
			}
			bcached += b->cached_blocks;
			bcached_bytes += b->cached_blocks * b->block_size;
			bfree_bytes += b->free_blocks * b->block_size;
			hits += b->cache_hits;
			misses += b->cache_misses;
		}
		REQUIRE(st.class_count == (zmm_heap_get_options(f->heaps[h])->size_classes ? ZMM_HEAP_NUM_CLASSES : 0),
		        "heap %d: %zu class rows", h, st.class_count);
		for (i = 0; i < st.class_count; i++) {
			const zmm_bucket_stats_t *b = &st.classes[i];
			REQUIRE(b->block_size == zmm_heap_class_block((unsigned)i) && b->free_blocks == 0
			        && zmm_heap_true_size(f->heaps[h], b->max_request) == b->block_size
			        && zmm_heap_true_size(f->heaps[h], b->max_request + 1) > b->block_size
			        && zmm_heap_true_size(f->heaps[h], b->min_request) == b->block_size
			        && zmm_heap_true_size(f->heaps[h], b->min_request - 1) < b->block_size,
			        "heap %d class %zu: block %zu, requests [%zu, %zu] do not match true sizes", h, i, b->block_size,
			        b->min_request, b->max_request);
			bcached += b->cached_blocks;
			bcached_bytes += b->cached_blocks * b->block_size;
			hits += b->cache_hits;
			misses += b->cache_misses;
		}
		REQUIRE(bcached == s.cached_blocks && bcached_bytes == s.cached, "heap %d: buckets and classes hold %zu cached "
		        "blocks / %zu bytes, summary %zu / %zu", h, bcached, bcached_bytes, s.cached_blocks, s.cached);
		REQUIRE(hits == c.cache_hits && misses == c.cache_misses, "heap %d: bucket hits/misses differ from counters", h);
		for (i = 0; i < st.large_classes; i++) {
			lfree += st.large[i].free_blocks;
			lfree_bytes += st.large[i].free_bytes;
			REQUIRE(st.large[i].free_bytes >= st.large[i].free_blocks * st.large[i].min_size
			        && st.large[i].free_bytes < (st.large[i].free_blocks * st.large[i].min_size) * 2 + (st.large[i].free_blocks == 0),
			        "heap %d large class %zu: %zu blocks / %zu bytes outside [%zu, %zu)", h, i, st.large[i].free_blocks,
			        st.large[i].free_bytes, st.large[i].min_size, 2 * st.large[i].min_size);
		}
		REQUIRE(bfree_bytes + lfree_bytes + s.rest_bytes == s.free_bytes, "heap %d: free structures hold %zu + %zu + %zu "
		        "bytes, summary free_bytes %zu", h, bfree_bytes, lfree_bytes, s.rest_bytes, s.free_bytes);
		(void)lfree;
		(void)blocks;
	}
	zmm_heap_stats_free(&st);
}

/*** operations ***/

static int pick_heap(fuzz_t *f, unsigned b)
{
	return f->nheaps == 2 ? (int)((b >> 6) & 1) : 0;
}

static void slot_free(fuzz_t *f, int idx, int h)
{
	slot_t *s = &f->slots[idx];
	int r;

	verify(f, idx, s->size, "before free");
	r = zmm_heap_free(f->heaps[h], s->p);
	REQUIRE(r == ZMM_FREE_OK, "free of slot %d through heap %d returned %d", idx, h, r);
	s->p = NULL;
}

static void op_alloc(fuzz_t *f)
{
	unsigned sb = byte(f);
	int idx = (int)(sb & 63), h = pick_heap(f, sb), jumped;
	size_t size = decode_size(f);
	unsigned long fails0 = f->limit_fails, ooms0 = f->oom_calls;
	slot_t *s = &f->slots[idx];
	void *p;

	if (s->p) {
		slot_free(f, idx, h);
	}
	p = guarded_alloc(f, f->heaps[h], size, &jumped);
	TRACE("alloc slot %d heap %d size %zu -> %p%s", idx, h, size, p, jumped ? " (hook longjmp'd)" : "");
	if (p == NULL) {
		require_null_ok(f, fails0, ooms0, jumped, "alloc", size);
		return;
	}
	REQUIRE(!jumped, "alloc returned a block after a longjmp");
	s->p = (unsigned char *)p;
	s->size = size;
	s->off = new_off(f);
	s->owner = h;
	REQUIRE(zmm_heap_owner(&f->storage, p) == f->heaps[h], "alloc(%zu) in heap %d: block owned by heap %d", size, h,
	        heap_index(f, zmm_heap_owner(&f->storage, p)));
	fill_all(f, idx);
}

static void op_free(fuzz_t *f)
{
	unsigned sb = byte(f);
	int idx = (int)(sb & 63);

	TRACE("free slot %d heap %d (%p)", idx, pick_heap(f, sb), (void *)f->slots[idx].p);
	if (f->slots[idx].p) {
		slot_free(f, idx, pick_heap(f, sb));
	}
}

static void op_realloc(fuzz_t *f)
{
	unsigned sb = byte(f);
	int idx = (int)(sb & 63), h = pick_heap(f, sb), jumped;
	size_t size = decode_size(f), old;
	unsigned long fails0 = f->limit_fails, ooms0 = f->oom_calls;
	slot_t *s = &f->slots[idx];
	void *p;

	TRACE("realloc slot %d heap %d %p (%zu bytes, heap %d) -> size %zu", idx, h, (void *)s->p, s->p ? s->size : 0,
	      s->p ? s->owner : -1, size);
	if (s->p == NULL) {
		p = guarded_realloc(f, f->heaps[h], NULL, size, &jumped);
		if (p == NULL) {
			require_null_ok(f, fails0, ooms0, jumped, "realloc(NULL)", size);
			return;
		}
		s->p = (unsigned char *)p;
		s->size = size;
		s->off = new_off(f);
		s->owner = h;
		fill_all(f, idx);
		return;
	}
	verify(f, idx, s->size, "before realloc");
	old = s->size;
	p = guarded_realloc(f, f->heaps[h], s->p, size, &jumped);
	TRACE("  -> %p%s", p, jumped ? " (hook longjmp'd)" : "");
	if (p == NULL) {
		require_null_ok(f, fails0, ooms0, jumped, "realloc", size);
		REQUIRE(zmm_heap_owner(&f->storage, s->p) == f->heaps[s->owner],
		        "failed realloc of slot %d: the old block is no longer owned by heap %d", idx, s->owner);
		verify(f, idx, s->size, "after a failed realloc (the old block must be intact)");
		return;
	}
	s->p = (unsigned char *)p;
	s->owner = h;
	verify_upto(f, idx, old, old < size ? old : size, "after realloc (preserved prefix)");
	s->size = size;
	fill_all(f, idx);
	REQUIRE(zmm_heap_owner(&f->storage, p) == f->heaps[h], "realloc through heap %d: block owned by heap %d", h,
	        heap_index(f, zmm_heap_owner(&f->storage, p)));
}

static void op_gc(fuzz_t *f)
{
	int h = pick_heap(f, byte(f));
	zmm_heap_summary_t s;

	TRACE("gc heap %d", h);
	zmm_heap_gc(f->heaps[h]);
	zmm_heap_summary(f->heaps[h], &s);
	REQUIRE(s.cached == 0 && s.cached_blocks == 0, "heap %d: %zu bytes cached after gc", h, s.cached);
	REQUIRE(f->storage.pool_count == 0, "storage pool holds %zu segments after gc", f->storage.pool_count);
}

static void op_flush(fuzz_t *f)
{
	int h = pick_heap(f, byte(f));
	zmm_heap_summary_t before, after;
	size_t n;

	TRACE("flush_cache heap %d", h);
	zmm_heap_summary(f->heaps[h], &before);
	n = zmm_heap_flush_cache(f->heaps[h]);
	zmm_heap_summary(f->heaps[h], &after);
	REQUIRE(n == before.cached, "heap %d: flush_cache returned %zu, %zu were cached", h, n, before.cached);
	REQUIRE(after.cached == 0 && after.cached_blocks == 0, "heap %d: %zu bytes cached after flush", h, after.cached);
	REQUIRE(after.size == before.size - before.cached, "heap %d: size %zu after flushing %zu of %zu", h, after.size,
	        before.cached, before.size);
}

static void op_reset(fuzz_t *f)
{
	int h = pick_heap(f, byte(f)), i;
	size_t keep = byte(f) % 4;
	zmm_heap_summary_t s;

	TRACE("reset heap %d keep %zu", h, keep);
	for (i = 0; i < NSLOTS; i++) {
		if (f->slots[i].p && f->slots[i].owner == h) {
			verify(f, i, f->slots[i].size, "before reset");
			f->slots[i].p = NULL;
		}
	}
	zmm_heap_reset(f->heaps[h], keep);
	zmm_heap_summary(f->heaps[h], &s);
	REQUIRE(s.size == 0 && s.peak == 0 && s.cached == 0 && s.cached_blocks == 0,
	        "heap %d after reset(%zu): size %zu peak %zu cached %zu", h, keep, s.size, s.peak, s.cached);
	REQUIRE(s.segments <= keep && s.real_size == s.segments * f->seg_size && s.real_peak == s.real_size,
	        "heap %d after reset(%zu): %zu segments, real_size %zu, real_peak %zu", h, keep, s.segments, s.real_size,
	        s.real_peak);
	REQUIRE(s.rest_blocks == 0 && s.free_bytes == s.segments * (f->seg_size - OVERHEAD),
	        "heap %d after reset(%zu): free %zu, rest %zu", h, keep, s.free_bytes, s.rest_blocks);
	f->peak_exact[h] = 1;
}

static void op_cache_limit(fuzz_t *f)
{
	int h = pick_heap(f, byte(f));
	unsigned v = byte(f);
	size_t lim;
	zmm_heap_summary_t s;

	switch (v % 4) {
	case 0:  lim = 0; break;
	case 1:  lim = (size_t)(v >> 2) * 64; break;
	case 2:  lim = ZMM_HEAP_CACHE_DEFAULT; break;
	case 3:  lim = ZMM_HEAP_CACHE_PHP5; break;
	default: lim = 8192; break;
	}
	TRACE("set_cache_limit heap %d %zu", h, lim);
	zmm_heap_set_cache_limit(f->heaps[h], lim);
	zmm_heap_summary(f->heaps[h], &s);
	REQUIRE(s.cache_limit == lim && zmm_heap_get_options(f->heaps[h])->cache_limit == lim,
	        "heap %d: cache limit %zu after setting %zu", h, s.cache_limit, lim);
	REQUIRE(s.cached <= lim, "heap %d: %zu cached after setting the cache limit to %zu", h, s.cached, lim);
}

static void op_stats(fuzz_t *f)
{
	unsigned b = byte(f);
	TRACE("stats heap %d limited %d", pick_heap(f, b), (b & 2) != 0);
	check_stats(f, pick_heap(f, b), (b & 2) != 0);
}

static void op_reset_peak(fuzz_t *f)
{
	int h = pick_heap(f, byte(f));
	zmm_heap_summary_t s;

	TRACE("reset_peak heap %d", h);
	zmm_heap_reset_peak(f->heaps[h]);
	zmm_heap_summary(f->heaps[h], &s);
	REQUIRE(s.peak == s.size - s.cached && s.real_peak == s.real_size,
	        "heap %d after reset_peak: peak %zu (size %zu, cached %zu), real_peak %zu (real %zu)", h, s.peak, s.size,
	        s.cached, s.real_peak, s.real_size);
	f->peak_exact[h] = 0;
}

static void op_set_limit(fuzz_t *f)
{
	int h = pick_heap(f, byte(f));
	unsigned v = byte(f);
	zmm_heap_summary_t s;
	size_t lim;

	zmm_heap_summary(f->heaps[h], &s);
	switch (v % 4) {
	case 0:  lim = ZMM_HEAP_NO_LIMIT; break;
	case 1:  lim = s.real_size + (size_t)(v >> 2) * (f->seg_size / 4); break;   /* at or above the usage */
	case 2:  lim = s.real_size / 2; break;                                      /* below the usage */
	default: lim = ((size_t)(v >> 2) + 1) * f->seg_size; break;
	}
	TRACE("set_limit heap %d %zu (real_size %zu)", h, lim, s.real_size);
	zmm_heap_set_limit(f->heaps[h], lim);
	f->cur_limit[h] = lim;
	f->cap[h] = lim == ZMM_HEAP_NO_LIMIT ? lim : (lim > s.real_size ? lim : s.real_size);
}

static void op_block_size(fuzz_t *f)
{
	unsigned sb = byte(f);
	int idx = (int)(sb & 63), h = pick_heap(f, sb);
	slot_t *s = &f->slots[idx];
	size_t bsz;

	TRACE("block_size slot %d heap %d (%p, %zu bytes)", idx, h, (void *)s->p, s->size);
	REQUIRE(zmm_heap_block_size(f->heaps[h], NULL) == 0, "block_size(NULL) != 0");
	if (s->p == NULL) {
		return;
	}
	bsz = zmm_heap_block_size(f->heaps[h], s->p);
	REQUIRE(bsz >= s->size, "slot %d: block_size %zu < %zu in use", idx, bsz, s->size);
	/* the block of the request (a medium class's, maybe), plus a remainder too small to split off */
	REQUIRE(bsz <= zmm_heap_true_size(f->heaps[s->owner], s->size) - ZMM_HEAP_HDR_SIZE + 2 * ZMM_HEAP_MIN_BLOCK
	               + ZMM_HEAP_REALLOC_STEP,
	        "slot %d: block_size %zu for %zu bytes in use", idx, bsz, s->size);
	REQUIRE(zmm_heap_block_size(f->heaps[h], s->p + 8) == 0, "slot %d: block_size of an interior pointer != 0", idx);
	/* the usable size is ours: fill the slack and account it as in use */
	REQUIRE(!REGION_POISONED(s->p + s->size, bsz - s->size),
	        "slot %d: zmm_heap_block_size says %zu usable bytes but ASan poisons the %zu bytes after the %zu in use",
	        idx, bsz, bsz - s->size, s->size);
	s->size = bsz;
	fill_all(f, idx);
}

/* Deliberate misuse that the heap must catch without damage: a double free (through either heap),
 * a realloc of a freed block, a free of a foreign pointer. */
static void op_double_free(fuzz_t *f)
{
	unsigned sb = byte(f), v = byte(f) % 4;
	int idx = (int)(sb & 63), h = pick_heap(f, sb), r, jumped;
	slot_t *s = &f->slots[idx];
	unsigned char *stale;
	zmm_segment_t *seg;
	zmm_heap_t *seg_owner;
	int oh;
	zmm_heap_counters_t before;

	TRACE("misuse %s slot %d heap %d (%p)", v <= 1 ? "double free" : v == 2 ? "realloc of a freed block" : "foreign free",
	      idx, h, (void *)s->p);
	if (v == 3) {
		REQUIRE(zmm_heap_free(f->heaps[h], f->foreign) == ZMM_FREE_FOREIGN, "free of a malloc'd pointer is not FOREIGN");
		REQUIRE(zmm_heap_free(f->heaps[h], NULL) == ZMM_FREE_OK, "free(NULL) is not OK");
		REQUIRE(zmm_heap_owner(&f->storage, f->foreign) == NULL, "a malloc'd pointer has an owner");
		REQUIRE(zmm_heap_block_size(f->heaps[h], f->foreign) == 0, "block_size of a malloc'd pointer != 0");
		/* realloc of a pointer zmm does not own: reported as foreign, a fresh block comes back */
		{
			unsigned long fails0 = f->limit_fails, ooms0 = f->oom_calls;
			size_t size = decode_size(f);
			void *p;
			f->expect_error = 1;
			f->errors_seen = 0;
			p = guarded_realloc(f, f->heaps[h], f->foreign, size, &jumped);
			f->expect_error = 0;
			REQUIRE(f->errors_seen == 1 && f->err_kind == ZMM_ERROR_FOREIGN_POINTER && f->err_ptr == f->foreign
			        && !f->err_fatal && strcmp(f->err_op, "realloc") == 0 && f->err_heap == f->heaps[h],
			        "realloc of a malloc'd pointer: %d error(s), kind %d, op %s", f->errors_seen, (int)f->err_kind,
			        f->errors_seen ? f->err_op : "-");
			if (p == NULL) {
				require_null_ok(f, fails0, ooms0, jumped, "realloc(foreign)", size);
			} else {
				REQUIRE(zmm_heap_owner(&f->storage, p) == f->heaps[h], "fresh block from realloc(foreign) not in heap %d", h);
				REQUIRE(zmm_heap_free(f->heaps[h], p) == ZMM_FREE_OK, "free of the fresh block");
			}
		}
		check_structure(f, "after realloc of a foreign pointer");
		return;
	}
	if (s->p == NULL) {
		return;
	}
	stale = s->p;
	slot_free(f, idx, h);
	seg = zmm_storage_find(&f->storage, stale);
	seg_owner = seg ? (zmm_heap_t *)seg->owner : NULL;
	oh = heap_index(f, seg_owner);
	REQUIRE(seg == NULL || oh >= 0, "freed block %p lies in a segment owned by no heap", (void *)stale);
	if (oh >= 0) {
		zmm_heap_counters(seg_owner, &before);
	}
	REQUIRE(zmm_heap_block_size(f->heaps[h], stale) == 0, "block_size of a freed block != 0");
	f->expect_error = 1;
	f->errors_seen = 0;
	if (v <= 1) {
		/* double free, through either heap */
		r = zmm_heap_free(f->heaps[v == 0 ? h : f->nheaps - 1 - h], stale);
		f->expect_error = 0;
		if (seg == NULL) {
			REQUIRE(r == ZMM_FREE_FOREIGN && f->errors_seen == 0,
			        "double free of %p after its segment went back to storage: returned %d with %d error(s)",
			        (void *)stale, r, f->errors_seen);
		} else {
			REQUIRE(r == ZMM_FREE_INVALID, "double free of %p returned %d, not ZMM_FREE_INVALID", (void *)stale, r);
			REQUIRE(f->errors_seen == 1, "double free of %p: %d error-hook calls", (void *)stale, f->errors_seen);
			REQUIRE(f->err_kind == ZMM_ERROR_DOUBLE_FREE || f->err_kind == ZMM_ERROR_CACHED_FREE,
			        "double free of %p reported as kind %d", (void *)stale, (int)f->err_kind);
			REQUIRE(f->err_ptr == stale && !f->err_fatal && strcmp(f->err_op, "free") == 0 && f->err_heap == seg_owner,
			        "double free of %p: error names ptr %p, op %s, heap %d", (void *)stale, f->err_ptr, f->err_op,
			        heap_index(f, f->err_heap));
		}
	} else {
		/* realloc of a freed block: reported, and a fresh block comes back without copying */
		unsigned long fails0 = f->limit_fails, ooms0 = f->oom_calls;
		size_t size = decode_size(f);
		void *p = guarded_realloc(f, f->heaps[h], stale, size, &jumped);
		f->expect_error = 0;
		REQUIRE(f->errors_seen == 1, "realloc of freed %p: %d error-hook calls", (void *)stale, f->errors_seen);
		if (seg == NULL) {
			REQUIRE(f->err_kind == ZMM_ERROR_FOREIGN_POINTER, "realloc of %p (segment released) reported as kind %d",
			        (void *)stale, (int)f->err_kind);
		} else {
			REQUIRE(f->err_kind == ZMM_ERROR_DOUBLE_FREE || f->err_kind == ZMM_ERROR_CACHED_FREE,
			        "realloc of freed %p reported as kind %d", (void *)stale, (int)f->err_kind);
			REQUIRE(f->err_heap == seg_owner, "realloc of freed %p reported by heap %d, segment owned by heap %d",
			        (void *)stale, heap_index(f, f->err_heap), oh);
		}
		REQUIRE(f->err_ptr == stale && !f->err_fatal && strcmp(f->err_op, "realloc") == 0,
		        "realloc of freed %p: error names ptr %p, op %s", (void *)stale, f->err_ptr, f->err_op);
		if (p == NULL) {
			require_null_ok(f, fails0, ooms0, jumped, "realloc(freed)", size);
		} else {
			s->p = (unsigned char *)p;
			s->size = size;
			s->off = new_off(f);
			s->owner = h;
			fill_all(f, idx);
			REQUIRE(zmm_heap_owner(&f->storage, p) == f->heaps[h], "fresh block from realloc(freed) not in heap %d", h);
		}
	}
	if (oh >= 0) {
		zmm_heap_counters_t after;
		zmm_heap_counters(seg_owner, &after);
		REQUIRE(after.invalid_frees == before.invalid_frees + 1 && after.corruptions == before.corruptions,
		        "misuse on heap %d: invalid_frees %llu -> %llu, corruptions %llu -> %llu", oh,
		        (unsigned long long)before.invalid_frees, (unsigned long long)after.invalid_frees,
		        (unsigned long long)before.corruptions, (unsigned long long)after.corruptions);
	}
	check_structure(f, "after a reported misuse");
}

/*** driver ***/

static int setup(fuzz_t *f)
{
	static const char *const names[4] = { "malloc", "mmap_anon", "mmap_zero", "mmap_anon" };
	unsigned h0 = byte(f), h1 = byte(f), h2 = byte(f), h3 = byte(f), h4 = byte(f);
	const zmm_storage_handlers_t *handlers = zmm_storage_lookup(names[h0 & 3]);
	zmm_heap_hooks_t hooks;
	int h;

	REQUIRE(handlers != NULL, "storage '%s' not found", names[h0 & 3]);
	f->nheaps = (h0 & 4) ? 2 : 1;
	f->protection[0] = (h0 >> 3) & 1;
	f->protection[1] = (h0 >> 4) & 1;
	f->limit_mode = (int)((h0 >> 5) & 3);
	f->oom_jumps = f->limit_mode == 2 && (h0 & 0x80);
	f->seg_size = ZMM_SEGMENT_SIZE_MIN << (h1 % 5);
	f->pool_limit = (h1 >> 3) % 4;
	if (zmm_storage_init(&f->storage, handlers, f->seg_size, f->pool_limit) != 0) {
		return -1;     /* e.g. /dev/zero cannot be opened: nothing to test */
	}
	f->storage.fail_countdown = h4 < 192 ? 0 : h4 - 191;
	f->limit = (h3 % 4 == 0) ? ZMM_HEAP_NO_LIMIT : ((size_t)(h3 >> 2) + 1) * f->seg_size / 2;

	memset(&hooks, 0, sizeof(hooks));
	hooks.ctx = f;
	hooks.limit = limit_hook;
	hooks.oom = oom_hook;
	hooks.error = error_hook;
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_options_t o;
		zmm_heap_options_default(&o);
		REQUIRE(o.cache_limit == ZMM_HEAP_CACHE_DEFAULT && o.protection == 0 && o.limit == ZMM_HEAP_NO_LIMIT
		        && o.size_classes == 1, "zmm_heap_options_default");
		switch (h2 % 4) {
		case 0:  o.cache_limit = 0; break;
		case 1:  o.cache_limit = (size_t)(h2 >> 2) * 64; break;
		case 2:  o.cache_limit = ZMM_HEAP_CACHE_PHP5; break;
		default: o.cache_limit = ZMM_HEAP_CACHE_DEFAULT; break;
		}
		o.protection = f->protection[h];
		o.limit = f->limit;
		o.size_classes = !((h1 >> (6 + h)) & 1);    /* medium classes on (default) or PHP 5's exact sizes */
		f->cur_limit[h] = f->cap[h] = f->limit;
		f->heaps[h] = zmm_heap_create(&f->storage, &o, &hooks);
		REQUIRE(f->heaps[h] != NULL, "zmm_heap_create failed");
		REQUIRE(zmm_heap_storage(f->heaps[h]) == &f->storage, "zmm_heap_storage");
		f->peak_exact[h] = 1;
	}
	f->foreign = (unsigned char *)malloc(64);
	REQUIRE(f->foreign != NULL, "malloc");
	if (trace > 0) {
		fprintf(stderr, "setup: storage %s, segment %zu KiB, pool %zu, %d heap(s), protection %d/%d, cache limit %zu, "
		        "size classes %d, limit %zu, limit mode %d%s, fail_countdown %lu\n", handlers->name, f->seg_size >> 10, f->pool_limit,
		        f->nheaps, f->protection[0], f->protection[1], zmm_heap_get_options(f->heaps[0])->cache_limit,
		        zmm_heap_get_options(f->heaps[0])->size_classes,
		        f->limit, f->limit_mode, f->oom_jumps ? " (oom hook longjmps)" : "", f->storage.fail_countdown);
	}
	return 0;
}

static void teardown(fuzz_t *f)
{
	int i, h;

	if (trace > 0) {
		fprintf(stderr, "end: limit hook %lu calls (%lu refused), oom hook %lu calls, storage failures %llu, pool hits %llu, "
		        "remaps %llu\n", f->limit_calls, f->limit_fails, f->oom_calls,
		        (unsigned long long)f->storage.counters.os_failures, (unsigned long long)f->storage.counters.pool_hits,
		        (unsigned long long)f->storage.counters.os_remaps);
	}
	full_check(f, "at the end of the input");
	/* free everything (each through a heap that may not own it), then every segment must be empty */
	for (i = 0; i < NSLOTS; i++) {
		if (f->slots[i].p) {
			slot_free(f, i, (i & 1) % f->nheaps);
		}
	}
	f->storage.fail_countdown = 0;
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_stats_t st;
		zmm_heap_summary_t s;
		size_t r;
		zmm_heap_flush_cache(f->heaps[h]);
		zmm_heap_summary(f->heaps[h], &s);
		REQUIRE(s.size == 0 && s.cached == 0, "heap %d: size %zu after freeing every block", h, s.size);
		REQUIRE(zmm_heap_stats(f->heaps[h], &st, 0) == 0, "zmm_heap_stats");
		for (r = 0; r < st.segment_count; r++) {
			REQUIRE(st.segments[r].used == 0 && st.segments[r].free_blocks == 1 && st.segments[r].size == f->seg_size,
			        "heap %d: segment row %zu still has %zu used bytes in %zu blocks (%zu free) after freeing everything",
			        h, r, st.segments[r].used, st.segments[r].blocks, st.segments[r].free_blocks);
		}
		zmm_heap_stats_free(&st);
	}
	full_check(f, "after freeing every block");
	for (h = 0; h < f->nheaps; h++) {
		zmm_heap_destroy(f->heaps[h]);
		f->heaps[h] = NULL;
	}
	REQUIRE(f->storage.segments == 0 && f->storage.bytes == 0,
	        "storage still holds %zu segments / %zu bytes after destroying every heap", f->storage.segments,
	        f->storage.bytes);
	zmm_storage_destroy(&f->storage);
	free(f->foreign);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_t *f = (fuzz_t *)calloc(1, sizeof(fuzz_t));

	if (f == NULL) {
		return 0;
	}
	ref_init();
	if (trace < 0) {
		const char *e = getenv("ZMM_FUZZ_TRACE");
		trace = e != NULL && e[0] == '1';
	}
	f->data = data;
	f->len = size;
	f->next_off = size;
	cur = f;
	if (setup(f) != 0) {
		free(f);
		cur = NULL;
		return 0;
	}
	while (f->pos < f->len) {
		unsigned op = byte(f);
		f->op_no++;
		if (op < 80)        op_alloc(f);
		else if (op < 130)  op_free(f);
		else if (op < 170)  op_realloc(f);
		else if (op < 185)  { TRACE("check"); full_check(f, "at a check op"); }
		else if (op < 193)  op_gc(f);
		else if (op < 201)  op_flush(f);
		else if (op < 206)  op_reset(f);
		else if (op < 213)  op_cache_limit(f);
		else if (op < 223)  op_stats(f);
		else if (op < 226)  op_reset_peak(f);
		else if (op < 228)  op_set_limit(f);
		else if (op < 240)  op_block_size(f);
		else if (op < 248)  op_double_free(f);
		else                { f->storage.fail_countdown = byte(f) % 9; TRACE("fail_countdown = %lu", f->storage.fail_countdown); }
	}
	teardown(f);
	cur = NULL;
	free(f);
	return 0;
}
