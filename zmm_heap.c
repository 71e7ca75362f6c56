/*
 * zmm_heap.c - the zmm heap: PHP 5's Zend memory manager design, as plain C
 *
 * Layers
 * ------
 *   interface (zmm.c: emalloc/efree/erealloc handlers, limits, statistics for PHP)
 *     -> heap (this file: blocks, buckets, cache, tries, accounting, integrity)
 *       -> storage (zmm_storage.c: aligned segments, address registry, segment pool)
 *         -> OS (mmap/mremap/munmap, malloc, /dev/zero, VirtualAlloc)
 *
 * Segments and blocks
 * -------------------
 * A segment is a multiple of the segment size S (256 KiB by default), aligned to S. It starts with
 * the zmm_segment_t header (padded to 16 bytes), then the blocks, then a 16-byte guard block:
 *
 *   | segment hdr | block | block | ... | block | guard |
 *
 * Every block starts with a boundary-tag header of two words: its own size with the type in the low
 * bits, and a copy of the previous block's size and type. The next block is at b + size, the previous
 * at b - prev. Types: FREE (0), USED (1), GUARD (3). The first block's prev tag is GUARD and the guard
 * is USED, so merging stops at the segment edges. Bit 2 is a flag: on a USED block it means "in the
 * cache", on a FREE block "in the rest list"; it is kept in the size word only.
 *
 *   used block:  [size|USED][prev][payload ............................]
 *   free block:  [size|FREE][prev][prev_free][next_free][parent][child0][child1] (large ones only)
 *
 * Besides the tags, every segment has a side bitmap with one bit per 8 bytes that is set where a block's
 * payload starts. It makes "is this pointer the start of a live block?" exact and O(1), so double frees,
 * interior pointers and frees of cached blocks are caught before anything is written.
 *
 * Size classes (LP64)
 * -------------------
 * A request of n bytes needs a block of true(n) = max(32, align8(n + 16)) bytes (plus 24 with
 * protection: a canary after the payload and a trailer with the requested size and a header cookie).
 * Blocks below 544 bytes are small: 64 buckets of 8-byte steps, index true/8 - 4, so requests of at
 * most 520 bytes are small. With the size_classes option (on by default) requests of 521..32768
 * bytes are medium: they are rounded up to 18 classes (payloads 640, 768, 896, 1024, 1280, 1536,
 * 1792, 2048, 2560, 3072, Zend MM 7's largest bins, then the page classes 4096, 8192, ... 32768,
 * whole pages as Zend MM rounds its large runs), so that their freed blocks can be cached and reused
 * like small ones instead of paying the trie, split and merge (PHP 5 had no such classes). A page
 * class's block that shrinks is split in place, as Zend MM frees a run's tail pages. Larger blocks
 * are large; a block that does not fit a standard segment (true > S - 64) is huge and
 * gets a segment of its own, rounded up to a multiple of S.
 *
 * Free structures
 * ---------------
 *  cache[i]            per-bucket LIFO of freed small blocks that stay USED (capped: 64 MiB default, PHP 5 had 256 KiB),
 *                      then one per medium class (i >= 64); the medium lists are flushed before the
 *                      heap takes a new standard segment, since pinned medium blocks split free space
 *  small_heads[i]      per-bucket FIFO circular lists of free small blocks, with free_bitmap
 *  large_roots[i]      per-high-bit bitwise tries of free large blocks (same sizes hang in a circular
 *                      list off the tree node), with large_bitmap; best-fit search
 *  rest                FIFO of tails of huge segments (at most 16), kept away from ordinary requests
 *                      so the huge segment empties and goes back to storage when its block is freed;
 *                      searched only when close to the limit
 *  dv                  the designated victim (with refills): the large tail of the last refill's
 *                      split, in no list, from which the next refill carves without a search
 *
 * Alloc path: small or medium -> cache pop (hit) -> the designated victim, unless the request's own
 * small bucket has a free block -> smallest non-empty small bucket >= request (bitmap, lowest set
 * bit) -> large trie best fit -> rest list (only near the limit) -> for a standard segment, flush the
 * medium lists and search again, if they held blocks -> give the victim back to the lists and search
 * again -> new segment (limit hook first, oom hook on storage failure).
 * The block found is split; the tail goes to the free structures (to the rest list for a new huge
 * segment). A small or medium miss takes up to 32 blocks of its size at once (refill:
 * one handed out, the others cached; later refills of the same size take twice the last batch, up
 * to 128 blocks, until the next reset). The cache pop and push are inlined into the caller from
 * zmm_heap.h (zmm_heap_cache_pop/_push, reading zmm_heap_fast_t, the first member of the heap).
 * Free path: validate (segment registry, whose entry carries copies of the segment's owner, start
 * bitmap and size so that the segment header is not read; start bitmap; the size word against the
 * next block's prev tag, so an overflow into the next header is reported at the free of the block
 * that overflowed)
 * -> small or medium and cache not full: push on the cache -> otherwise merge with a free next and a free
 * previous block; an empty segment goes back to storage at once; else the block joins a small list
 * or a trie.
 * Realloc path: the glue's registry lookup is passed in (zmm_heap_realloc_at); a small or medium block
 * whose new size stays in its list is kept, one that grows into a list with a cached block swaps with it
 * (PHP 5), a block at the head of its huge segment grows into the rest tail behind it by moving the
 * tail's header; everything else: shrink in place, grow into a free next block, grow the huge segment
 * through storage (mremap), or move. With size classes, a large block that already fits the new
 * size with less than 4 KiB to spare is kept, and one that grows in place takes whole 4 KiB steps
 * (Zend MM 7 sizes large blocks in pages), so a string that `.=` keeps growing is resized in place
 * once per step instead of once per append.
 *
 * Accounting: size = bytes of blocks handed out, cached ones included (as PHP 5); memory_get_usage()
 * is size - cached. real_size = bytes of segments. free bytes = real_size - size - per-segment overhead.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zmm_heap.h"

/*** Feature switches and compiler helpers ***/

#if defined(__GNUC__)
# define ZMM_LIKELY(x)   __builtin_expect(!!(x), 1)
# define ZMM_UNLIKELY(x) __builtin_expect(!!(x), 0)
# define ZMM_COLD        __attribute__((cold, noinline))
# define ZMM_NOINLINE    __attribute__((noinline))
#else
# define ZMM_NOINLINE
# define ZMM_LIKELY(x)   (x)
# define ZMM_UNLIKELY(x) (x)
# define ZMM_COLD
#endif

/* Bytes of a block header and of the guard that ends a segment. */
#define HDR            ZMM_HEAP_HDR_SIZE
/* Bytes before the first block of a segment. */
#define SEG_HDR        ZMM_HEAP_SEGMENT_HDR_SIZE
/* Smallest block (header + two links); a split never leaves less. */
#define MIN_BLOCK      ZMM_HEAP_MIN_BLOCK
/* Blocks below this size are small. */
#define MAX_SMALL      ZMM_HEAP_MAX_SMALL_BLOCK
/* Buckets. */
#define NUM_BUCKETS    ZMM_HEAP_NUM_BUCKETS

/* Block types and flags in the size word. */
#define T_FREE         ((size_t)0)
#define T_USED         ((size_t)1)
#define T_GUARD        ((size_t)3)
#define T_MASK         ((size_t)3)
#define F_FLAG         ((size_t)4)   /* USED: in the cache; FREE: in the rest list */
#define SIZE_MASK      (~(size_t)7)

#define PAYLOAD(b)     ((void *)((char *)(b) + HDR))
#define BLOCK_OF(p)    ((zmm_block_t *)((char *)(p) - HDR))
#define BSIZE(b)       ((b)->size & SIZE_MASK)
#define AT(b, off)     ((zmm_block_t *)((char *)(b) + (off)))
#define BUCKET_SIZE(i) ZMM_HEAP_BUCKET_BLOCK(i)
#define BUCKET_OF(sz)  ((unsigned)((sz) / ZMM_HEAP_ALIGNMENT - MIN_BLOCK / ZMM_HEAP_ALIGNMENT))
/* Cache lists: the small buckets, then the medium classes. */
#define CACHE_LISTS    ZMM_HEAP_CACHE_LISTS
/* Largest block of a medium class. */
#define MAX_CLASS_BLOCK ZMM_HEAP_MAX_CLASS_BLOCK

/*** Valgrind and ASan visibility ***/

/* Under valgrind (detected at heap creation) every block handed out is a MALLOCLIKE block and every
 * freed or cached one a FREELIKE block, and the block area of a new segment is no-access, so memcheck
 * sees individual PHP blocks. The heap's own reads and writes of headers and free-list links inside
 * that no-access memory happen between VALGRIND_DISABLE/ENABLE_ERROR_REPORTING (ANN_ENTER/ANN_LEAVE).
 * Under AddressSanitizer the same events poison and unpoison memory, and the heap's functions are
 * exempt from instrumentation (ZMM_NOASAN). ZMM_NO_ANNOTATIONS compiles all of this out. */
#if !defined(ZMM_NO_ANNOTATIONS)
# if defined(HAVE_VALGRIND_MEMCHECK_H)
#  define ZMM_VALGRIND 1
# elif defined(__has_include)
#  if __has_include(<valgrind/memcheck.h>)
#   define ZMM_VALGRIND 1
#  endif
# endif
# if defined(__SANITIZE_ADDRESS__)
#  define ZMM_ASAN 1
# elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#   define ZMM_ASAN 1
#  endif
# endif
#endif
#ifdef ZMM_VALGRIND
# include <valgrind/memcheck.h>
#endif
#ifdef ZMM_ASAN
# include <sanitizer/asan_interface.h>
# define ZMM_NOASAN __attribute__((no_sanitize_address))
#else
# define ZMM_NOASAN
#endif

#define ANN_VALGRIND   1u              /* heap->annotate: running under valgrind */
#define ANN_ASAN       2u              /* heap->annotate: built with AddressSanitizer */

#ifdef ZMM_VALGRIND
/* Valgrind counts DISABLE/ENABLE per thread. A hook may longjmp out of the heap (PHP's bailout on a
 * memory_limit error), which would skip the ANN_LEAVEs on the way out and leave error reporting off
 * for the rest of the run. So the heap counts its open windows per thread too, and every hook call
 * closes them all first (ann_hook_begin) and reopens them when the hook returns (ann_hook_end). */
static __thread unsigned ann_depth;           /* ANN_ENTERs of this thread not yet left */
# define ANN_ENTER(h)  do { if (ZMM_UNLIKELY((h)->annotate & ANN_VALGRIND)) { VALGRIND_DISABLE_ERROR_REPORTING; ann_depth++; } } while (0)
# define ANN_LEAVE(h)  do { if (ZMM_UNLIKELY((h)->annotate & ANN_VALGRIND)) { VALGRIND_ENABLE_ERROR_REPORTING; ann_depth--; } } while (0)
static unsigned ann_hook_begin(void)
{
	unsigned depth = ann_depth;
	for (; ann_depth > 0; ann_depth--) {
		VALGRIND_ENABLE_ERROR_REPORTING;
	}
	return depth;
}
static void ann_hook_end(unsigned depth)
{
	for (; ann_depth < depth; ann_depth++) {
		VALGRIND_DISABLE_ERROR_REPORTING;
	}
}
#else
# define ANN_ENTER(h)  do { (void)(h); } while (0)
# define ANN_LEAVE(h)  do { (void)(h); } while (0)
# define ann_hook_begin() 0u
# define ann_hook_end(d) ((void)(d))
#endif
/* Calls a hook outside every annotation window (see above); CALL is the whole call expression. */
#define HOOK_CALL(call)       do { unsigned ann_d_ = ann_hook_begin(); call; ann_hook_end(ann_d_); } while (0)
#define HOOK_CALL_RET(r, call) do { unsigned ann_d_ = ann_hook_begin(); (r) = (call); ann_hook_end(ann_d_); } while (0)

/*** Types ***/

typedef struct zmm_block {
	size_t size;                          /* this block's size | type | flag */
	size_t prev;                          /* previous block's size | type (boundary tag) */
} zmm_block_t;

typedef struct zmm_free_block zmm_free_block_t;
struct zmm_free_block {
	zmm_block_t       info;               /* the header */
	zmm_free_block_t *prev_free;          /* previous in its list (cache: next in the LIFO) */
	zmm_free_block_t *next_free;          /* next in its list */
	zmm_free_block_t **parent;            /* large: the slot that points at this trie node; NULL for siblings */
	zmm_free_block_t *child[2];           /* large: trie children */
};

struct zmm_heap {
	zmm_heap_fast_t   fast;                   /* first: what the inline fast paths use (zmm_heap.h) */
	uint64_t          cache_dropped;          /* blocks that left the cache by a flush or reset */
	uint64_t          cache_refills;          /* blocks that entered the cache by a refill (carved, never used) */
	size_t            extra;                  /* bytes added to every request (protection) */
	unsigned          slow;                   /* non-zero: protection or annotation; fast paths step aside */
	unsigned          annotate;               /* ANN_VALGRIND / ANN_ASAN bits */
	size_t            size;                   /* bytes of blocks handed out (cached included) */
	size_t            peak;                   /* peak of size */
	size_t            real_size;              /* bytes of segments */
	size_t            real_peak;              /* peak of real_size */
	size_t            limit;                  /* limit on real_size */
	size_t            segment_size;           /* the storage's segment size */
	size_t            segments_count;         /* segments held */
	size_t            peak_segments;          /* peak of segments_count */
	zmm_storage_t    *storage;                /* where segments come from */
	zmm_segment_t    *segments;               /* newest segment first */
	uint64_t          free_bitmap;            /* bit i: small_heads[i] non-empty */
	uint64_t          large_bitmap;           /* bit i: large_roots[i] non-empty */
	zmm_free_block_t  small_heads[NUM_BUCKETS]; /* fake heads of the small FIFO lists */
	zmm_free_block_t *large_roots[NUM_BUCKETS]; /* trie roots by high bit of the size */
	zmm_free_block_t  rest_head;              /* fake head of the rest list (FIFO) */
	zmm_free_block_t *dv;                     /* designated victim: a large free block in no list, the
	                                           * tail of the last refill's split (NULL: none) */
	size_t            rest_count;             /* blocks in the rest list */
	size_t            rest_bytes;             /* bytes in the rest list */
	uint64_t          cache_misses[CACHE_LISTS]; /* per-list cache misses */
	unsigned char     refill_rounds[CACHE_LISTS]; /* per-list refills since the lists were emptied
	                                            * (capped): each doubles the next batch */
	uint64_t          large_allocs;           /* allocations that were not small */
	uint64_t          alloc_failures;         /* allocations that returned NULL (not counted as allocs) */
	zmm_heap_counters_t counters;             /* other counters (allocs, cache_* derived) */
	uint64_t          secret;                 /* protection: cookie and canary secret */
	zmm_heap_hooks_t  hooks;                  /* the user's hooks */
	zmm_heap_options_t options;               /* options as given (cache_limit, limit kept current) */
};

/* A block goes to the program with size usable bytes. */
ZMM_NOASAN static void ann_handout(const zmm_heap_t *heap, void *payload, size_t size)
{
#ifdef ZMM_VALGRIND
	if (heap->annotate & ANN_VALGRIND) {
		VALGRIND_MALLOCLIKE_BLOCK(payload, size, 0, 0);
	}
#endif
#ifdef ZMM_ASAN
	if (heap->annotate & ANN_ASAN) {
		ASAN_UNPOISON_MEMORY_REGION(payload, size);
	}
#endif
	(void)heap; (void)payload; (void)size;
}

/* A block comes back from the program (freed or cached). */
ZMM_NOASAN static void ann_takeback(const zmm_heap_t *heap, void *payload, size_t usable)
{
#ifdef ZMM_VALGRIND
	if (heap->annotate & ANN_VALGRIND) {
		VALGRIND_FREELIKE_BLOCK(payload, 0);
	}
#endif
#ifdef ZMM_ASAN
	if (heap->annotate & ANN_ASAN) {
		ASAN_POISON_MEMORY_REGION(payload, usable);
	}
#endif
	(void)heap; (void)payload; (void)usable;
}

/* A segment's block area becomes heap-private (new or re-formatted segment), or the whole segment
 * goes back to storage (open = 1). */
ZMM_NOASAN static void ann_segment(const zmm_heap_t *heap, void *seg, size_t size, int open)
{
	char *area = (char *)seg + ZMM_HEAP_SEGMENT_HDR_SIZE;
	size_t len = size - ZMM_HEAP_SEGMENT_HDR_SIZE;
#ifdef ZMM_VALGRIND
	if (heap->annotate & ANN_VALGRIND) {
		if (open) {
			VALGRIND_MAKE_MEM_UNDEFINED(area, len);
		} else {
			VALGRIND_MAKE_MEM_NOACCESS(area, len);
		}
	}
#endif
#ifdef ZMM_ASAN
	if (heap->annotate & ANN_ASAN) {
		if (open) {
			ASAN_UNPOISON_MEMORY_REGION(area, len);
		} else {
			ASAN_POISON_MEMORY_REGION(area, len);
		}
	}
#endif
	(void)heap; (void)area; (void)len; (void)open;
}

ZMM_NOASAN static unsigned ann_detect(void)
{
	unsigned a = 0;
#ifdef ZMM_VALGRIND
	/* Only memcheck understands the block annotations; under callgrind, cachegrind and the other
	 * tools zmm must run its normal paths so that what they measure is zmm. Memcheck is the tool
	 * whose preload library is loaded; ZMM_VALGRIND=1 or 0 overrides the guess. */
	if (RUNNING_ON_VALGRIND) {
		const char *force = getenv("ZMM_VALGRIND");
		const char *preload = getenv("LD_PRELOAD");
		if (force ? force[0] == '1' : (preload != NULL && strstr(preload, "vgpreload_memcheck") != NULL)) {
			a |= ANN_VALGRIND;
		}
	}
#endif
#ifdef ZMM_ASAN
	a |= ANN_ASAN;
#endif
	return a;
}

/* Payload bytes of each medium class (a block of class c is class_payload[c] + HDR bytes): up to 3072
 * Zend MM 7's largest bins, above them whole 4 KiB pages, as Zend MM rounds a large request to a run
 * of pages. */
static const size_t class_payload[ZMM_HEAP_NUM_CLASSES] = {
	640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072,
	4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768
};

/* Cache list of a request (protection off), indexed by k = (size + 7) / 8: up to the largest small
 * request the bucket of a block of max(MIN_BLOCK, 8k + HDR) bytes, then NUM_BUCKETS + the smallest
 * class that holds it (used only with size classes on). Filled from class_payload by
 * zmm_heap_library_init. */
unsigned char zmm_heap_list_of_request[(ZMM_HEAP_MAX_CLASS_REQUEST + 7) / 8 + 1];

/* Cache list of a block size (zmm_heap.h), indexed by size / 8 - 4: buckets, then class blocks, 255
 * between them. Filled by zmm_heap_library_init. */
unsigned char zmm_heap_list_of_block[ZMM_HEAP_BLOCK_LIST_LEN];

static int tables_ready;

/* Filled when the library is loaded where the compiler allows (so that a lazy call from
 * zmm_heap_create only reads the flag), else by the first zmm_heap_library_init call. */
#if defined(__GNUC__)
__attribute__((constructor))
#endif
void zmm_heap_library_init(void)
{
	size_t k, c = 0;

	if (tables_ready) {
		return;
	}
	for (k = 0; k < sizeof(zmm_heap_list_of_request); k++) {
		size_t size = k * ZMM_HEAP_ALIGNMENT;
		if (size <= ZMM_HEAP_MAX_SMALL_REQUEST) {
			/* the bucket of true(size) = max(MIN_BLOCK, size + HDR) */
			size_t t = size + ZMM_HEAP_HDR_SIZE < ZMM_HEAP_MIN_BLOCK ? ZMM_HEAP_MIN_BLOCK : size + ZMM_HEAP_HDR_SIZE;
			zmm_heap_list_of_request[k] = (unsigned char)((t - ZMM_HEAP_MIN_BLOCK) / ZMM_HEAP_ALIGNMENT);
			continue;
		}
		while (class_payload[c] < size) {
			c++;
		}
		zmm_heap_list_of_request[k] = (unsigned char)(ZMM_HEAP_NUM_BUCKETS + c);
	}
	memset(zmm_heap_list_of_block, 255, sizeof(zmm_heap_list_of_block));
	for (k = 0; k < ZMM_HEAP_NUM_BUCKETS; k++) {
		zmm_heap_list_of_block[k] = (unsigned char)k;
	}
	for (c = 0; c < ZMM_HEAP_NUM_CLASSES; c++) {
		size_t block = class_payload[c] + ZMM_HEAP_HDR_SIZE;
		zmm_heap_list_of_block[(block - ZMM_HEAP_MIN_BLOCK) / ZMM_HEAP_ALIGNMENT] = (unsigned char)(ZMM_HEAP_NUM_BUCKETS + c);
	}
	tables_ready = 1;
}

/* The smallest block of a page class (class_payload from 4096 on): no bin class block is as large. */
#define PAGE_CLASS_BLOCK ((size_t)4096 + HDR)

/* Block size of cache list idx: a small bucket's, or a medium class's. */
#define LIST_BLOCK(idx) ((idx) < NUM_BUCKETS ? BUCKET_SIZE(idx) : class_payload[(idx) - NUM_BUCKETS] + HDR)

size_t zmm_heap_class_block(unsigned c)
{
	return c < ZMM_HEAP_NUM_CLASSES ? class_payload[c] + HDR : 0;
}

/*** Bit helpers ***/

ZMM_NOASAN static inline unsigned zmm_low_bit(uint64_t x)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned n = 0;
	while (!(x & 1)) { x >>= 1; n++; }
	return n;
#endif
}

ZMM_NOASAN static inline unsigned zmm_high_bit(uint64_t x)
{
#if defined(__GNUC__)
	return 63u - (unsigned)__builtin_clzll(x);
#else
	unsigned n = 0;
	while (x >>= 1) { n++; }
	return n;
#endif
}

/*** Segment side bitmap of block starts ***/

ZMM_NOASAN static inline size_t seg_off(const zmm_segment_t *seg, const void *p)
{
	return (size_t)((const char *)p - (const char *)seg);
}

/* Bit k of seg->starts is set when a block's payload starts at offset 8k (its header at 8k - 16), so
 * the inline cache push tests the pointer it was given without subtracting (zmm_heap_cache_push). */
ZMM_NOASAN static inline void start_set(zmm_segment_t *seg, const zmm_block_t *b)
{
	size_t o = seg_off(seg, PAYLOAD(b)) >> 3;
	seg->starts[o >> 6] |= (uint64_t)1 << (o & 63);
}

ZMM_NOASAN static inline void start_clear(zmm_segment_t *seg, const zmm_block_t *b)
{
	size_t o = seg_off(seg, PAYLOAD(b)) >> 3;
	seg->starts[o >> 6] &= ~((uint64_t)1 << (o & 63));
}

ZMM_NOASAN static inline int start_test(const zmm_segment_t *seg, const zmm_block_t *b)
{
	return zmm_heap_is_payload_start(seg->starts, seg_off(seg, PAYLOAD(b)));
}

/* Bytes of start bitmap a segment of size bytes needs. */
ZMM_NOASAN static inline size_t starts_bytes(size_t size)
{
	return ((size >> 3) + 63) / 64 * sizeof(uint64_t);
}

/*** Error reporting ***/

ZMM_NOASAN static ZMM_COLD void heap_report(zmm_heap_t *heap, zmm_heap_error_kind_t kind, int fatal, const char *op,
                                 const void *ptr, const zmm_segment_t *seg, size_t block_size,
                                 size_t damaged, const char *fmt, ...)
{
	char msg[512];
	zmm_heap_error_t err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	err.kind = kind;
	err.fatal = fatal;
	err.operation = op;
	err.ptr = ptr;
	err.segment_size = seg ? seg->size : 0;
	err.segment_offset = seg ? seg_off(seg, ptr) : 0;
	err.block_size = block_size;
	err.damaged_bytes = damaged;
	err.message = msg;
	if (fatal || kind == ZMM_ERROR_HEADER_DAMAGED || kind == ZMM_ERROR_OVERFLOW || kind == ZMM_ERROR_CORRUPTED) {
		heap->counters.corruptions++;
	} else {
		heap->counters.invalid_frees++;
	}
	if (heap->hooks.error) {
		HOOK_CALL(heap->hooks.error(heap->hooks.ctx, heap, &err));
	}
	if (fatal) {
		abort();
	}
}

/* Safe unlinking and other structural checks that, when they fail, mean the heap's own metadata
 * was overwritten: nothing can be trusted any more. */
ZMM_NOASAN static ZMM_COLD void heap_corrupted(zmm_heap_t *heap, const char *op, const void *where, const char *what)
{
	zmm_segment_t *seg = zmm_storage_find(heap->storage, where);
	heap_report(heap, ZMM_ERROR_CORRUPTED, 1, op, where, seg, 0, 0,
	            "heap corrupted during %s: %s (block at offset %zu of a %zu-byte segment)",
	            op, what, seg ? seg_off(seg, where) : (size_t)0, seg ? seg->size : (size_t)0);
}

/*** Protection: header cookie, canary, trailer ***/

/* The trailer is the last two words of a protected block: the requested size (masked with the
 * secret) and a cookie over the block address, its size word and the requested size. The canary is
 * the 8 bytes right after the requested size. */
ZMM_NOASAN static inline uint64_t prot_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

ZMM_NOASAN static inline size_t prot_cookie(const zmm_heap_t *heap, const zmm_block_t *b, size_t sizeword, size_t req)
{
	return (size_t)prot_mix((uint64_t)(uintptr_t)b ^ heap->secret ^ ((uint64_t)(sizeword & ~F_FLAG) << 20) ^ req);
}

ZMM_NOASAN static inline void prot_canary(const zmm_heap_t *heap, const zmm_block_t *b, unsigned char out[8])
{
	uint64_t c = prot_mix((uint64_t)(uintptr_t)b + heap->secret) | 0x0101010101010101ULL;
	memcpy(out, &c, 8);
}

ZMM_NOASAN static void prot_write(const zmm_heap_t *heap, zmm_block_t *b, size_t req)
{
	size_t bs = BSIZE(b);
	size_t *trailer = (size_t *)((char *)b + bs) - 2;
	unsigned char canary[8];

	prot_canary(heap, b, canary);
	memcpy((char *)PAYLOAD(b) + req, canary, 8);
	trailer[0] = req ^ (size_t)heap->secret;
	trailer[1] = prot_cookie(heap, b, b->size, req);
}

/* Requested size of a protected block, or (size_t)-1 if its trailer does not match its header. */
ZMM_NOASAN static size_t prot_requested(const zmm_heap_t *heap, const zmm_block_t *b)
{
	size_t bs = BSIZE(b);
	const size_t *trailer = (const size_t *)((const char *)b + bs) - 2;
	size_t req = trailer[0] ^ (size_t)heap->secret;

	if (req > bs - HDR - ZMM_HEAP_PROTECTION_EXTRA || trailer[1] != prot_cookie(heap, b, b->size, req)) {
		return (size_t)-1;
	}
	return req;
}

/* Checks a live block's cookie and canary. Returns 0 if intact; otherwise reports and returns 1
 * (header) or 2 (overflow). */
ZMM_NOASAN static int prot_verify(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b, const char *op)
{
	size_t req = prot_requested(heap, b);
	unsigned char canary[8];
	const unsigned char *at;
	size_t i, damaged = 0;

	if (req == (size_t)-1) {
		heap_report(heap, ZMM_ERROR_HEADER_DAMAGED, 0, op, PAYLOAD(b), seg, BSIZE(b), HDR,
		            "%s of a block at offset %zu of a %zu-byte segment: the block header was overwritten "
		            "(cookie mismatch; the bytes before the block's payload were damaged)",
		            op, seg_off(seg, PAYLOAD(b)), seg->size);
		return 1;
	}
	prot_canary(heap, b, canary);
	at = (const unsigned char *)PAYLOAD(b) + req;
	for (i = 0; i < 8; i++) {
		if (at[i] != canary[i]) {
			damaged++;
		}
	}
	if (damaged) {
		heap_report(heap, ZMM_ERROR_OVERFLOW, 0, op, PAYLOAD(b), seg, BSIZE(b), damaged,
		            "%s of a %zu-byte block (%zu bytes requested) at offset %zu of a %zu-byte segment: "
		            "buffer overflow, %s%zu byte(s) after the requested size overwritten",
		            op, BSIZE(b), req, seg_off(seg, PAYLOAD(b)), seg->size, damaged == 8 ? "at least " : "", damaged);
		return 2;
	}
	return 0;
}

/*** Block and list primitives ***/

/* Writes a block's size word and the next block's prev tag. */
ZMM_NOASAN static inline void set_block(zmm_block_t *b, size_t size, size_t type)
{
	b->size = size | type;
	AT(b, size)->prev = size | type;
}

ZMM_NOASAN static inline int is_first_block(const zmm_segment_t *seg, const zmm_block_t *b)
{
	return (const char *)b == (const char *)seg + SEG_HDR;
}

ZMM_NOASAN static inline int is_guard(const zmm_block_t *b)
{
	return (b->size & T_MASK) == T_GUARD;
}

ZMM_NOASAN static void small_link(zmm_heap_t *heap, zmm_free_block_t *fb, unsigned idx)
{
	zmm_free_block_t *head = &heap->small_heads[idx];
	zmm_free_block_t *next = head->next_free;   /* newest at head->next, oldest at head->prev */

	fb->prev_free = head;
	fb->next_free = next;
	next->prev_free = fb;
	head->next_free = fb;
	heap->free_bitmap |= (uint64_t)1 << idx;
}

/* May the heap follow a free-list or trie link to q? It must be one of the heap's own list heads or
 * trie slots, or lie inside a segment of this heap, 8-aligned. Checked before every link is
 * followed on the slow paths, so a use-after-free write into a free block is reported, not obeyed. */
ZMM_NOASAN static int link_ok_aligned(const zmm_heap_t *heap, const void *q, size_t align)
{
	const char *c = (const char *)q;
	zmm_segment_t *seg;

	if (c >= (const char *)heap && c < (const char *)heap + sizeof(*heap)) {
		return 1;
	}
	if (((uintptr_t)q & (align - 1)) != 0) {
		return 0;
	}
	seg = zmm_storage_find(heap->storage, q);
	return seg != NULL && seg->owner == heap && (size_t)(c - (const char *)seg) >= SEG_HDR
	       && (size_t)(c - (const char *)seg) + 2 * sizeof(void *) <= seg->size - HDR;
}

/* A block link: 8-aligned. */
#define link_ok(heap, q) link_ok_aligned((heap), (q), ZMM_HEAP_ALIGNMENT)
/* A trie parent slot (&node->child[i] or a root): only pointer-aligned; child[1] is at offset 28 on
 * ILP32, 4 mod 8. */
#define slot_ok(heap, q) link_ok_aligned((heap), (q), sizeof(void *))

ZMM_NOASAN static void list_unlink(zmm_heap_t *heap, zmm_free_block_t *fb, const char *op)
{
	zmm_free_block_t *prev = fb->prev_free, *next = fb->next_free;

	if (ZMM_UNLIKELY(!link_ok(heap, prev) || !link_ok(heap, next))) {
		heap_corrupted(heap, op, fb, "a free block's list links were overwritten (use after free?)");
	}
	if (ZMM_UNLIKELY(prev->next_free != fb || next->prev_free != fb)) {
		heap_corrupted(heap, op, fb, "free list links do not point back at the block");
	}
	prev->next_free = next;
	next->prev_free = prev;
}

static void rest_link(zmm_heap_t *heap, zmm_free_block_t *fb);
static void large_link(zmm_heap_t *heap, zmm_free_block_t *fb);

/* Puts a FREE block (header already written) into the small lists or the trie. */
ZMM_NOASAN static void free_link(zmm_heap_t *heap, zmm_free_block_t *fb)
{
	size_t bs = BSIZE(&fb->info);
	if (bs < MAX_SMALL) {
		small_link(heap, fb, BUCKET_OF(bs));
	} else {
		large_link(heap, fb);
	}
}

static void large_unlink(zmm_heap_t *heap, zmm_free_block_t *fb, const char *op);

/* Takes a FREE block out of whatever structure holds it. */
ZMM_NOASAN static void free_unlink(zmm_heap_t *heap, zmm_free_block_t *fb, const char *op)
{
	size_t bs = BSIZE(&fb->info);

	if (fb == heap->dv) {
		heap->dv = NULL;                        /* in no list: it just stops being the victim */
	} else if (fb->info.size & F_FLAG) {
		list_unlink(heap, fb, op);
		fb->info.size &= ~F_FLAG;
		heap->rest_count--;
		heap->rest_bytes -= bs;
	} else if (bs < MAX_SMALL) {
		unsigned idx = BUCKET_OF(bs);
		list_unlink(heap, fb, op);
		if (heap->small_heads[idx].next_free == &heap->small_heads[idx]) {
			heap->free_bitmap &= ~((uint64_t)1 << idx);
		}
	} else {
		large_unlink(heap, fb, op);
	}
}

/* Gives the designated victim, if there is one, back to the small lists or the trie. */
ZMM_NOASAN static void dv_release(zmm_heap_t *heap)
{
	zmm_free_block_t *dv = heap->dv;

	if (dv != NULL) {
		heap->dv = NULL;
		free_link(heap, dv);
	}
}

/*** Large blocks: bitwise tries ***/

ZMM_NOASAN static void large_link(zmm_heap_t *heap, zmm_free_block_t *fb)
{
	size_t size = BSIZE(&fb->info);
	unsigned idx = zmm_high_bit(size);
	zmm_free_block_t **slot = &heap->large_roots[idx];
	zmm_free_block_t *node;
	size_t key;

	fb->child[0] = fb->child[1] = NULL;
	if (*slot == NULL) {
		heap->large_bitmap |= (uint64_t)1 << idx;
		*slot = fb;
		fb->parent = slot;
		fb->prev_free = fb->next_free = fb;
		return;
	}
	key = size << (NUM_BUCKETS - idx);       /* drop the leading 1; next bit on top */
	node = *slot;
	for (;;) {
		if (BSIZE(&node->info) == size) {     /* same size: join the node's sibling ring */
			zmm_free_block_t *next = node->next_free;
			fb->parent = NULL;
			fb->prev_free = node;
			fb->next_free = next;
			next->prev_free = fb;
			node->next_free = fb;
			return;
		}
		slot = &node->child[key >> (NUM_BUCKETS - 1)];
		key <<= 1;
		if (*slot == NULL) {
			*slot = fb;
			fb->parent = slot;
			fb->prev_free = fb->next_free = fb;
			return;
		}
		node = *slot;
	}
}

ZMM_NOASAN static void large_unlink(zmm_heap_t *heap, zmm_free_block_t *fb, const char *op)
{
	zmm_free_block_t *repl, **rp;

	if (ZMM_UNLIKELY(!link_ok(heap, fb->prev_free) || !link_ok(heap, fb->next_free)
	                 || (fb->parent && !slot_ok(heap, fb->parent))
	                 || (fb->child[0] && !link_ok(heap, fb->child[0])) || (fb->child[1] && !link_ok(heap, fb->child[1])))) {
		heap_corrupted(heap, op, fb, "a large free block's links were overwritten (use after free?)");
	}
	if (fb->next_free != fb) {                   /* has same-size siblings */
		zmm_free_block_t *prev = fb->prev_free, *next = fb->next_free;
		if (ZMM_UNLIKELY(prev->next_free != fb || next->prev_free != fb)) {
			heap_corrupted(heap, op, fb, "large free block sibling links do not point back at the block");
		}
		prev->next_free = next;
		next->prev_free = prev;
		if (fb->parent != NULL) {                 /* it was the trie node: a sibling takes its place */
			if (ZMM_UNLIKELY(*fb->parent != fb)) {
				heap_corrupted(heap, op, fb, "large free block's parent slot does not point at it");
			}
			*fb->parent = next;
			next->parent = fb->parent;
			next->child[0] = fb->child[0];
			next->child[1] = fb->child[1];
			if (next->child[0]) next->child[0]->parent = &next->child[0];
			if (next->child[1]) next->child[1]->parent = &next->child[1];
		}
		return;
	}

	if (ZMM_UNLIKELY(fb->parent == NULL || *fb->parent != fb)) {
		heap_corrupted(heap, op, fb, "large free block's parent slot does not point at it");
	}
	if (fb->child[1] || fb->child[0]) {
		/* replace by a leaf found below it, preferring child[1] */
		rp = fb->child[1] ? &fb->child[1] : &fb->child[0];
		repl = *rp;
		while (repl->child[1] || repl->child[0]) {
			rp = repl->child[1] ? &repl->child[1] : &repl->child[0];
			repl = *rp;
		}
		*rp = NULL;
		*fb->parent = repl;
		repl->parent = fb->parent;
		repl->child[0] = fb->child[0];
		repl->child[1] = fb->child[1];
		if (repl->child[0]) repl->child[0]->parent = &repl->child[0];
		if (repl->child[1]) repl->child[1]->parent = &repl->child[1];
	} else {
		*fb->parent = NULL;
		if (fb->parent >= &heap->large_roots[0] && fb->parent < &heap->large_roots[NUM_BUCKETS]) {
			heap->large_bitmap &= ~((uint64_t)1 << (unsigned)(fb->parent - &heap->large_roots[0]));
		}
	}
}

/* Smallest node of a subtree (leftmost path holds it). */
ZMM_NOASAN static zmm_free_block_t *large_subtree_min(zmm_free_block_t *p, zmm_free_block_t *best)
{
	for (; p; p = p->child[p->child[0] ? 0 : 1]) {
		if (best == NULL || BSIZE(&p->info) < BSIZE(&best->info)) {
			best = p;
		}
	}
	return best;
}

/* Largest node of a subtree (rightmost path holds it). */
ZMM_NOASAN static size_t large_subtree_max(const zmm_free_block_t *p)
{
	size_t best = 0;
	for (; p; p = p->child[p->child[1] ? 1 : 0]) {
		if (BSIZE(&p->info) > best) {
			best = BSIZE(&p->info);
		}
	}
	return best;
}

/* Best fit: the smallest free large block of at least true_size bytes. Prefers a sibling of the
 * trie node so the trie is left alone. */
ZMM_NOASAN static zmm_free_block_t *large_search(zmm_heap_t *heap, size_t true_size)
{
	unsigned idx = zmm_high_bit(true_size);
	uint64_t bitmap = heap->large_bitmap >> idx;
	zmm_free_block_t *p, *best = NULL, *rst = NULL;
	size_t key;

	if (bitmap == 0) {
		return NULL;
	}
	if (bitmap & 1) {
		p = heap->large_roots[idx];
		key = true_size << (NUM_BUCKETS - idx);
		for (;;) {
			size_t ps = BSIZE(&p->info);
			unsigned dir;
			if (ps == true_size) {
				return p->next_free;
			}
			if (ps > true_size && (best == NULL || ps < BSIZE(&best->info))) {
				best = p;
			}
			dir = (unsigned)(key >> (NUM_BUCKETS - 1));
			key <<= 1;
			if (dir == 0 && p->child[1]) {
				rst = p->child[1];
			}
			p = p->child[dir];
			if (p == NULL) {
				break;
			}
		}
		best = large_subtree_min(rst, best);
		if (best) {
			return best->next_free;
		}
	}
	bitmap >>= 1;
	if (bitmap == 0) {
		return NULL;
	}
	idx += 1 + zmm_low_bit(bitmap);
	best = large_subtree_min(heap->large_roots[idx], NULL);
	return best->next_free;
}

/*** Rest list ***/

ZMM_NOASAN static void rest_link(zmm_heap_t *heap, zmm_free_block_t *fb)
{
	zmm_free_block_t *head = &heap->rest_head;

	while (heap->rest_count >= ZMM_HEAP_MAX_REST_BLOCKS) {
		/* evict the oldest into the ordinary free structures */
		zmm_free_block_t *old = head->next_free;
		free_unlink(heap, old, "alloc");
		free_link(heap, old);
	}
	fb->info.size |= F_FLAG;
	fb->next_free = head;                     /* append at the tail: FIFO */
	fb->prev_free = head->prev_free;
	head->prev_free->next_free = fb;
	head->prev_free = fb;
	heap->rest_count++;
	heap->rest_bytes += BSIZE(&fb->info);
}

/* Exact fit from the newest, else best fit. Only used close to the limit. */
ZMM_NOASAN static zmm_free_block_t *rest_search(zmm_heap_t *heap, size_t true_size)
{
	zmm_free_block_t *head = &heap->rest_head, *p, *best = NULL;

	for (p = head->prev_free; p != head; p = p->prev_free) {
		size_t ps = BSIZE(&p->info);
		if (ps == true_size) {
			return p;
		}
		if (ps > true_size && (best == NULL || ps < BSIZE(&best->info))) {
			best = p;
		}
	}
	return best;
}

/*** Segments ***/

ZMM_NOASAN static void segment_link(zmm_heap_t *heap, zmm_segment_t *seg)
{
	seg->owner = heap;
	zmm_storage_segment_publish(heap->storage, seg); /* the registry's copies of owner and starts */
	seg->prev = NULL;
	seg->next = heap->segments;
	if (heap->segments) {
		heap->segments->prev = seg;
	}
	heap->segments = seg;
	heap->real_size += seg->size;
	if (heap->real_size > heap->real_peak) {
		heap->real_peak = heap->real_size;
	}
	heap->segments_count++;
	if (heap->segments_count > heap->peak_segments) {
		heap->peak_segments = heap->segments_count;
	}
}

ZMM_NOASAN static void segment_unlink(zmm_heap_t *heap, zmm_segment_t *seg)
{
	if (seg->prev) {
		seg->prev->next = seg->next;
	} else {
		heap->segments = seg->next;
	}
	if (seg->next) {
		seg->next->prev = seg->prev;
	}
	heap->real_size -= seg->size;
	heap->segments_count--;
}

/* Gives a segment that is no longer in the heap's list back to storage. */
ZMM_NOASAN static void segment_give_back(zmm_heap_t *heap, zmm_segment_t *seg)
{
	uint64_t *starts = seg->starts;

	ann_segment(heap, seg, seg->size, 1);
	seg->starts = NULL;
	seg->starts_len = 0;
	seg->owner = NULL;
	heap->counters.segments_released++;
	zmm_storage_segment_free(heap->storage, seg);
	free(starts);                               /* after the registry entries that copy it are gone */
}

ZMM_NOASAN static void segment_release(zmm_heap_t *heap, zmm_segment_t *seg)
{
	segment_unlink(heap, seg);
	segment_give_back(heap, seg);
}

/* Lays out an empty segment: one free-able block spanning the usable area (returned, not linked), and
 * the guard. */
ZMM_NOASAN static zmm_block_t *segment_format(zmm_heap_t *heap, zmm_segment_t *seg)
{
	zmm_block_t *b = (zmm_block_t *)((char *)seg + SEG_HDR);
	size_t bs = seg->size - SEG_HDR - HDR;
	zmm_block_t *guard = AT(b, bs);

	memset(seg->starts, 0, seg->starts_len);
	ann_segment(heap, seg, seg->size, 0);
	b->prev = T_GUARD;
	guard->size = HDR | T_GUARD;
	set_block(b, bs, T_FREE);
	start_set(seg, b);
	return b;
}

/* The limit hook (the caller checks that there is one) and the oom hook (if any), called outside
 * the annotation windows: either may longjmp. */
ZMM_NOASAN static zmm_heap_limit_action_t limit_hook(zmm_heap_t *heap, size_t request, size_t size)
{
	zmm_heap_limit_action_t a;
	HOOK_CALL_RET(a, heap->hooks.limit(heap->hooks.ctx, heap, request, size));
	return a;
}

ZMM_NOASAN static void oom_hook(zmm_heap_t *heap, size_t request, size_t needed)
{
	if (heap->hooks.oom) {
		HOOK_CALL(heap->hooks.oom(heap->hooks.ctx, heap, request, needed));
	}
}

/* Takes a new segment of size bytes, linked but not formatted (its start bitmap holds garbage until
 * segment_format). Returns NULL after the limit or oom hook said so. */
ZMM_NOASAN static zmm_segment_t *segment_new(zmm_heap_t *heap, size_t size, size_t request, int *retry)
{
	zmm_segment_t *seg;

	*retry = 0;
	if (ZMM_UNLIKELY(heap->real_size + size > heap->limit || heap->real_size + size < heap->real_size)) {
		if (heap->fast.cached) {
			zmm_heap_flush_cache(heap);
			*retry = 1;
			return NULL;
		}
		if (heap->hooks.limit == NULL || limit_hook(heap, request, size) == ZMM_LIMIT_FAIL) {
			heap->counters.limit_refusals++;
			return NULL;
		}
	}
	seg = zmm_storage_segment_alloc(heap->storage, size);
	if (seg) {
		seg->starts_len = starts_bytes(size);
		/* not zeroed here: both callers format the segment at once, which clears it */
		seg->starts = (uint64_t *)malloc(seg->starts_len);
		if (seg->starts == NULL) {
			zmm_storage_segment_free(heap->storage, seg);
			seg = NULL;
		}
	}
	if (seg == NULL) {
		if (heap->fast.cached) {
			zmm_heap_flush_cache(heap);
			*retry = 1;
			return NULL;
		}
		oom_hook(heap, request, size);
		return NULL;
	}
	heap->counters.segments_allocated++;
	segment_link(heap, seg);
	return seg;
}

/*** Allocation ***/

/* The block a request needs before rounding to a medium class: max(32, align8(size + extra + 16)),
 * or 0 on overflow. */
ZMM_NOASAN static inline size_t exact_size_of(const zmm_heap_t *heap, size_t size)
{
	size_t t = size + heap->extra + HDR + ZMM_HEAP_ALIGNMENT - 1;
	if (ZMM_UNLIKELY(t < size)) {
		return 0;                              /* overflow */
	}
	t &= ~(size_t)(ZMM_HEAP_ALIGNMENT - 1);
	return t < MIN_BLOCK ? MIN_BLOCK : t;
}

ZMM_NOASAN static inline size_t true_size_of(const zmm_heap_t *heap, size_t size)
{
	size_t t = exact_size_of(heap, size);
	if (t > MAX_CLASS_BLOCK || t < MAX_SMALL || !heap->options.size_classes) {
		return t;
	}
	/* a medium request: its class's block */
	return LIST_BLOCK(zmm_heap_list_of_request[(t - HDR) / ZMM_HEAP_ALIGNMENT]);
}

/* The cache list that keeps a freed block of bs bytes (a multiple of 8), or -1: not small, and not
 * a medium class's size (or size classes off), or below the smallest block (a damaged size word). */
ZMM_NOASAN static inline int list_of_block(const zmm_heap_t *heap, size_t bs)
{
	if (bs - MIN_BLOCK <= MAX_CLASS_BLOCK - MIN_BLOCK) {
		unsigned idx = zmm_heap_list_of_block[BUCKET_OF(bs)];
		if (idx < heap->fast.lists) {
			return (int)idx;
		}
	}
	return -1;
}

/* Where block_take puts the tail of a split. */
#define TAKE_TAIL_LISTS  0   /* the small lists or the trie */
#define TAKE_TAIL_REST   1   /* the rest list (the tail of a new huge segment) */
#define TAKE_TAIL_VICTIM 2   /* a refill's tail: the designated victim, if it is large and in a
                              * standard segment (else the lists) */

/* The designated victim (dlmalloc's name): the tail of the last refill's split stays out of the
 * free lists, and the next small or medium miss that no exact small list serves carves its batch
 * from it, without a trie search, an unlink and a relink of the new tail. A page-like request made
 * about 400 such refills per request from the kept segment. Every path that finds it by its
 * boundary tags (a merge, an in-place realloc) takes it through free_unlink, which just forgets
 * it; a large request, and a new segment, first give it back to the lists. */
#define DV_MIN         MAX_SMALL

/* Marks b (a FREE block already unlinked, of bs bytes) USED with true_size bytes; the tail, if big
 * enough, becomes a free block where to_rest (TAKE_TAIL_*) says. */
ZMM_NOASAN static void block_take(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b, size_t bs, size_t true_size, int to_rest)
{
	size_t rem = bs - true_size;

	if (rem >= MIN_BLOCK) {
		zmm_block_t *r = AT(b, true_size);
		set_block(b, true_size, T_USED);
		set_block(r, rem, T_FREE);
		start_set(seg, r);
		if (to_rest == TAKE_TAIL_REST) {
			rest_link(heap, (zmm_free_block_t *)r);
		} else if (to_rest == TAKE_TAIL_VICTIM && rem >= DV_MIN && seg->size == heap->segment_size) {
			dv_release(heap);                       /* the previous victim joins the lists */
			heap->dv = (zmm_free_block_t *)r;
		} else {
			free_link(heap, (zmm_free_block_t *)r);
		}
		bs = true_size;
	} else {
		set_block(b, bs, T_USED);
	}
	heap->size += bs;
	if (heap->size > heap->peak) {
		heap->peak = heap->size;
	}
}

ZMM_NOASAN static int medium_flush(zmm_heap_t *heap);

ZMM_NOASAN static inline void *block_hand_out(zmm_heap_t *heap, zmm_block_t *b, size_t size)
{
	if (ZMM_UNLIKELY(heap->slow)) {
		if (heap->extra) {
			prot_write(heap, b, size);
		}
		if (heap->annotate) {
			ann_handout(heap, PAYLOAD(b), size);
		}
	}
	return PAYLOAD(b);
}

/* Takes the newest block off cache list idx (which must not be empty); it is USED again. */
ZMM_NOASAN static inline zmm_block_t *cache_pop(zmm_heap_t *heap, unsigned idx)
{
	zmm_heap_cached_t *c = heap->fast.cache[idx];

	heap->fast.cache[idx] = c->next;
	c->size &= ~F_FLAG;
	heap->fast.cached -= LIST_BLOCK(idx);
	heap->fast.cache_hits[idx]++;
	return (zmm_block_t *)(void *)c;
}

/* Puts the USED block b (bs bytes, list_of_block(bs) >= 0) on its list's cache; the caller counts it. */
ZMM_NOASAN static inline void cache_link(zmm_heap_t *heap, zmm_block_t *b, size_t bs)
{
	zmm_heap_cached_t *c = (zmm_heap_cached_t *)(void *)b;
	unsigned idx = (unsigned)list_of_block(heap, bs);

	c->size |= F_FLAG;
	c->next = heap->fast.cache[idx];
	heap->fast.cache[idx] = c;
	heap->fast.cached += bs;
}

/* A free served by the cache. */
ZMM_NOASAN static inline void cache_push(zmm_heap_t *heap, zmm_block_t *b, size_t bs)
{
	cache_link(heap, b, bs);
	heap->fast.cache_pushes++;
}

/* A small or medium miss carves up to REFILL_MAX blocks (REFILL_BYTES at most) of its size from the free block
 * it found, hands out the first and puts the others on the cache, so a growing heap pays one free
 * list search, unlink and split per batch instead of per block (what a bin page does in Zend MM 7+).
 * Not in general mode, where every block handed out must be announced to the tools one by one. */
#define REFILL_MAX     32
#define REFILL_BYTES   4096
#define REFILL_GROWTH  2   /* doublings of the batch for a size that keeps missing (slow start) */

/* Takes the free block b (bs bytes, unlinked) for a request of true_size bytes: block_take, plus
 * the refill for a small or medium one. */
ZMM_NOASAN static void block_take_refill(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b, size_t bs, size_t true_size)
{
	size_t n = 1, room, i;
	int list = -1;

	if (heap->options.refill && !heap->slow && heap->fast.cached < heap->fast.cache_limit
	    && (list = list_of_block(heap, true_size)) >= 0) {
		/* slow start: the first refill of a list takes one batch, each later one twice the last,
		 * up to REFILL_GROWTH doublings, so a size in steady demand pays a few slow paths per
		 * request, not one per batch, and a size used once wastes no more than one batch */
		unsigned rounds = heap->refill_rounds[list];
		if (rounds < REFILL_GROWTH) {
			heap->refill_rounds[list] = (unsigned char)(rounds + 1);
		}
		n = ((size_t)REFILL_BYTES << rounds) / true_size;
		n = n > ((size_t)REFILL_MAX << rounds) ? ((size_t)REFILL_MAX << rounds) : n;
		n = n > bs / true_size ? bs / true_size : n;
		room = (heap->fast.cache_limit - heap->fast.cached) / true_size + 1;
		n = n > room ? room : n;
		if (bs - n * true_size != 0 && bs - n * true_size < MIN_BLOCK) {
			n--;                                /* leave a tail that block_take can split off */
		}
	}
	if (n <= 1) {
		block_take(heap, seg, b, bs, true_size, list >= 0 ? TAKE_TAIL_VICTIM : TAKE_TAIL_LISTS);
		return;
	}
	block_take(heap, seg, b, bs, n * true_size, TAKE_TAIL_VICTIM);
	{
		/* blocks 1 .. n-1 onto the cache, the highest first out: what set_block, start_set and
		 * cache_link would do block by block, with the list, the tags and the bit position kept
		 * in registers */
		unsigned idx = (unsigned)list;
		zmm_heap_cached_t *head = heap->fast.cache[idx], *c = (zmm_heap_cached_t *)(void *)b;
		size_t word = true_size | T_USED, bit = seg_off(seg, PAYLOAD(b)) >> 3, step = true_size >> 3;
		uint64_t *starts = seg->starts;

		b->size = word;
		for (i = 1; i < n; i++) {
			c = (zmm_heap_cached_t *)(void *)((char *)c + true_size);
			bit += step;
			c->prev = word;
			c->size = word | F_FLAG;
			c->next = head;
			head = c;
			starts[bit >> 6] |= (uint64_t)1 << (bit & 63);
		}
		AT(c, true_size)->prev = word;
		heap->fast.cache[idx] = head;
		heap->fast.cached += (n - 1) * true_size;
	}
	heap->cache_refills += n - 1;               /* refills are not frees: not cache_pushes */
}

/* The slow path for every request the cache could not serve. */
ZMM_NOASAN ZMM_NOINLINE static void *alloc_slow(zmm_heap_t *heap, size_t size, size_t true_size)
{
	zmm_free_block_t *fb;
	zmm_segment_t *seg;
	size_t usable = heap->segment_size - SEG_HDR - HDR;
	int retry;

	if (ZMM_UNLIKELY(true_size == 0)) {
		heap->alloc_failures++;
		oom_hook(heap, size, (size_t)-1);
		return NULL;
	}
again:
	if (heap->dv != NULL && true_size <= MAX_CLASS_BLOCK && BSIZE(&heap->dv->info) >= true_size
	    && !(true_size < MAX_SMALL && ((heap->free_bitmap >> BUCKET_OF(true_size)) & 1))) {
		fb = heap->dv;                              /* no exact small fit: carve from the victim */
		heap->counters.victim_hits++;
		goto found;
	}
	if (true_size < MAX_SMALL) {
		uint64_t bits = heap->free_bitmap >> BUCKET_OF(true_size);
		if (bits) {
			unsigned idx = BUCKET_OF(true_size) + zmm_low_bit(bits);
			fb = heap->small_heads[idx].prev_free;      /* the oldest: FIFO */
			heap->counters.small_list_hits++;
			goto found;
		}
	}
	fb = large_search(heap, true_size);
	if (fb) {
		heap->counters.large_search_hits++;
		goto found;
	}
	if (heap->rest_count && heap->limit != ZMM_HEAP_NO_LIMIT && heap->real_size + heap->segment_size >= heap->limit) {
		fb = rest_search(heap, true_size);
		if (fb) {
			heap->counters.rest_hits++;
			goto found;
		}
	}

	/* a new standard segment: first the medium classes give their cached blocks back, which may merge
	 * into room (unlike small blocks, they pin enough of a segment to split the free space that large
	 * requests need: without this, bench/workloads/page.php's 32 KiB buffers found no room and its
	 * requests took 42 segments each instead of 7) */
	if (true_size <= usable && medium_flush(heap)) {
		goto again;
	}
	if (heap->dv != NULL) {
		dv_release(heap);                           /* it may hold the room a large request searched for */
		goto again;
	}

	/* a new segment */
	if (true_size > usable) {
		size_t segsize = (true_size + SEG_HDR + HDR + heap->segment_size - 1) & ~(heap->segment_size - 1);
		if (segsize < true_size) {                  /* overflow */
			heap->alloc_failures++;
			oom_hook(heap, size, (size_t)-1);
			return NULL;
		}
		seg = segment_new(heap, segsize, size, &retry);
		if (seg == NULL) {
			if (retry) goto again;
			heap->alloc_failures++;
			return NULL;
		}
		heap->counters.huge_allocs++;
		{
			zmm_block_t *b = segment_format(heap, seg);
			block_take(heap, seg, b, BSIZE(b), true_size, 1);
			return block_hand_out(heap, b, size);
		}
	}
	seg = segment_new(heap, heap->segment_size, size, &retry);
	if (seg == NULL) {
		if (retry) goto again;
		heap->alloc_failures++;
		return NULL;
	}
	{
		zmm_block_t *b = segment_format(heap, seg);
		block_take_refill(heap, seg, b, BSIZE(b), true_size);
		return block_hand_out(heap, b, size);
	}

found:
	{
		zmm_block_t *b = &fb->info;
		size_t bs = BSIZE(b);
		seg = zmm_storage_find(heap->storage, b);
		if (ZMM_UNLIKELY(seg == NULL || seg->owner != heap || !start_test(seg, b) || (b->size & T_MASK) != T_FREE
		                 || bs < true_size || bs > (size_t)((char *)seg + seg->size - HDR - (char *)b)
		                 || AT(b, bs)->prev != (b->size & ~F_FLAG))) {
			heap_corrupted(heap, "alloc", b, "a block taken from the free lists is not a consistent free block");
		}
		free_unlink(heap, fb, "alloc");
		block_take_refill(heap, seg, b, bs, true_size);
		return block_hand_out(heap, b, size);
	}
}

/* Every allocation that the inline fast path does not take: protection, annotation, large. */
ZMM_NOASAN ZMM_NOINLINE static void *alloc_general(zmm_heap_t *heap, size_t size)
{
	size_t req = size + heap->extra;
	void *p;

	ANN_ENTER(heap);
	if (req >= size && (req <= ZMM_HEAP_MAX_SMALL_REQUEST
	                    || (req <= ZMM_HEAP_MAX_CLASS_REQUEST && heap->options.size_classes))) {
		unsigned idx = zmm_heap_list_of_request[(req + ZMM_HEAP_ALIGNMENT - 1) / ZMM_HEAP_ALIGNMENT];
		if (heap->fast.cache[idx] != NULL) {
			p = block_hand_out(heap, cache_pop(heap, idx), size);
		} else {
			heap->cache_misses[idx]++;
			p = alloc_slow(heap, size, LIST_BLOCK(idx));
		}
	} else {
		heap->large_allocs++;
		p = alloc_slow(heap, size, true_size_of(heap, size));
	}
	ANN_LEAVE(heap);
	return p;
}

ZMM_NOASAN void *zmm_heap_alloc(zmm_heap_t *heap, size_t size)
{
	void *p = zmm_heap_cache_pop(heap, size);       /* the inline hit path (zmm_heap.h) */

	if (ZMM_LIKELY(p != NULL)) {
		return p;
	}
	if (ZMM_LIKELY(size < heap->fast.fast_limit)) {
		/* small or medium, no protection, no annotation, cache empty */
		unsigned idx = zmm_heap_list_of_request[(size + ZMM_HEAP_ALIGNMENT - 1) / ZMM_HEAP_ALIGNMENT];
		heap->cache_misses[idx]++;
		return alloc_slow(heap, size, LIST_BLOCK(idx));
	}
	return alloc_general(heap, size);
}

/*** Free ***/

/* The containing block of an address inside a segment's block area (error path only): the last
 * block whose payload starts at or before it. */
ZMM_NOASAN static ZMM_COLD zmm_block_t *containing_block(const zmm_segment_t *seg, const void *addr)
{
	size_t o = seg_off(seg, addr) >> 3;
	size_t w = o >> 6;
	uint64_t bits = seg->starts[w] & (((uint64_t)2 << (o & 63)) - 1);

	for (;;) {
		if (bits) {
			return BLOCK_OF((char *)seg + ((w * 64 + zmm_high_bit(bits)) << 3));
		}
		if (w == 0) {
			return NULL;
		}
		bits = seg->starts[--w];
	}
}

/* Explains why ptr is not a live block, through the error hook. */
ZMM_NOASAN static ZMM_COLD void report_invalid(zmm_heap_t *heap, zmm_segment_t *seg, void *ptr, const char *op)
{
	char *base = (char *)seg;
	zmm_block_t *b = BLOCK_OF(ptr);
	size_t off = seg_off(seg, ptr);

	if (((uintptr_t)ptr & (ZMM_HEAP_ALIGNMENT - 1)) == 0
	    && (char *)b >= base + SEG_HDR && (char *)b + MIN_BLOCK <= base + seg->size - HDR
	    && start_test(seg, b)) {
		size_t bs = BSIZE(b);
		if ((b->size & T_MASK) == T_FREE) {
			heap_report(heap, ZMM_ERROR_DOUBLE_FREE, 0, op, ptr, seg, bs, 0,
			            "%s of %p (offset %zu of a %zu-byte segment): double free of a %zu-byte block that is already free",
			            op, ptr, off, seg->size, bs);
		} else if (b->size & F_FLAG) {
			heap_report(heap, ZMM_ERROR_CACHED_FREE, 0, op, ptr, seg, bs, 0,
			            "%s of %p (offset %zu of a %zu-byte segment): double free of a %zu-byte block that is in the cache",
			            op, ptr, off, seg->size, bs);
		} else if (bs >= MIN_BLOCK && bs <= (size_t)(base + seg->size - HDR - (char *)b)) {
			heap_report(heap, ZMM_ERROR_HEADER_DAMAGED, 0, op, ptr, seg, bs, HDR,
			            "%s of %p (offset %zu of a %zu-byte segment): the block header or the next block's tag is "
			            "damaged (size word 0x%zx, next block's tag 0x%zx: an overflow of this block?)",
			            op, ptr, off, seg->size, b->size, AT(b, bs)->prev);
		} else {
			heap_report(heap, ZMM_ERROR_HEADER_DAMAGED, 0, op, ptr, seg, bs, HDR,
			            "%s of %p (offset %zu of a %zu-byte segment): the block header is damaged "
			            "(size word 0x%zx: no block of that size fits here)",
			            op, ptr, off, seg->size, b->size);
		}
		return;
	}
	if ((char *)ptr >= base + SEG_HDR + HDR && (char *)ptr < base + seg->size - HDR) {
		zmm_block_t *c = containing_block(seg, ptr);
		if (c) {
			size_t cs = BSIZE(c);
			int is_free = (c->size & T_MASK) == T_FREE;
			heap_report(heap, is_free ? ZMM_ERROR_DOUBLE_FREE : ZMM_ERROR_INTERIOR_POINTER, 0, op, ptr, seg, cs, 0,
			            "%s of %p (offset %zu of a %zu-byte segment): not the start of a block; it points %zu bytes "
			            "into the payload of a %s %zu-byte block at offset %zu%s",
			            op, ptr, off, seg->size, (size_t)((char *)ptr - (char *)PAYLOAD(c)),
			            is_free ? "free" : ((c->size & F_FLAG) ? "cached" : "used"), cs, seg_off(seg, c),
			            is_free ? " (a double free of a block that was merged, or a stale pointer)" : "");
			return;
		}
	}
	heap_report(heap, ZMM_ERROR_INTERIOR_POINTER, 0, op, ptr, seg, 0, 0,
	            "%s of %p (offset %zu of a %zu-byte segment): not a block of the heap (segment header or guard area)",
	            op, ptr, off, seg->size);
}

/* Is b a live (USED, not cached) block of seg whose tags agree? */
ZMM_NOASAN static inline int block_is_live(const zmm_segment_t *seg, const zmm_block_t *b)
{
	const char *base = (const char *)seg;

	if (ZMM_UNLIKELY(((uintptr_t)b & (ZMM_HEAP_ALIGNMENT - 1)) != 0
	                 || (const char *)b < base + SEG_HDR || (const char *)b + MIN_BLOCK > base + seg->size - HDR)) {
		return 0;
	}
	if (ZMM_UNLIKELY(!start_test(seg, b) || (b->size & (T_MASK | F_FLAG)) != T_USED)) {
		return 0;
	}
	if (ZMM_UNLIKELY(BSIZE(b) < MIN_BLOCK || BSIZE(b) > (size_t)(base + seg->size - HDR - (const char *)b)
	                 || AT(b, BSIZE(b))->prev != b->size)) {
		return 0;
	}
	return 1;
}

/* Frees a live block for real: merge, release an empty segment, or link. */
ZMM_NOASAN ZMM_NOINLINE static void block_release(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b)
{
	size_t bs = BSIZE(b);
	zmm_block_t *next = AT(b, bs);

	heap->size -= bs;
	if ((next->size & T_MASK) == T_FREE) {
		size_t ns = BSIZE(next);
		if (ZMM_UNLIKELY(!start_test(seg, next) || ns < MIN_BLOCK
		                 || ns > (size_t)((char *)seg + seg->size - HDR - (char *)next)
		                 || AT(next, ns)->prev != (next->size & ~F_FLAG))) {
			heap_corrupted(heap, "free", next, "the next block's header is damaged (overflow of this block?)");
		}
		free_unlink(heap, (zmm_free_block_t *)next, "free");
		start_clear(seg, next);
		bs += BSIZE(next);
	}
	if ((b->prev & T_USED) == 0) {
		zmm_block_t *prev = (zmm_block_t *)((char *)b - (b->prev & SIZE_MASK));
		if (ZMM_UNLIKELY(!start_test(seg, prev) || (prev->size & ~F_FLAG) != b->prev)) {
			heap_corrupted(heap, "free", b, "the previous block's header does not match this block's prev tag");
		}
		free_unlink(heap, (zmm_free_block_t *)prev, "free");
		start_clear(seg, b);
		bs += BSIZE(prev);
		b = prev;
	}
	if (is_first_block(seg, b) && is_guard(AT(b, bs))) {
		segment_release(heap, seg);
		return;
	}
	set_block(b, bs, T_FREE);
	free_link(heap, (zmm_free_block_t *)b);
}

/* The real free of a live block that does not go to the cache: check the tags it is about to
 * trust, then merge and link. */
ZMM_NOASAN ZMM_NOINLINE static int free_release(zmm_heap_t *owner, zmm_segment_t *seg, zmm_block_t *b)
{
	if (ZMM_UNLIKELY(!block_is_live(seg, b))) {
		report_invalid(owner, seg, PAYLOAD(b), "free");
		return ZMM_FREE_INVALID;
	}
	owner->counters.frees++;
	block_release(owner, seg, b);
	return ZMM_FREE_OK;
}

/* Frees the live block b (bs bytes) of seg in heap: onto its list's cache while the cache is below
 * its cap, else for real (merge, release an empty segment, or link). Counted as a free. */
ZMM_NOASAN static void free_live(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b, size_t bs)
{
	if (heap->fast.cached < heap->fast.cache_limit && list_of_block(heap, bs) >= 0) {
		cache_push(heap, b, bs);
	} else {
		heap->counters.frees++;
		block_release(heap, seg, b);
	}
}

/* Free with protection and/or annotation on, or a pointer the fast path did not like. */
ZMM_NOASAN ZMM_NOINLINE static int free_general(zmm_heap_t *owner, zmm_segment_t *seg, void *ptr, int verify)
{
	zmm_block_t *b = BLOCK_OF(ptr);
	size_t bs;
	int rc = ZMM_FREE_INVALID;

	ANN_ENTER(owner);
	if (!block_is_live(seg, b)) {
		report_invalid(owner, seg, ptr, "free");
		goto out;
	}
	bs = BSIZE(b);
	if (owner->extra) {
		size_t req = prot_requested(owner, b);
		if (verify && prot_verify(owner, seg, b, "free") == 1) {
			goto out;                          /* header damaged: do not trust it, leave the block */
		}
		memset(PAYLOAD(b), 0x5A, req == (size_t)-1 ? 0 : req);
	}
	ann_takeback(owner, PAYLOAD(b), bs - HDR);
	free_live(owner, seg, b, bs);
	rc = ZMM_FREE_OK;
out:
	ANN_LEAVE(owner);
	return rc;
}

/* Everything the inline free does not finish: a large block, a full cache, protection or annotation,
 * or a pointer that is not the payload start of a live block (explained through the error hook). */
ZMM_NOASAN int zmm_heap_free_at(zmm_segment_t *seg, void *ptr)
{
	zmm_heap_t *owner = (zmm_heap_t *)seg->owner;
	size_t off = seg_off(seg, ptr);
	zmm_block_t *b = BLOCK_OF(ptr);

	if (ZMM_UNLIKELY(owner->slow | (off & (ZMM_HEAP_ALIGNMENT - 1)) | (off < SEG_HDR + HDR))) {
		return free_general(owner, seg, ptr, 1);
	}
	if (ZMM_UNLIKELY(!start_test(seg, b) || (b->size & (T_MASK | F_FLAG)) != T_USED)) {
		return free_general(owner, seg, ptr, 1);
	}
	/* small or medium, and live (a damaged size word or next tag goes to free_release, which reports it) */
	if (list_of_block(owner, BSIZE(b)) >= 0 && owner->fast.cached < owner->fast.cache_limit && block_is_live(seg, b)) {
		cache_push(owner, b, BSIZE(b));
		return ZMM_FREE_OK;
	}
	return free_release(owner, seg, b);
}

ZMM_NOASAN int zmm_heap_free(zmm_heap_t *heap, void *ptr)
{
	const zmm_registry_entry_t *e = zmm_storage_entry(heap->storage, ptr);

	if (e == NULL) {
		return ptr == NULL ? ZMM_FREE_OK : ZMM_FREE_FOREIGN;
	}
	if (zmm_heap_cache_push(e, ptr)) {
		return ZMM_FREE_OK;
	}
	return zmm_heap_free_at(e->seg, ptr);
}

/*** Realloc ***/

/* Is b the only block of its segment apart from a free tail (a whole-segment block)? */
ZMM_NOASAN static inline int is_whole_segment(const zmm_segment_t *seg, const zmm_block_t *b)
{
	const zmm_block_t *next = AT(b, BSIZE(b));
	return is_first_block(seg, b)
	       && (is_guard(next) || ((next->size & T_MASK) == T_FREE && is_guard(AT(next, BSIZE(next)))));
}

/* Resizes the segment of a whole-segment block b (see is_whole_segment) so that b gets true_size
 * bytes; the tail goes to the rest list. Returns the block (maybe moved), or NULL with everything
 * unchanged (*retry set when the cache was flushed to make room: the caller starts over). */
ZMM_NOASAN static zmm_block_t *segment_resize(zmm_heap_t *heap, zmm_segment_t *seg, zmm_block_t *b, size_t true_size,
                                   size_t request, int *retry)
{
	size_t old_seg = seg->size, orig = BSIZE(b);
	size_t new_seg = (true_size + SEG_HDR + HDR + heap->segment_size - 1) & ~(heap->segment_size - 1);
	zmm_block_t *next = AT(b, orig);
	int next_free = !is_guard(next), next_rest = next_free && (next->size & F_FLAG);
	zmm_segment_t *moved;
	size_t nlen, area, rem;

	*retry = 0;
	/* overflow, or more than the registry's address range: no storage could give it, so say so
	 * before growing the start bitmap to match */
	if (new_seg < true_size || (new_seg >> (ZMM_REGISTRY_ADDRESS_BITS - 1)) != 0) {
		oom_hook(heap, request, (size_t)-1);
		return NULL;
	}
	if (new_seg > old_seg && (heap->real_size + (new_seg - old_seg) > heap->limit)) {
		if (heap->fast.cached) {
			zmm_heap_flush_cache(heap);
			*retry = 1;
			return NULL;
		}
		if (heap->hooks.limit == NULL
		    || limit_hook(heap, request, new_seg - old_seg) == ZMM_LIMIT_FAIL) {
			heap->counters.limit_refusals++;
			return NULL;
		}
	}
	nlen = starts_bytes(new_seg);
	if (nlen > seg->starts_len) {
		uint64_t *ns = (uint64_t *)realloc(seg->starts, nlen);
		if (ns == NULL) {
			oom_hook(heap, request, new_seg);
			return NULL;
		}
		seg->starts = ns;
		seg->starts_len = nlen;
		zmm_storage_segment_publish(heap->storage, seg); /* the old bitmap is gone */
	}
	if (next_free) {
		free_unlink(heap, (zmm_free_block_t *)next, "realloc");
	}
	moved = zmm_storage_segment_realloc(heap->storage, seg, new_seg);
	if (moved == NULL) {
		if (next_free) {
			if (next_rest) rest_link(heap, (zmm_free_block_t *)next); else free_link(heap, (zmm_free_block_t *)next);
		}
		oom_hook(heap, request, new_seg);
		return NULL;
	}
	if (moved != seg) {
		if (moved->prev) moved->prev->next = moved; else heap->segments = moved;
		if (moved->next) moved->next->prev = moved;
		seg = moved;
		b = (zmm_block_t *)((char *)seg + SEG_HDR);
	}
	heap->real_size = heap->real_size - old_seg + new_seg;
	if (heap->real_size > heap->real_peak) {
		heap->real_peak = heap->real_size;
	}
	/* the segment now holds b and maybe a tail: rebuild its start bits and guard */
	memset(seg->starts, 0, seg->starts_len);
	start_set(seg, b);
	area = new_seg - SEG_HDR - HDR;
	b->prev = T_GUARD;
	AT(b, area)->size = HDR | T_GUARD;
	heap->size -= orig;
	rem = area - true_size;
	if (rem >= MIN_BLOCK) {
		zmm_block_t *r = AT(b, true_size);
		set_block(b, true_size, T_USED);
		set_block(r, rem, T_FREE);
		start_set(seg, r);
		rest_link(heap, (zmm_free_block_t *)r);
		heap->size += true_size;
	} else {
		set_block(b, area, T_USED);
		heap->size += area;
	}
	if (heap->size > heap->peak) {
		heap->peak = heap->size;
	}
	return b;
}

ZMM_NOASAN static size_t payload_bytes(const zmm_heap_t *heap, const zmm_block_t *b)
{
	if (heap->extra) {
		size_t req = prot_requested(heap, b);
		return req == (size_t)-1 ? 0 : req;
	}
	return BSIZE(b) - HDR;
}

static void *realloc_impl(zmm_heap_t *heap, void *ptr, size_t size);

/* With size classes, large blocks are resized in steps of a page, as Zend MM 7 sizes them in pages:
 * a realloc that a large block already fits with less than a page to spare keeps it, and a large
 * block that grows in place takes whole pages when the room is there, so that the next appends of
 * a growing string (`.=`) cost no split and no list work. */
#define REALLOC_STEP   ZMM_HEAP_REALLOC_STEP

/* The size a large block growing in place to true_size takes out of room bytes (its own and its
 * free neighbour's): true_size rounded up to REALLOC_STEP if that leaves a splittable tail. */
ZMM_NOASAN static inline size_t grow_size(const zmm_heap_t *heap, size_t true_size, size_t room)
{
	size_t r = (true_size + REALLOC_STEP - 1) & ~(REALLOC_STEP - 1);
	return (heap->options.size_classes && true_size > MAX_CLASS_BLOCK && r >= true_size && r + MIN_BLOCK <= room)
	       ? r : true_size;
}

/* Everything the realloc fast paths below do not finish: realloc_impl inside the annotation bracket.
 * Out of line, and reached by tail calls, so that zmm_heap_realloc_at needs no stack frame. */
ZMM_NOASAN ZMM_NOINLINE static void *realloc_general(zmm_heap_t *heap, void *ptr, size_t size)
{
	void *np;

	ANN_ENTER(heap);
	np = realloc_impl(heap, ptr, size);
	ANN_LEAVE(heap);
	return np;
}

/* PHP 5's cache swap, for realloc_fast: the live block at ptr (size word word = size | USED, cache
 * list oidx) moves to list nidx, whose cache holds a block: copy into that block, which leaves the
 * cache, and cache the old one in its place. Growth (PHP 5) and, with size classes, shrinking: a
 * block that shrinks into another list keeps its own block's size available, as Zend MM 7 moves a
 * shrinking element to the smaller bin. */
ZMM_NOASAN ZMM_NOINLINE static void *realloc_swap(zmm_heap_t *heap, void *ptr, size_t word, unsigned oidx, unsigned nidx)
{
	zmm_heap_cached_t *nc = heap->fast.cache[nidx], *oc = (zmm_heap_cached_t *)(void *)BLOCK_OF(ptr);
	size_t ns = nc->size & ~F_FLAG;             /* the new block's size | USED */

	heap->fast.cache[nidx] = nc->next;          /* before the copy overwrites the link */
	memcpy((char *)nc + HDR, ptr, (ns < word ? ns : word) - T_USED - HDR);
	nc->size = ns;
	oc->size = word | F_FLAG;
	oc->next = heap->fast.cache[oidx];
	heap->fast.cache[oidx] = oc;
	heap->fast.cached -= ns - word;
	heap->fast.cache_hits[nidx]++;
	heap->fast.cache_pushes++;
	heap->counters.reallocs++;
	return (char *)nc + HDR;
}

/* realloc_fast's shrink of a medium class's block (bs bytes) into a smaller list whose cache is
 * empty: a new block for size bytes, the data copied, and the old block freed (into its class's
 * cache, if there is room), as Zend MM 7 moves a shrinking element to its smaller bin. Splitting the
 * class block in place instead would leave its class's cache empty: page.php allocated 127 blocks
 * of 2048 bytes per request, each cut down to a few hundred bytes, and every one of them missed.
 * Only when no limit can refuse the new block (a shrink must not fail on the limit); else the
 * general path splits in place. Counted as one alloc and one free besides the realloc, as a move. */
ZMM_NOASAN ZMM_NOINLINE static void *realloc_shrink_class(zmm_heap_t *heap, zmm_segment_t *seg, void *ptr, size_t size, size_t bs)
{
	void *np;

	if (heap->limit != ZMM_HEAP_NO_LIMIT && heap->real_size + heap->segment_size > heap->limit) {
		return realloc_general(heap, ptr, size);
	}
	np = zmm_heap_alloc(heap, size);
	if (np == NULL) {
		return realloc_general(heap, ptr, size);
	}
	memcpy(np, ptr, size);
	heap->counters.reallocs++;
	free_live(heap, seg, BLOCK_OF(ptr), bs);
	return np;
}

/* The realloc fast path, for a ptr inside seg that belongs to heap in fast mode and a new size in
 * the small (or medium) range: a live block of a bucket's or class's size (zmm_heap_live_list: the
 * checks of block_is_live) whose new size falls in its own list is returned as it is; one that moves
 * to a list whose cache holds a block is swapped with that block (realloc_swap; a shrink only while
 * the cache is below its cap); a class block that shrinks into a list with an empty cache is moved
 * (realloc_shrink_class), and a small one is split in place by the general path, as PHP 5 did. A
 * page class's block (4096 bytes and up) that shrinks is always split in place: its tail is worth
 * keeping as free space, and a move would copy it.
 * Everything else goes to realloc_general, which does it (and reports) with the full checks. Same
 * results and counters as realloc_impl, without its preamble. */
ZMM_NOASAN static inline void *realloc_fast(zmm_heap_t *heap, const zmm_registry_entry_t *e, void *ptr, size_t size)
{
	size_t bs, oidx;
	unsigned nidx;

	if (zmm_heap_live_list(e, ptr, &heap->fast.lists, &oidx, &bs)) {
		nidx = zmm_heap_list_of_request[(size + ZMM_HEAP_ALIGNMENT - 1) / ZMM_HEAP_ALIGNMENT];
		if (nidx == oidx) {
			heap->counters.reallocs++;
			return ptr;
		}
		if (nidx > oidx) {
			if (heap->fast.cache[nidx] != NULL) {
				return realloc_swap(heap, ptr, bs, (unsigned)oidx, nidx);
			}
		} else {
			/* a page class's block gives its tail back in place (as Zend MM frees the tail pages of
			 * a run), rather than copying up to 28 KiB into a smaller block */
			if (bs - T_USED >= PAGE_CLASS_BLOCK) {
				return realloc_general(heap, ptr, size);
			}
			/* a shrink: the swap caches the bigger block, so only below the cap, as a push */
			if (heap->fast.cache[nidx] != NULL && heap->fast.cached < heap->fast.cache_limit) {
				return realloc_swap(heap, ptr, bs, (unsigned)oidx, nidx);
			}
			if (oidx >= ZMM_HEAP_NUM_BUCKETS) {
				return realloc_shrink_class(heap, e->seg, ptr, size, bs - T_USED);
			}
		}
	}
	return realloc_general(heap, ptr, size);
}

/* The other realloc fast path: a string or array growing at the head of its own huge segment into
 * the rest tail behind it (what `.=` does to a megabyte string, again and again). b is live, of orig
 * bytes (zmm_heap_live_size), and true_size is above orig. The tail's header moves forward and, as in
 * the general path, becomes the newest rest block; there is no split, no free-list dispatch and no
 * second lookup. Every tag and link it relies on is checked as block_release and list_unlink check
 * them; anything else (and any damage, which realloc_impl then reports) goes to realloc_general. */
ZMM_NOASAN ZMM_NOINLINE static void *realloc_grow_rest(zmm_heap_t *heap, zmm_segment_t *seg, void *ptr, size_t size,
                                                      size_t orig, size_t true_size)
{
	zmm_block_t *b = BLOCK_OF(ptr), *next, *after;
	zmm_free_block_t *fb, *nf, *p, *n, *head;
	size_t ns, rem, end = seg->size - HDR;

	if (!is_first_block(seg, b)) {
		return realloc_general(heap, ptr, size);
	}
	next = AT(b, orig);
	if ((next->size & (T_MASK | F_FLAG)) != (T_FREE | F_FLAG)) {
		return realloc_general(heap, ptr, size);
	}
	ns = BSIZE(next);
	if (ns < MIN_BLOCK || ns > end - SEG_HDR - orig || !start_test(seg, next)) {
		return realloc_general(heap, ptr, size);
	}
	after = AT(next, ns);
	if (after->prev != (next->size & ~F_FLAG) || !is_guard(after)
	    || orig + ns < true_size || orig + ns - true_size < MIN_BLOCK) {
		return realloc_general(heap, ptr, size);
	}
	true_size = grow_size(heap, true_size, orig + ns);
	fb = (zmm_free_block_t *)next;
	p = fb->prev_free;
	n = fb->next_free;
	if (p == fb || n == fb || !link_ok(heap, p) || !link_ok(heap, n) || p->next_free != fb || n->prev_free != fb) {
		return realloc_general(heap, ptr, size);
	}
	rem = orig + ns - true_size;
	p->next_free = n;                            /* out of its place ... */
	n->prev_free = p;
	start_clear(seg, next);
	b->size = true_size | T_USED;
	nf = (zmm_free_block_t *)AT(b, true_size);   /* may overlap the old header: fields read above */
	nf->info.prev = true_size | T_USED;
	nf->info.size = rem | T_FREE | F_FLAG;
	head = &heap->rest_head;                     /* ... and in as the newest, as rest_link does */
	nf->next_free = head;
	nf->prev_free = head->prev_free;
	head->prev_free->next_free = nf;
	head->prev_free = nf;
	after->prev = rem | T_FREE;
	start_set(seg, &nf->info);
	heap->rest_bytes -= true_size - orig;
	heap->size += true_size - orig;
	if (heap->size > heap->peak) {
		heap->peak = heap->size;
	}
	heap->counters.reallocs++;
	return ptr;
}

/* The fast paths for a large new size (fast mode: no protection extra, so the true size is the
 * request plus the header, 8-aligned): a live block that grows tries realloc_grow_rest; one that
 * already fits the size with less than REALLOC_STEP to spare is kept (size classes on). */
ZMM_NOASAN static inline void *realloc_large(zmm_heap_t *heap, const zmm_registry_entry_t *e, void *ptr, size_t size)
{
	size_t orig = zmm_heap_live_size(e, ptr);
	/* size is above the classes here (fast_limit), so this is true_size_of's result, or below size
	 * on overflow */
	size_t true_size = (size + HDR + ZMM_HEAP_ALIGNMENT - 1) & SIZE_MASK;

	if (orig != 0 && true_size > size) {
		if (true_size > orig) {
			return realloc_grow_rest(heap, e->seg, ptr, size, orig, true_size);
		}
		if (heap->options.size_classes && orig - true_size < REALLOC_STEP) {
			heap->counters.reallocs++;
			return ptr;
		}
	}
	return realloc_general(heap, ptr, size);
}

ZMM_NOASAN void *zmm_heap_realloc_at(zmm_heap_t *heap, const zmm_registry_entry_t *e, void *ptr, size_t size)
{
	if (e != NULL && e->owner == heap) {
		if (size < heap->fast.fast_limit) {
			return realloc_fast(heap, e, ptr, size);
		}
		if (!heap->slow) {
			return realloc_large(heap, e, ptr, size);
		}
	}
	return realloc_general(heap, ptr, size);
}

ZMM_NOASAN void *zmm_heap_realloc(zmm_heap_t *heap, void *ptr, size_t size)
{
	return zmm_heap_realloc_at(heap, ptr ? zmm_storage_entry(heap->storage, ptr) : NULL, ptr, size);
}

ZMM_NOASAN static void *realloc_impl(zmm_heap_t *heap, void *ptr, size_t size)
{
	zmm_segment_t *seg;
	zmm_heap_t *owner;
	zmm_block_t *b, *next;
	size_t orig, true_size;
	void *np;
	int nlist;

	if (ptr == NULL) {
		return zmm_heap_alloc(heap, size);
	}
	seg = zmm_storage_find(heap->storage, ptr);
	if (seg == NULL) {
		heap_report(heap, ZMM_ERROR_FOREIGN_POINTER, 0, "realloc", ptr, NULL, 0, 0,
		            "realloc of %p: the pointer is not in any segment of this heap's storage", ptr);
		return zmm_heap_alloc(heap, size);
	}
	owner = (zmm_heap_t *)seg->owner;
	b = BLOCK_OF(ptr);
	if (ZMM_UNLIKELY(!block_is_live(seg, b))) {
		report_invalid(owner, seg, ptr, "realloc");
		return zmm_heap_alloc(heap, size);
	}
	if (ZMM_UNLIKELY(owner->extra) && prot_verify(owner, seg, b, "realloc") == 1) {
		return zmm_heap_alloc(heap, size);
	}
	heap->counters.reallocs++;
	if (owner != heap || heap->annotate) {
		/* another heap's block, or annotations on (a move keeps the tools' view exact) */
		size_t keep = payload_bytes(owner, b);
#ifdef ZMM_ASAN
		if (owner->annotate & ANN_ASAN) {
			/* only the requested bytes are addressable: copy up to the first poisoned byte */
			const char *bad = (const char *)__asan_region_is_poisoned(ptr, keep);
			if (bad) keep = (size_t)(bad - (const char *)ptr);
		}
#endif
		np = zmm_heap_alloc(heap, size);
		if (np) {
			memcpy(np, ptr, keep < size ? keep : size);
			free_general(owner, seg, ptr, 0);    /* verified above: report damage once */
		}
		return np;
	}
	orig = BSIZE(b);
	true_size = true_size_of(heap, size);
	if (ZMM_UNLIKELY(true_size == 0)) {
		oom_hook(heap, size, (size_t)-1);
		return NULL;
	}
	if (true_size > orig && exact_size_of(heap, size) <= orig) {
		/* a block of no class's size in the medium range (an unsplittable tail made it) that holds
		 * the new size already, though the size's class would not fit in it: keep it */
		true_size = orig;
	}
	next = AT(b, orig);

	if (true_size <= orig) {
		/* shrink: a huge whole-segment block gives segment space back through storage */
		if (orig > heap->segment_size - SEG_HDR - HDR && is_whole_segment(seg, b)) {
			size_t new_seg = (true_size + SEG_HDR + HDR + heap->segment_size - 1) & ~(heap->segment_size - 1);
			if (new_seg < seg->size) {
				int retry;
				zmm_block_t *nb = segment_resize(heap, seg, b, true_size, size, &retry);
				if (nb) {
					return block_hand_out(heap, nb, size);
				}
				/* storage could not shrink it: shrink in place below */
			}
		}
		if (orig - true_size >= MIN_BLOCK) {
			zmm_block_t *r = AT(b, true_size);
			size_t rem = orig - true_size;
			if ((next->size & T_MASK) == T_FREE) {
				free_unlink(heap, (zmm_free_block_t *)next, "realloc");
				start_clear(seg, next);
				rem += BSIZE(next);
			}
			set_block(b, true_size, T_USED);
			set_block(r, rem, T_FREE);
			start_set(seg, r);
			free_link(heap, (zmm_free_block_t *)r);
			heap->size -= orig - true_size;
		}
		return block_hand_out(heap, b, size);
	}

	/* grow, small or medium target: swap with a cached block (PHP 5's cache swap) */
	nlist = list_of_block(heap, true_size);
	if (nlist >= 0 && heap->fast.cache[nlist] != NULL && list_of_block(heap, orig) >= 0) {
		unsigned idx = (unsigned)nlist;
		size_t keep = payload_bytes(heap, b);
		zmm_block_t *nb = cache_pop(heap, idx);
		memcpy(PAYLOAD(nb), ptr, keep);
		if (heap->extra) {
			memset(ptr, 0x5A, keep);
		}
		cache_push(heap, b, orig);
		return block_hand_out(heap, nb, size);
	}

	/* grow in place into a free next block */
	if ((next->size & T_MASK) == T_FREE && orig + BSIZE(next) >= true_size) {
		size_t total = orig + BSIZE(next);
		int to_rest = is_first_block(seg, b) && is_guard(AT(next, BSIZE(next)));
		free_unlink(heap, (zmm_free_block_t *)next, "realloc");
		start_clear(seg, next);
		heap->size -= orig;
		block_take(heap, seg, b, total, grow_size(heap, true_size, total), to_rest);
		return block_hand_out(heap, b, size);
	}

	/* grow a whole-segment block through storage (mremap) */
	if (is_whole_segment(seg, b)) {
		int retry;
		zmm_block_t *nb = segment_resize(heap, seg, b, true_size, size, &retry);
		if (nb) {
			return block_hand_out(heap, nb, size);
		}
		if (retry) {
			/* the cache was flushed to make room: start over, the neighbourhood may have changed */
			heap->counters.reallocs--;
			return realloc_impl(heap, ptr, size);
		}
		return NULL;
	}

	/* move: counted as one alloc and one free besides the realloc */
	np = zmm_heap_alloc(heap, size);
	if (np == NULL) {
		return NULL;
	}
	{
		size_t keep = payload_bytes(heap, b);
		memcpy(np, ptr, keep < size ? keep : size);
	}
	free_general(heap, seg, ptr, 0);
	return np;
}

ZMM_NOASAN size_t zmm_heap_block_size(zmm_heap_t *heap, const void *ptr)
{
	zmm_segment_t *seg = zmm_storage_find(heap->storage, ptr);
	const zmm_block_t *b;

	if (seg == NULL || ptr == NULL) {
		return 0;
	}
	b = BLOCK_OF(ptr);
	{
		size_t n;
		zmm_heap_t *owner = (zmm_heap_t *)seg->owner;
		ANN_ENTER(owner);
		n = block_is_live(seg, b) ? payload_bytes(owner, b) : 0;
		ANN_LEAVE(owner);
#ifdef ZMM_ASAN
		if (n && (owner->annotate & ANN_ASAN)) {
			/* only the requested bytes are unpoisoned: report those, as ASan's malloc_usable_size does */
			const char *bad = (const char *)__asan_region_is_poisoned((void *)ptr, n);
			if (bad) n = (size_t)(bad - (const char *)ptr);
		}
#endif
		return n;
	}
}

/*** Cache flush, gc, reset ***/

/* Turns the cached blocks of lists [from, to) into free blocks. */
ZMM_NOASAN static void flush_lists(zmm_heap_t *heap, unsigned from, unsigned to)
{
	unsigned i;

	for (i = from; i < to; i++) {
		zmm_heap_cached_t *c = heap->fast.cache[i];
		heap->fast.cache[i] = NULL;
		while (c) {
			zmm_heap_cached_t *nx = c->next;
			zmm_block_t *b = (zmm_block_t *)(void *)c;
			zmm_segment_t *seg = zmm_storage_find(heap->storage, c);
			if (ZMM_UNLIKELY(seg == NULL || (b->size & (T_MASK | F_FLAG)) != (T_USED | F_FLAG))) {
				heap_corrupted(heap, "gc", c, "a cached block is not marked as cached");
			}
			b->size &= ~F_FLAG;
			heap->fast.cached -= BSIZE(b);
			heap->cache_dropped++;
			block_release(heap, seg, b);
			c = nx;
		}
	}
}

ZMM_NOASAN size_t zmm_heap_flush_cache(zmm_heap_t *heap)
{
	size_t flushed = heap->fast.cached;

	ANN_ENTER(heap);
	flush_lists(heap, 0, CACHE_LISTS);
	ANN_LEAVE(heap);
	return flushed;
}

/* Before the heap grows by a standard segment: flushes the medium lists if any holds a block; returns 1 if so. */
ZMM_NOASAN static int medium_flush(zmm_heap_t *heap)
{
	unsigned i;

	for (i = NUM_BUCKETS; i < CACHE_LISTS; i++) {
		if (heap->fast.cache[i] != NULL) {
			flush_lists(heap, NUM_BUCKETS, CACHE_LISTS);
			heap->counters.medium_flushes++;
			return 1;
		}
	}
	return 0;
}

ZMM_NOASAN void zmm_heap_set_cache_limit(zmm_heap_t *heap, size_t cache_limit)
{
	heap->fast.cache_limit = cache_limit;
	heap->fast.push_limit = heap->slow ? 0 : cache_limit;
	heap->options.cache_limit = cache_limit;
	if (heap->fast.cached > cache_limit) {
		zmm_heap_flush_cache(heap);
	}
}

ZMM_NOASAN size_t zmm_heap_gc(zmm_heap_t *heap)
{
	size_t before = heap->real_size;
	size_t pooled = zmm_storage_pool_bytes(heap->storage);

	zmm_heap_flush_cache(heap);
	zmm_storage_compact(heap->storage);
	return (before - heap->real_size) + pooled;
}

ZMM_NOASAN /* Blocks in the cache, derived from counters so the hot paths update one counter less. */
ZMM_NOASAN static size_t cached_blocks_of(const zmm_heap_t *heap)
{
	uint64_t pops = 0;
	unsigned i;
	for (i = 0; i < CACHE_LISTS; i++) {
		pops += heap->fast.cache_hits[i];
	}
	return (size_t)(heap->fast.cache_pushes + heap->cache_refills - pops - heap->cache_dropped);
}

ZMM_NOASAN static void lists_init(zmm_heap_t *heap)
{
	unsigned i;

	memset(heap->fast.cache, 0, sizeof(heap->fast.cache));
	memset(heap->refill_rounds, 0, sizeof(heap->refill_rounds));
	for (i = 0; i < NUM_BUCKETS; i++) {
		heap->small_heads[i].prev_free = heap->small_heads[i].next_free = &heap->small_heads[i];
		heap->large_roots[i] = NULL;
	}
	heap->rest_head.prev_free = heap->rest_head.next_free = &heap->rest_head;
	heap->dv = NULL;
	heap->free_bitmap = heap->large_bitmap = 0;
	heap->rest_count = heap->rest_bytes = 0;
	heap->cache_dropped += cached_blocks_of(heap);
	heap->fast.cached = 0;
}

/* Valgrind: forget the live blocks of a segment that is about to be wiped, so memcheck neither
 * reports them as leaks nor keeps them as blocks. */
ZMM_NOASAN static void ann_forget_blocks(zmm_heap_t *heap, zmm_segment_t *seg)
{
#ifdef ZMM_VALGRIND
	zmm_block_t *b = (zmm_block_t *)((char *)seg + SEG_HDR);
	char *end = (char *)seg + seg->size - HDR;

	if (!(heap->annotate & ANN_VALGRIND)) {
		return;
	}
	while ((char *)b < end && BSIZE(b) >= MIN_BLOCK) {
		if ((b->size & (T_MASK | F_FLAG)) == T_USED) {
			VALGRIND_FREELIKE_BLOCK(PAYLOAD(b), 0);
		}
		b = AT(b, BSIZE(b));
	}
#else
	(void)heap; (void)seg;
#endif
}

ZMM_NOASAN void zmm_heap_reset(zmm_heap_t *heap, size_t keep_segments)
{
	zmm_segment_t *seg = heap->segments, *keep = NULL;
	size_t kept = 0;

	ANN_ENTER(heap);
	while (seg) {
		zmm_segment_t *nx = seg->next;
		ann_forget_blocks(heap, seg);
		if (kept < keep_segments && seg->size == heap->segment_size) {
			seg->next = keep;
			keep = seg;
			kept++;
		} else {
			segment_give_back(heap, seg);
		}
		seg = nx;
	}
	lists_init(heap);
	heap->segments = NULL;
	heap->segments_count = 0;
	heap->real_size = 0;
	heap->real_peak = 0;
	heap->size = heap->peak = 0;
	heap->peak_segments = 0;
	while (keep) {
		zmm_segment_t *nx = keep->next;
		zmm_block_t *b;
		segment_link(heap, keep);
		b = segment_format(heap, keep);
		free_link(heap, (zmm_free_block_t *)b);
		keep = nx;
	}
	ANN_LEAVE(heap);
}

/*** Lifecycle ***/

ZMM_NOASAN void zmm_heap_options_default(zmm_heap_options_t *opts)
{
	opts->cache_limit = ZMM_HEAP_CACHE_DEFAULT;
	opts->protection = 0;
	opts->limit = ZMM_HEAP_NO_LIMIT;
	opts->refill = 1;
	opts->size_classes = 1;
}

ZMM_NOASAN static uint64_t heap_secret(const void *seed)
{
	uint64_t s = (uint64_t)(uintptr_t)seed ^ (uint64_t)(uintptr_t)&heap_secret;
	FILE *f = fopen("/dev/urandom", "rb");
	if (f) {
		uint64_t r;
		if (fread(&r, sizeof(r), 1, f) == 1) {
			s ^= r;
		}
		fclose(f);
	}
	s = prot_mix(s);
	return s ? s : 0x9e3779b97f4a7c15ULL;
}

ZMM_NOASAN zmm_heap_t *zmm_heap_create(zmm_storage_t *storage, const zmm_heap_options_t *opts, const zmm_heap_hooks_t *hooks)
{
	zmm_heap_t *heap = (zmm_heap_t *)calloc(1, sizeof(*heap));

	if (heap == NULL) {
		return NULL;
	}
	zmm_heap_library_init();
	if (opts) {
		heap->options = *opts;
	} else {
		zmm_heap_options_default(&heap->options);
	}
	if (hooks) {
		heap->hooks = *hooks;
	}
	heap->storage = storage;
	heap->segment_size = storage->alignment;
	heap->fast.cache_limit = heap->options.cache_limit;
	heap->limit = heap->options.limit;
	heap->extra = heap->options.protection ? ZMM_HEAP_PROTECTION_EXTRA : 0;
	heap->annotate = ann_detect();
	heap->slow = (heap->extra != 0) || heap->annotate;
	heap->fast.fast_limit = heap->slow ? 0
	                        : (heap->options.size_classes ? ZMM_HEAP_MAX_CLASS_REQUEST : ZMM_HEAP_MAX_SMALL_REQUEST) + 1;
	heap->fast.lists = heap->options.size_classes ? CACHE_LISTS : NUM_BUCKETS;
	heap->fast.push_limit = heap->slow ? 0 : heap->fast.cache_limit;
	heap->secret = heap->options.protection ? heap_secret(heap) : 0;
	lists_init(heap);
	return heap;
}

ZMM_NOASAN void zmm_heap_destroy(zmm_heap_t *heap)
{
	if (heap == NULL) {
		return;
	}
	zmm_heap_reset(heap, 0);
	free(heap);
}

/*** Accounting ***/

ZMM_NOASAN size_t zmm_heap_true_size(const zmm_heap_t *heap, size_t size)
{
	return true_size_of(heap, size);
}

ZMM_NOASAN int zmm_heap_bucket_index(size_t true_size)
{
	if (true_size < MIN_BLOCK || true_size >= MAX_SMALL || (true_size & (ZMM_HEAP_ALIGNMENT - 1))) {
		return -1;
	}
	return (int)BUCKET_OF(true_size);
}

ZMM_NOASAN static size_t largest_free(const zmm_heap_t *heap)
{
	size_t best = 0;
	const zmm_free_block_t *p;

	if (heap->large_bitmap) {
		best = large_subtree_max(heap->large_roots[zmm_high_bit(heap->large_bitmap)]);
	} else if (heap->free_bitmap) {
		best = BUCKET_SIZE(zmm_high_bit(heap->free_bitmap));
	}
	for (p = heap->rest_head.next_free; p != &heap->rest_head; p = p->next_free) {
		if (BSIZE(&p->info) > best) {
			best = BSIZE(&p->info);
		}
	}
	if (heap->dv != NULL && BSIZE(&heap->dv->info) > best) {
		best = BSIZE(&heap->dv->info);
	}
	return best;
}

ZMM_NOASAN void zmm_heap_summary(const zmm_heap_t *heap, zmm_heap_summary_t *out)
{
	out->size = heap->size;
	out->peak = heap->peak;
	out->real_size = heap->real_size;
	out->real_peak = heap->real_peak;
	out->cached = heap->fast.cached;
	out->cached_blocks = cached_blocks_of(heap);
	out->cache_limit = heap->fast.cache_limit;
	out->limit = heap->limit;
	out->segments = heap->segments_count;
	out->peak_segments = heap->peak_segments;
	out->segment_size = heap->segment_size;
	out->free_bytes = heap->real_size - heap->size - heap->segments_count * (SEG_HDR + HDR);
	ANN_ENTER(heap);
	out->largest_free_block = largest_free(heap);
	ANN_LEAVE(heap);
	out->rest_blocks = heap->rest_count;
	out->rest_bytes = heap->rest_bytes;
	out->protection = heap->extra != 0;
}

ZMM_NOASAN void zmm_heap_counters(const zmm_heap_t *heap, zmm_heap_counters_t *out)
{
	unsigned i;

	*out = heap->counters;
	out->frees += heap->fast.cache_pushes;
	out->cache_hits = out->cache_misses = 0;
	for (i = 0; i < CACHE_LISTS; i++) {
		out->cache_hits += heap->fast.cache_hits[i];
		out->cache_misses += heap->cache_misses[i];
	}
	out->allocs = out->cache_hits + out->cache_misses + heap->large_allocs - heap->alloc_failures;
	out->cache_refills = heap->cache_refills;
}

ZMM_NOASAN size_t zmm_heap_usage(const zmm_heap_t *heap)
{
	return heap->size - heap->fast.cached;
}

ZMM_NOASAN size_t zmm_heap_real_size(const zmm_heap_t *heap)
{
	return heap->real_size;
}

ZMM_NOASAN void zmm_heap_reset_peak(zmm_heap_t *heap)
{
	heap->peak = heap->size - heap->fast.cached;
	heap->real_peak = heap->real_size;
}

ZMM_NOASAN void zmm_heap_set_limit(zmm_heap_t *heap, size_t limit)
{
	heap->limit = limit;
	heap->options.limit = limit;
}

ZMM_NOASAN zmm_storage_t *zmm_heap_storage(const zmm_heap_t *heap)
{
	return heap->storage;
}

ZMM_NOASAN const zmm_heap_options_t *zmm_heap_get_options(const zmm_heap_t *heap)
{
	return &heap->options;
}

/*** Statistics snapshot ***/

ZMM_NOASAN static void segment_walk_stats(const zmm_segment_t *seg, zmm_segment_stats_t *row)
{
	const zmm_block_t *b = (const zmm_block_t *)((const char *)seg + SEG_HDR);
	const char *end = (const char *)seg + seg->size - HDR;

	memset(row, 0, sizeof(*row));
	row->size = seg->size;
	row->overhead = SEG_HDR + HDR;
	while ((const char *)b < end) {
		size_t bs = BSIZE(b);
		if (bs < MIN_BLOCK || bs > (size_t)(end - (const char *)b)) {
			break;                             /* damaged: zmm_heap_check says where */
		}
		row->blocks++;
		if ((b->size & T_MASK) == T_FREE) {
			row->free += bs;
			row->free_blocks++;
			if (bs > row->largest_free_block) {
				row->largest_free_block = bs;
			}
		} else {
			row->used += bs;
		}
		b = AT(b, bs);
	}
}

ZMM_NOASAN static void large_count(const zmm_free_block_t *node, zmm_large_stats_t *row)
{
	const zmm_free_block_t *s;

	if (node == NULL) {
		return;
	}
	s = node;
	do {
		row->free_blocks++;
		row->free_bytes += BSIZE(&s->info);
		s = s->next_free;
	} while (s != node);
	large_count(node->child[0], row);
	large_count(node->child[1], row);
}

static int stats_impl(const zmm_heap_t *heap, zmm_heap_stats_t *out, int limited);

ZMM_NOASAN int zmm_heap_stats(const zmm_heap_t *heap, zmm_heap_stats_t *out, int limited)
{
	int rc;

	ANN_ENTER(heap);
	rc = stats_impl(heap, out, limited);
	ANN_LEAVE(heap);
	return rc;
}

ZMM_NOASAN static int stats_impl(const zmm_heap_t *heap, zmm_heap_stats_t *out, int limited)
{
	unsigned i;
	size_t classes;

	memset(out, 0, sizeof(*out));
	zmm_heap_summary(heap, &out->summary);
	zmm_heap_counters(heap, &out->counters);
	if (limited) {
		return 0;
	}
	/* one row per cache list in use: the buckets, then the classes (each takes the requests above
	 * the list before it; free blocks of a class's size are in the large tries) */
	out->class_count = heap->fast.lists - NUM_BUCKETS;
	for (i = 0; i < heap->fast.lists; i++) {
		zmm_bucket_stats_t *row = i < NUM_BUCKETS ? &out->buckets[i] : &out->classes[i - NUM_BUCKETS];
		const zmm_heap_cached_t *c;
		size_t bs = LIST_BLOCK(i);
		size_t base = HDR + heap->extra;
		row->block_size = bs;
		if (bs < base) {
			row->min_request = 1;                 /* unreachable with protection: empty range */
			row->max_request = 0;
		} else {
			row->max_request = bs - base;
			row->min_request = (i > 0 && LIST_BLOCK(i - 1) >= base) ? LIST_BLOCK(i - 1) - base + 1 : 0;
		}
		if (i < NUM_BUCKETS) {
			const zmm_free_block_t *p;
			for (p = heap->small_heads[i].next_free; p != &heap->small_heads[i]; p = p->next_free) {
				row->free_blocks++;
			}
		}
		for (c = heap->fast.cache[i]; c; c = c->next) {
			row->cached_blocks++;
		}
		row->cache_hits = heap->fast.cache_hits[i];
		row->cache_misses = heap->cache_misses[i];
	}
	classes = zmm_high_bit(heap->segment_size) + 1;
	if (heap->large_bitmap && zmm_high_bit(heap->large_bitmap) + 1 > classes) {
		classes = zmm_high_bit(heap->large_bitmap) + 1;
	}
	{
		unsigned first = zmm_high_bit(MAX_SMALL);
		out->large_classes = classes - first;
		for (i = first; i < classes; i++) {
			zmm_large_stats_t *row = &out->large[i - first];
			row->min_size = (size_t)1 << i;
			large_count(heap->large_roots[i], row);
			if (heap->dv != NULL && zmm_high_bit(BSIZE(&heap->dv->info)) == i) {
				row->free_blocks++;                 /* the designated victim counts in its class */
				row->free_bytes += BSIZE(&heap->dv->info);
			}
			out->free_blocks += row->free_blocks;
		}
	}
	for (i = 0; i < NUM_BUCKETS; i++) {
		out->free_blocks += out->buckets[i].free_blocks;
	}
	out->free_blocks += heap->rest_count;
	if (heap->segments_count) {
		const zmm_segment_t *seg;
		size_t n = 0;
		out->segments = (zmm_segment_stats_t *)malloc(heap->segments_count * sizeof(zmm_segment_stats_t));
		if (out->segments == NULL) {
			return -1;
		}
		for (seg = heap->segments; seg && n < heap->segments_count; seg = seg->next) {
			segment_walk_stats(seg, &out->segments[n++]);
		}
		out->segment_count = n;
	}
	return 0;
}

ZMM_NOASAN void zmm_heap_stats_free(zmm_heap_stats_t *stats)
{
	free(stats->segments);
	stats->segments = NULL;
	stats->segment_count = 0;
}

/*** Integrity check ***/

typedef struct check_ctx {
	const zmm_heap_t *heap;
	zmm_heap_check_cb cb;
	void *ctx;
	size_t errors;
} check_ctx_t;

ZMM_NOASAN static void check_fail(check_ctx_t *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	c->errors++;
	if (c->cb == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->cb(c->ctx, msg);
}

/* The position of seg in the heap's list (for messages), or -1. */
ZMM_NOASAN static long seg_index(const zmm_heap_t *heap, const zmm_segment_t *seg)
{
	const zmm_segment_t *s;
	long n = 0;
	for (s = heap->segments; s; s = s->next, n++) {
		if (s == seg) return n;
	}
	return -1;
}

/* Checks that a free-structure member is a FREE block of this heap with a start bit. */
ZMM_NOASAN static int check_free_member(check_ctx_t *c, const zmm_free_block_t *fb, const char *where)
{
	const zmm_heap_t *heap = c->heap;
	zmm_segment_t *seg = zmm_storage_find(heap->storage, fb);

	if (seg == NULL || seg->owner != heap) {
		check_fail(c, "%s: a member is not inside a segment of this heap", where);
		return 0;
	}
	if (!start_test(seg, &fb->info) || (fb->info.size & T_MASK) != T_FREE) {
		check_fail(c, "segment #%ld, block at offset %zu: listed in %s but not a free block (size word 0x%zx)",
		           seg_index(heap, seg), seg_off(seg, fb), where, fb->info.size);
		return 0;
	}
	return 1;
}

ZMM_NOASAN /* May the checker follow a link to q? Only if q is the list's own head or lies in a segment of this
 * heap: a damaged link must be reported, never dereferenced. */
ZMM_NOASAN static int check_link_ok(const check_ctx_t *c, const zmm_free_block_t *q, const zmm_free_block_t *head)
{
	zmm_segment_t *seg;

	if (q == NULL) {
		return 0;
	}
	if (q == head) {
		return 1;
	}
	seg = zmm_storage_find(c->heap->storage, q);
	return seg != NULL && seg->owner == c->heap
	       && ((uintptr_t)q & (ZMM_HEAP_ALIGNMENT - 1)) == 0
	       && (size_t)((const char *)q - (const char *)seg) >= SEG_HDR
	       && (size_t)((const char *)q - (const char *)seg) + MIN_BLOCK <= seg->size - HDR;
}

ZMM_NOASAN static size_t check_trie(check_ctx_t *c, const zmm_free_block_t *node, zmm_free_block_t *const *slot,
                         unsigned idx, unsigned depth, size_t *bytes)
{
	const zmm_free_block_t *s;
	size_t n = 0, limit = 1u << 20;
	char where[64];

	if (node == NULL) {
		return 0;
	}
	snprintf(where, sizeof(where), "large tree %u", idx);
	if (!check_free_member(c, node, where)) {
		return 0;
	}
	if (node->parent != slot) {
		zmm_segment_t *seg = zmm_storage_find(c->heap->storage, node);
		check_fail(c, "segment #%ld, block at offset %zu: large free block's parent link is wrong",
		           seg_index(c->heap, seg), seg_off(seg, node));
	}
	if (zmm_high_bit(BSIZE(&node->info)) != idx || BSIZE(&node->info) < MAX_SMALL) {
		zmm_segment_t *seg = zmm_storage_find(c->heap->storage, node);
		check_fail(c, "segment #%ld, block at offset %zu: a %zu-byte block is in large tree %u",
		           seg_index(c->heap, seg), seg_off(seg, node), BSIZE(&node->info), idx);
	}
	s = node;
	do {
		if (s != node && (s->parent != NULL || BSIZE(&s->info) != BSIZE(&node->info) || !check_free_member(c, s, where))) {
			zmm_segment_t *seg = zmm_storage_find(c->heap->storage, s);
			check_fail(c, "segment #%ld, block at offset %zu: bad sibling in large tree %u",
			           seg_index(c->heap, seg), seg ? seg_off(seg, s) : 0, idx);
			break;
		}
		if (!check_link_ok(c, s->next_free, NULL) || !check_link_ok(c, s->next_free->prev_free, NULL)
		    || s->next_free->prev_free != s) {
			check_fail(c, "large tree %u: sibling ring links do not point back", idx);
			break;
		}
		n++;
		*bytes += BSIZE(&s->info);
		s = s->next_free;
	} while (s != node && n < limit);
	if (depth < NUM_BUCKETS) {
		unsigned d;
		for (d = 0; d < 2; d++) {
			const zmm_free_block_t *ch = node->child[d];
			if (ch && !check_link_ok(c, ch, NULL)) {
				zmm_segment_t *seg = zmm_storage_find(c->heap->storage, node);
				check_fail(c, "segment #%ld, block at offset %zu: large tree %u child link 0x%zx points outside the heap",
				           seg_index(c->heap, seg), seg_off(seg, node), idx, (size_t)(uintptr_t)ch);
				continue;
			}
			if (ch) {
				/* the child's bit at this depth must be d */
				size_t key = BSIZE(&ch->info) << (NUM_BUCKETS - idx);
				if (((key << depth) >> (NUM_BUCKETS - 1)) != d) {
					zmm_segment_t *seg = zmm_storage_find(c->heap->storage, ch);
					check_fail(c, "segment #%ld, block at offset %zu: %zu-byte block is on the wrong side of large tree %u",
					           seg_index(c->heap, seg), seg ? seg_off(seg, ch) : 0, BSIZE(&ch->info), idx);
				}
				n += check_trie(c, ch, &node->child[d], idx, depth + 1, bytes);
			}
		}
	}
	return n;
}

static size_t check_impl(const zmm_heap_t *heap, zmm_heap_check_cb cb, void *ctx, zmm_heap_check_result_t *out);

ZMM_NOASAN size_t zmm_heap_check(const zmm_heap_t *heap, zmm_heap_check_cb cb, void *ctx, zmm_heap_check_result_t *out)
{
	size_t n;

	ANN_ENTER(heap);
	n = check_impl(heap, cb, ctx, out);
	ANN_LEAVE(heap);
	return n;
}

ZMM_NOASAN static size_t check_impl(const zmm_heap_t *heap, zmm_heap_check_cb cb, void *ctx, zmm_heap_check_result_t *out)
{
	check_ctx_t c;
	const zmm_segment_t *seg;
	size_t nseg = 0, nblocks = 0, used = 0, real = 0, free_walk = 0, free_walk_bytes = 0, cached_walk = 0;
	size_t cached_bytes = 0, listed = 0, listed_bytes = 0, rest_n = 0, rest_b = 0;
	unsigned i;

	c.heap = heap;
	c.cb = cb;
	c.ctx = ctx;
	c.errors = 0;

	for (seg = heap->segments; seg; seg = seg->next, nseg++) {
		const char *base = (const char *)seg;
		const char *end = base + seg->size - HDR;
		const zmm_block_t *b = (const zmm_block_t *)(base + SEG_HDR);
		size_t prevword = T_GUARD, starts = 0, w;
		int prev_free = 0;

		if (nseg > heap->segments_count + 1) {
			check_fail(&c, "segment list is longer than the segment count %zu (a cycle?)", heap->segments_count);
			break;
		}
		real += seg->size;
		if (seg->owner != heap) {
			check_fail(&c, "segment #%zu: owner is not this heap", nseg);
			continue;
		}
		if (zmm_storage_find(heap->storage, seg) != seg) {
			check_fail(&c, "segment #%zu: not registered with storage", nseg);
		} else {
			/* every unit's entry copies the header fields the free path reads */
			size_t u;
			for (u = 0; u < seg->size; u += heap->segment_size) {
				const zmm_registry_entry_t *e = zmm_storage_entry(heap->storage, base + u);
				if (e == NULL || e->seg != seg || e->owner != seg->owner || e->starts != seg->starts || e->size != seg->size) {
					check_fail(&c, "segment #%zu: the registry entry at offset %zu does not match the segment header", nseg, u);
					break;
				}
			}
		}
		if (seg->size % heap->segment_size != 0 || seg->starts == NULL || seg->starts_len < starts_bytes(seg->size)) {
			check_fail(&c, "segment #%zu: bad size %zu or start bitmap", nseg, seg->size);
			continue;
		}
		if (seg->next && seg->next->prev != seg) {
			check_fail(&c, "segment #%zu: next segment's prev link is wrong", nseg);
		}
		while ((const char *)b < end) {
			size_t bs = BSIZE(b);
			size_t off = seg_off(seg, b);
			if (b->prev != prevword) {
				check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: prev tag 0x%zx does not match the previous block's size word 0x%zx",
				           nseg, seg->size, off, b->prev, prevword);
			}
			if (bs < MIN_BLOCK || bs > (size_t)(end - (const char *)b) || (b->size & T_MASK) == T_GUARD || (b->size & T_MASK) == 2) {
				check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: bad size word 0x%zx (the block header was overwritten)",
				           nseg, seg->size, off, b->size);
				break;
			}
			if (!start_test(seg, b)) {
				check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: no start bit", nseg, seg->size, off);
			}
			nblocks++;
			starts++;
			if ((b->size & T_MASK) == T_FREE) {
				if (prev_free) {
					check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: two adjacent free blocks were not merged",
					           nseg, seg->size, off);
				}
				prev_free = 1;
				free_walk++;
				free_walk_bytes += bs;
			} else {
				prev_free = 0;
				used += bs;
				if (!(b->size & F_FLAG) && heap->extra) {
					size_t req = prot_requested(heap, b);
					if (req == (size_t)-1) {
						check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: header cookie mismatch (header or trailer overwritten)",
						           nseg, seg->size, off);
					} else {
						unsigned char canary[8];
						const unsigned char *at = (const unsigned char *)PAYLOAD(b) + req;
						size_t k, damaged = 0;
						prot_canary(heap, b, canary);
						for (k = 0; k < 8; k++) if (at[k] != canary[k]) damaged++;
						if (damaged) {
							check_fail(&c, "segment #%zu (%zu bytes), block at offset %zu: %s%zu byte(s) overwritten after the %zu requested bytes",
							           nseg, seg->size, off, damaged == 8 ? "at least " : "", damaged, req);
						}
					}
				}
			}
			prevword = b->size & ~F_FLAG;
			b = AT(b, bs);
		}
		if ((const char *)b == end) {
			if (b->size != (HDR | T_GUARD)) {
				check_fail(&c, "segment #%zu (%zu bytes): guard block at offset %zu damaged (0x%zx)",
				           nseg, seg->size, seg_off(seg, b), b->size);
			}
			if (b->prev != prevword) {
				check_fail(&c, "segment #%zu (%zu bytes): guard's prev tag does not match the last block", nseg, seg->size);
			}
		}
		/* no stray start bits */
		{
			size_t bits = 0, words = starts_bytes(seg->size) / sizeof(uint64_t);
			for (w = 0; w < words; w++) {
				uint64_t x = seg->starts[w];
				while (x) { bits++; x &= x - 1; }
			}
			if (bits != starts && (const char *)b == end) {
				check_fail(&c, "segment #%zu (%zu bytes): %zu start bits for %zu blocks", nseg, seg->size, bits, starts);
			}
		}
	}
	if (nseg != heap->segments_count) {
		check_fail(&c, "segment count %zu but %zu segments in the list", heap->segments_count, nseg);
	}
	if (real != heap->real_size) {
		check_fail(&c, "real_size %zu but segments hold %zu bytes", heap->real_size, real);
	}
	if (used != heap->size) {
		check_fail(&c, "size %zu but used blocks hold %zu bytes", heap->size, used);
	}

	/* small lists and bitmap */
	for (i = 0; i < NUM_BUCKETS; i++) {
		const zmm_free_block_t *head = &heap->small_heads[i], *p;
		size_t n = 0;
		char where[48];
		snprintf(where, sizeof(where), "small list %u", i);
		for (p = head->next_free; p != head; p = p->next_free) {
			if (!check_free_member(&c, p, where)) break;
			if (!check_link_ok(&c, p->next_free, head) || p->next_free->prev_free != p) {
				zmm_segment_t *sg = zmm_storage_find(heap->storage, p);
				check_fail(&c, "segment #%ld, block at offset %zu: small list %u links do not point back "
				           "(next 0x%zx; the free block's link words were overwritten)",
				           seg_index(heap, sg), seg_off(sg, p), i, (size_t)(uintptr_t)p->next_free);
				break;
			}
			if (BSIZE(&p->info) != BUCKET_SIZE(i) || (p->info.size & F_FLAG)) {
				check_fail(&c, "small list %u: holds a %zu-byte block", i, BSIZE(&p->info));
			}
			n++;
			listed_bytes += BSIZE(&p->info);
			if (n > free_walk + 1) { check_fail(&c, "small list %u: longer than the number of free blocks (a cycle?)", i); break; }
		}
		listed += n;
		if (!!n != !!(heap->free_bitmap & ((uint64_t)1 << i))) {
			check_fail(&c, "small list %u: bitmap bit is %s but the list has %zu blocks", i,
			           (heap->free_bitmap & ((uint64_t)1 << i)) ? "set" : "clear", n);
		}
	}
	/* cache lists: small buckets, then medium classes */
	for (i = 0; i < CACHE_LISTS; i++) {
		const zmm_heap_cached_t *cb;
		if (i >= NUM_BUCKETS && !heap->options.size_classes && heap->fast.cache[i]) {
			check_fail(&c, "cache %u: holds blocks but size classes are off", i);
		}
		for (cb = heap->fast.cache[i]; cb; cb = cb->next) {
			const zmm_block_t *b = (const zmm_block_t *)(const void *)cb;
			zmm_segment_t *s = zmm_storage_find(heap->storage, cb);
			if (s == NULL || s->owner != heap || !start_test(s, b)
			    || (b->size & (T_MASK | F_FLAG)) != (T_USED | F_FLAG) || BSIZE(b) != LIST_BLOCK(i)) {
				check_fail(&c, "cache %u: holds a block that is not a cached %zu-byte block", i, (size_t)LIST_BLOCK(i));
				break;
			}
			cached_walk++;
			cached_bytes += BSIZE(b);
			if (cached_walk > nblocks) { check_fail(&c, "cache %u: a cycle", i); break; }
		}
	}
	/* tries */
	for (i = 0; i < NUM_BUCKETS; i++) {
		size_t bytes = 0;
		size_t n = check_trie(&c, heap->large_roots[i], &heap->large_roots[i], i, 0, &bytes);
		if (!!heap->large_roots[i] != !!(heap->large_bitmap & ((uint64_t)1 << i))) {
			check_fail(&c, "large tree %u: bitmap bit disagrees with the root", i);
		}
		listed += n;
		listed_bytes += bytes;
	}
	/* rest list */
	{
		const zmm_free_block_t *p;
		for (p = heap->rest_head.next_free; p != &heap->rest_head; p = p->next_free) {
			if (!check_free_member(&c, p, "the rest list")) break;
			if (!check_link_ok(&c, p->next_free, &heap->rest_head) || p->next_free->prev_free != p) {
				check_fail(&c, "rest list: links do not point back");
				break;
			}
			if (!(p->info.size & F_FLAG)) check_fail(&c, "rest list: member lacks the rest flag");
			rest_n++;
			rest_b += BSIZE(&p->info);
			if (rest_n > ZMM_HEAP_MAX_REST_BLOCKS + 1) { check_fail(&c, "rest list: too long"); break; }
		}
		if (rest_n != heap->rest_count || rest_b != heap->rest_bytes) {
			check_fail(&c, "rest list: %zu blocks / %zu bytes but counters say %zu / %zu", rest_n, rest_b,
			           heap->rest_count, heap->rest_bytes);
		}
		listed += rest_n;
		listed_bytes += rest_b;
	}
	if (heap->dv != NULL) {
		const zmm_free_block_t *dv = heap->dv;
		const zmm_segment_t *ds = zmm_storage_find(heap->storage, dv);
		if (ds == NULL || ds->owner != heap || ds->size != heap->segment_size
		    || ((uintptr_t)dv & (ZMM_HEAP_ALIGNMENT - 1)) != 0 || !start_test(ds, &dv->info)
		    || (dv->info.size & (T_MASK | F_FLAG)) != T_FREE || BSIZE(&dv->info) < DV_MIN) {
			check_fail(&c, "designated victim %p: not a large free block of a standard segment of this heap", (const void *)dv);
		} else {
			listed++;
			listed_bytes += BSIZE(&dv->info);
		}
	}
	if (listed != free_walk || listed_bytes != free_walk_bytes) {
		check_fail(&c, "free structures hold %zu blocks / %zu bytes but segments have %zu free blocks / %zu bytes",
		           listed, listed_bytes, free_walk, free_walk_bytes);
	}
	if (cached_walk != cached_blocks_of(heap) || cached_bytes != heap->fast.cached) {
		check_fail(&c, "cache holds %zu blocks / %zu bytes but counters say %zu / %zu", cached_walk, cached_bytes,
		           cached_blocks_of(heap), heap->fast.cached);
	}
	if (out) {
		out->segments = nseg;
		out->blocks = nblocks;
		out->errors = c.errors;
	}
	return c.errors;
}

/* ZMM_HEAP_READY */
