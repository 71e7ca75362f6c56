/*
 * zmm_heap.h - the zmm heap: PHP 5's Zend memory manager design as a plain C library
 *
 * A heap carves blocks out of segments that it takes from a zmm_storage_t (zmm_storage.h). Several
 * heaps may share one storage: each segment records its owner, so a pointer can be routed to the
 * heap that made it. The library never prints, never exits and never allocates from itself; it talks
 * to its user through the hooks below. It is not thread-safe: one heap per thread.
 *
 * Numbers on 64-bit (LP64): 16-byte block headers, 8-byte alignment, 32-byte minimum block, 64 small
 * buckets of 8-byte steps, requests of at most 520 bytes are small (496 with protection on). With
 * size classes on (the default), requests of 521 to 32768 bytes are rounded up to 18 medium classes
 * (640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072: Zend MM 7's largest bins; then 4096,
 * 8192, ... 32768: whole pages, as Zend MM's large runs) whose freed blocks the cache keeps like small
 * ones.
 */
#ifndef ZMM_HEAP_H
#define ZMM_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include "zmm_storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/*** Geometry ***/

#define ZMM_HEAP_ALIGNMENT         8                          /* every block and payload is 8-aligned */
#define ZMM_HEAP_HDR_SIZE          (2 * sizeof(size_t))       /* boundary-tag header: size|type, prev size|type */
#define ZMM_HEAP_MIN_BLOCK         (4 * sizeof(size_t))       /* header + two free-list links */
#define ZMM_HEAP_NUM_BUCKETS       (8 * sizeof(size_t))       /* small buckets: 64 on LP64 */
#define ZMM_HEAP_MAX_SMALL_BLOCK   (ZMM_HEAP_NUM_BUCKETS * ZMM_HEAP_ALIGNMENT + ZMM_HEAP_MIN_BLOCK) /* blocks below are small */
#define ZMM_HEAP_MAX_SMALL_REQUEST (ZMM_HEAP_MAX_SMALL_BLOCK - ZMM_HEAP_ALIGNMENT - ZMM_HEAP_HDR_SIZE) /* 520 on LP64 */
#define ZMM_HEAP_NUM_CLASSES       18                         /* medium size classes (size_classes option) */
#define ZMM_HEAP_CACHE_LISTS       (ZMM_HEAP_NUM_BUCKETS + ZMM_HEAP_NUM_CLASSES) /* cache lists: buckets, then classes */
#define ZMM_HEAP_MAX_CLASS_REQUEST 32768                      /* largest request (protection extra included) a class takes */
#define ZMM_HEAP_MAX_CLASS_BLOCK   (ZMM_HEAP_MAX_CLASS_REQUEST + ZMM_HEAP_HDR_SIZE) /* largest cached block; the cache may pass its cap by less */
#define ZMM_HEAP_REALLOC_STEP      ((size_t)4096)             /* size classes: realloc resizes larger blocks in these steps */
#define ZMM_HEAP_PROTECTION_EXTRA  (8 + 2 * sizeof(size_t))   /* 8-byte canary + 2-word trailer added per block with protection */
#define ZMM_HEAP_CACHE_PHP5        ((size_t)ZMM_HEAP_NUM_BUCKETS * 4096) /* PHP 5's cache cap: 256 KiB on LP64 */
#define ZMM_HEAP_CACHE_DEFAULT     ((size_t)64 << 20)         /* 64 MiB: PHP 5's cap missed 38-74% of small allocations in churny code */
#define ZMM_HEAP_MAX_REST_BLOCKS   16                         /* rest list cap; older tails go to the free lists */
#define ZMM_HEAP_SEGMENT_HDR_SIZE  ((sizeof(zmm_segment_t) + 15) & ~(size_t)15) /* bytes before the first block */
#define ZMM_HEAP_NO_LIMIT          ((size_t)-1)

typedef struct zmm_heap zmm_heap_t;

/*** Hooks ***/

/* What went wrong, for the error hook. */
typedef enum zmm_heap_error_kind {
	ZMM_ERROR_DOUBLE_FREE = 1,    /* free/realloc of a block that is already free */
	ZMM_ERROR_CACHED_FREE,        /* free/realloc of a block that sits in the cache (freed, not reused) */
	ZMM_ERROR_INTERIOR_POINTER,   /* pointer inside a segment but not at the start of a block's payload */
	ZMM_ERROR_FOREIGN_POINTER,    /* pointer given to zmm_heap_realloc that is in no segment of the storage */
	ZMM_ERROR_HEADER_DAMAGED,     /* protection: a block's header no longer matches its cookie */
	ZMM_ERROR_OVERFLOW,           /* protection: bytes after the requested size were overwritten */
	ZMM_ERROR_CORRUPTED           /* boundary tags, free lists, bitmaps or counters are inconsistent */
} zmm_heap_error_kind_t;

/* One detected misuse or corruption. Strings live only for the duration of the hook call. */
typedef struct zmm_heap_error {
	zmm_heap_error_kind_t kind;    /* what */
	int           fatal;           /* 1: the heap cannot continue safely; the hook must not return */
	const char   *operation;       /* "free", "realloc", "alloc", "check", "gc" */
	const void   *ptr;             /* the pointer the caller passed (or the block's payload) */
	size_t        segment_size;    /* size of the segment holding it (0 if none) */
	size_t        segment_offset;  /* offset of ptr from the segment start */
	size_t        block_size;      /* the block's size in bytes, header included (0 if unknown) */
	size_t        damaged_bytes;   /* ZMM_ERROR_OVERFLOW: canary bytes that differ; header: header bytes */
	const char   *message;         /* full sentence naming all of the above */
} zmm_heap_error_t;

/* What the limit hook tells the heap to do. */
typedef enum zmm_heap_limit_action {
	ZMM_LIMIT_FAIL = 0,            /* the allocation returns NULL */
	ZMM_LIMIT_PROCEED = 1          /* take the segment anyway (e.g. while an error is being reported) */
} zmm_heap_limit_action_t;

typedef struct zmm_heap_hooks {
	void *ctx;                     /* passed to every hook */
	/* Called before the heap takes memory that brings real_size above the limit. request is the
	 * caller's size, needed the segment bytes wanted. The cache has already been flushed. The heap is
	 * consistent, so the hook may longjmp. NULL hook: fail. */
	zmm_heap_limit_action_t (*limit)(void *ctx, zmm_heap_t *heap, size_t request, size_t needed);
	/* Called when storage could not provide a segment; the allocation then returns NULL unless the
	 * hook longjmps. NULL hook: just return NULL. */
	void (*oom)(void *ctx, zmm_heap_t *heap, size_t request, size_t needed);
	/* Called for every detected misuse or corruption. Non-fatal ones: the bad operation is ignored and
	 * the heap stays consistent. Fatal ones: the hook must not return; if it does the heap calls
	 * abort(). NULL hook: non-fatal errors are ignored, fatal ones abort(). */
	void (*error)(void *ctx, zmm_heap_t *heap, const zmm_heap_error_t *error);
} zmm_heap_hooks_t;

/*** Options ***/

typedef struct zmm_heap_options {
	size_t cache_limit;            /* bytes the per-bucket cache may hold; 0 disables the cache */
	int    protection;             /* 1: header cookies and canaries after each block (runtime option) */
	size_t limit;                  /* bytes of segments the heap may hold; ZMM_HEAP_NO_LIMIT for none */
	int    refill;                 /* 1: a small or medium cache miss carves a batch of blocks of its size
	                                * and caches the spares (default); 0: one block per miss, as PHP 5 */
	int    size_classes;           /* 1: requests above the small range up to ZMM_HEAP_MAX_CLASS_REQUEST
	                                * get a block of their medium class, which the cache keeps when freed,
	                                * and realloc resizes larger blocks in 4 KiB steps (default); 0: exact
	                                * sizes and only small blocks cached, as PHP 5 */
} zmm_heap_options_t;

/* Fills opts with the defaults: the default cache cap, no protection, no limit, refill and size
 * classes on. */
void zmm_heap_options_default(zmm_heap_options_t *opts);

/*** Lifecycle ***/

/* Fills the size class tables the inline fast paths read. GCC and Clang builds run it when the
 * library is loaded, and zmm_heap_create calls it; elsewhere a program that creates heaps in several
 * threads calls it once before (the glue does in MINIT). Idempotent. */
void zmm_heap_library_init(void);

/* Creates an empty heap (no segment yet) on storage. opts NULL: defaults; hooks NULL: none. The heap
 * struct itself is malloc'd, not carved from a segment. Returns NULL if malloc fails. */
zmm_heap_t *zmm_heap_create(zmm_storage_t *storage, const zmm_heap_options_t *opts,
                            const zmm_heap_hooks_t *hooks);

/* Gives every segment back to storage and frees the heap struct. */
void zmm_heap_destroy(zmm_heap_t *heap);

/* Frees every block at once. Up to keep_segments standard-size segments stay in the heap as one free
 * block each (so the next allocations make no storage calls); the others go back to storage. size,
 * peak and the cache are reset; counters are kept; real_peak restarts at the kept real_size. */
void zmm_heap_reset(zmm_heap_t *heap, size_t keep_segments);

/*** Allocation ***/

/* Returns a block of at least size bytes, 8-aligned, or NULL (limit refused or storage failed; the
 * hooks have been told). size 0 gives a minimum block. */
void *zmm_heap_alloc(zmm_heap_t *heap, size_t size);

/* Results of zmm_heap_free. */
#define ZMM_FREE_OK       0        /* freed (or ptr was NULL) */
#define ZMM_FREE_FOREIGN  1        /* ptr is in no segment of this heap's storage: nothing done */
#define ZMM_FREE_INVALID  2        /* ptr is inside a segment but not a live block: reported, ignored */

/* Frees ptr. ptr may belong to any heap that shares this heap's storage; the block goes back to its
 * owner. Returns one of ZMM_FREE_*. Never reads memory outside zmm's segments. */
int zmm_heap_free(zmm_heap_t *heap, void *ptr);

/* Resizes a block, keeping min(old, new) payload bytes. ptr NULL: like alloc. ptr owned by another
 * heap on the same storage: the new block is made in this heap and the old one freed in its owner.
 * A ptr that is not a live block is reported (invalid free kinds) and a fresh block is returned
 * without copying. Returns NULL like alloc, leaving ptr valid. */
void *zmm_heap_realloc(zmm_heap_t *heap, void *ptr, size_t size);

/* zmm_heap_realloc for a ptr whose registry entry the caller has looked up (e = zmm_storage_entry(ptr),
 * NULL when ptr is NULL or in no segment), so that a realloc in the glue reads the registry once. */
void *zmm_heap_realloc_at(zmm_heap_t *heap, const zmm_registry_entry_t *e, void *ptr, size_t size);

/* Usable bytes in the block at ptr (at least what was requested), 0 if ptr is not a live block. */
size_t zmm_heap_block_size(zmm_heap_t *heap, const void *ptr);

/* The heap owning the segment that contains ptr, or NULL if ptr is in no segment of storage. O(1);
 * never reads the memory at ptr. */
static inline zmm_heap_t *zmm_heap_owner(const zmm_storage_t *storage, const void *ptr)
{
	const zmm_registry_entry_t *e = zmm_storage_entry(storage, ptr);
	return e ? (zmm_heap_t *)e->owner : NULL;
}

/*** Inline fast paths ***/

/* The glue inlines the two hot paths, a cache pop and a cache push, into its allocation handlers so
 * that a small alloc or free costs no call into this library. They read only the fields below, which
 * are the first member of every heap (zmm_heap_fast_t is the ABI between zmm_heap.c and callers of
 * these inlines); anything they cannot finish goes to the out-of-line zmm_heap_alloc/_free_at. */

/* The inlines read block headers, which ASan builds keep poisoned: exempt them like the heap. */
#if defined(__SANITIZE_ADDRESS__)
# define ZMM_HEAP_INLINE_NOASAN __attribute__((no_sanitize_address))
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define ZMM_HEAP_INLINE_NOASAN __attribute__((no_sanitize_address))
# endif
#endif
#ifndef ZMM_HEAP_INLINE_NOASAN
# define ZMM_HEAP_INLINE_NOASAN
#endif

/* A cached block as the fast paths see it: the boundary-tag header, then the cache link. */
typedef struct zmm_heap_cached zmm_heap_cached_t;
struct zmm_heap_cached {
	size_t             size;        /* block size | USED | 4 (the "cached" flag) */
	size_t             prev;        /* previous block's size | type (boundary tag) */
	zmm_heap_cached_t *next;        /* next (older) block in the bucket's cache */
};

typedef struct zmm_heap_fast {
	zmm_heap_cached_t *cache[ZMM_HEAP_CACHE_LISTS];      /* per-bucket and per-class LIFO of cached blocks */
	uint64_t           cache_hits[ZMM_HEAP_CACHE_LISTS]; /* per-list allocations served by the cache */
	size_t             cached;        /* bytes in the cache */
	size_t             cache_limit;   /* cache cap in bytes, 0 = off */
	size_t             push_limit;    /* the inline free pushes while cached is below this: cache_limit,
	                                   * or 0 when protection or annotation needs the general path */
	size_t             fast_limit;    /* requests below this may be popped inline (0: never): the small
	                                   * range, or with size classes the medium range too */
	size_t             lists;         /* cache lists in use: the buckets, or with size classes the
	                                   * buckets and the classes */
	uint64_t           cache_pushes;  /* blocks that entered the cache (frees served by it) */
} zmm_heap_fast_t;

/* Cache list of a request of at most ZMM_HEAP_MAX_CLASS_REQUEST bytes, indexed by (size + 7) / 8: the
 * small bucket up to ZMM_HEAP_MAX_SMALL_REQUEST, then ZMM_HEAP_NUM_BUCKETS + the medium class. */
#if defined(__GNUC__) && !defined(_WIN32)
__attribute__((visibility("hidden")))
#endif
extern unsigned char zmm_heap_list_of_request[];

/* Frees ptr, which lies inside seg (found through the registry), in seg's owner: everything the
 * inline push does not finish. Returns ZMM_FREE_OK or ZMM_FREE_INVALID. */
int zmm_heap_free_at(zmm_segment_t *seg, void *ptr);

/* The cache pop of zmm_heap_alloc: a block for size bytes from its bucket's or class's cache, or
 * NULL when the request is neither small nor medium, the cache is empty or the heap is in its general
 * mode (fast_limit 0). NULL is a miss, not a failure: call zmm_heap_alloc. */
ZMM_HEAP_INLINE_NOASAN static inline void *zmm_heap_cache_pop(zmm_heap_t *heap, size_t size)
{
	zmm_heap_fast_t *f = (zmm_heap_fast_t *)(void *)heap;

	if (size < f->fast_limit) {
		unsigned idx = zmm_heap_list_of_request[(size + ZMM_HEAP_ALIGNMENT - 1) / ZMM_HEAP_ALIGNMENT];
		zmm_heap_cached_t *c = f->cache[idx];
		if (c != NULL) {
			size_t sz = c->size & ~(size_t)4;
			f->cache[idx] = c->next;
			c->size = sz;
			f->cached -= sz - 1;
			f->cache_hits[idx]++;
			return (char *)c + ZMM_HEAP_HDR_SIZE;
		}
	}
	return NULL;
}

/* Cache list of a block size, indexed by size / 8 - MIN_BLOCK / 8 for sizes up to
 * ZMM_HEAP_MAX_CLASS_BLOCK: the small bucket, NUM_BUCKETS + the medium class for a class's block,
 * 255 for the sizes in between. */
#define ZMM_HEAP_BLOCK_LIST_LEN (ZMM_HEAP_MAX_CLASS_BLOCK / ZMM_HEAP_ALIGNMENT - ZMM_HEAP_MIN_BLOCK / ZMM_HEAP_ALIGNMENT + 1)
#if defined(__GNUC__) && !defined(_WIN32)
__attribute__((visibility("hidden")))
#endif
extern unsigned char zmm_heap_list_of_block[];

/* Is the 8-aligned offset off of a segment the start of a block's payload? starts is the segment's
 * start bitmap: one bit per 8 bytes, set at every payload start; the heap keeps it current. */
ZMM_HEAP_INLINE_NOASAN static inline int zmm_heap_is_payload_start(const uint64_t *starts, size_t off)
{
	return (int)((starts[off >> 9] >> ((off >> 3) & 63)) & 1);
}

/* Is ptr (inside e's segment, found through the registry) the payload of a live block of a small bucket's
 * size, or of a medium class's size when *lists is ZMM_HEAP_CACHE_LISTS? If so returns 1 with the
 * cache list in *list and the size word (size | USED) in *word. Returns 0 when ptr is not 8-aligned,
 * not a payload start (start bitmap: one bit per 8 bytes, set at payload starts), not USED, cached,
 * not of a list's size, reaching past the segment, or its size word differs from the next block's
 * prev tag (an overflow into the next header, or a damaged size word). Reads no block header unless
 * ptr is a payload start, and *lists only for a block above the small range. The free and realloc
 * fast paths share it; what it refuses goes to paths that check again and report. */
ZMM_HEAP_INLINE_NOASAN static inline int zmm_heap_live_list(const zmm_registry_entry_t *e, const void *ptr,
                                                            const size_t *lists, size_t *list, size_t *word)
{
	size_t off = (size_t)((const char *)ptr - (const char *)e->seg), w, r;

	if ((off & (ZMM_HEAP_ALIGNMENT - 1)) != 0 || !zmm_heap_is_payload_start(e->starts, off)) {
		return 0;
	}
	/* USED, not cached: w = size - 1 is a multiple of 8, so rotating it right by 3 gives w / 8
	 * (bucket + MIN_BLOCK / 8 for a small block), and any stray low bit a huge number; a size below
	 * the smallest block wraps around too. Small blocks need no table. */
	w = *(const size_t *)(const void *)((const char *)ptr - ZMM_HEAP_HDR_SIZE) - 1;
	r = ((w >> 3) | (w << (8 * sizeof(size_t) - 3))) - ZMM_HEAP_MIN_BLOCK / ZMM_HEAP_ALIGNMENT;
	if (r >= ZMM_HEAP_NUM_BUCKETS) {
		if (r >= ZMM_HEAP_BLOCK_LIST_LEN) {
			return 0;
		}
		r = zmm_heap_list_of_block[r];
		if (r >= *lists) {
			return 0;
		}
	}
	if (off + w > e->size || *(const size_t *)(const void *)((const char *)ptr + w - sizeof(size_t)) != w + 1) {
		return 0;
	}
	*list = r;
	*word = w + 1;
	return 1;
}

/* The size (header included) of the live block whose payload starts at ptr, which lies inside e's
 * segment (zmm_storage_entry), or 0: the checks of zmm_heap_live_list for a block of any size (8-aligned
 * payload start, USED and not cached, inside the segment, its size word equal to the next block's
 * prev tag). Reads no block header unless ptr is a payload start. */
ZMM_HEAP_INLINE_NOASAN static inline size_t zmm_heap_live_size(const zmm_registry_entry_t *e, const void *ptr)
{
	size_t off = (size_t)((const char *)ptr - (const char *)e->seg), w, bs;

	if ((off & (ZMM_HEAP_ALIGNMENT - 1)) != 0 || !zmm_heap_is_payload_start(e->starts, off)) {
		return 0;
	}
	w = *(const size_t *)(const void *)((const char *)ptr - ZMM_HEAP_HDR_SIZE);
	bs = w - 1;                                 /* USED is 1: a multiple of 8 exactly when w is USED, not cached */
	if ((bs & (ZMM_HEAP_ALIGNMENT - 1)) != 0 || bs < ZMM_HEAP_MIN_BLOCK || bs > e->size - off
	    || *(const size_t *)(const void *)((const char *)ptr + bs - sizeof(size_t)) != w) {
		return 0;
	}
	return bs;
}

/* The block size of small bucket r. */
#define ZMM_HEAP_BUCKET_BLOCK(r) ((size_t)(r) * ZMM_HEAP_ALIGNMENT + ZMM_HEAP_MIN_BLOCK)

/* The block size of medium class c (0 .. ZMM_HEAP_NUM_CLASSES - 1), header included. */
size_t zmm_heap_class_block(unsigned c);

/* The cache push of zmm_heap_free, for a ptr inside e's segment (zmm_storage_entry): returns 1 when
 * ptr was the payload of a live small block, or of a medium class's block with size classes on, and
 * went onto its owner's cache; 0 for everything else (large, invalid, cache full, general mode), which
 * zmm_heap_free_at handles with e->seg. Reads the registry entry's copies of the header fields, not the
 * segment header. */
ZMM_HEAP_INLINE_NOASAN static inline int zmm_heap_cache_push(const zmm_registry_entry_t *e, void *ptr)
{
	zmm_heap_fast_t *f = (zmm_heap_fast_t *)e->owner;
	zmm_heap_cached_t *c;
	size_t r, w;

	/* room in the owner's cache (push_limit is 0 in general mode) */
	if (f->cached >= f->push_limit) {
		return 0;
	}
	if (!zmm_heap_live_list(e, ptr, &f->lists, &r, &w)) {
		return 0;
	}
	c = (zmm_heap_cached_t *)(void *)((char *)ptr - ZMM_HEAP_HDR_SIZE);
	c->size = w | 4;                            /* w: size | USED */
	c->next = f->cache[r];
	f->cache[r] = c;
	f->cached += w - 1;
	f->cache_pushes++;
	return 1;
}

/*** Size classes ***/

/* The block size (header included) that a request of size bytes gets in this heap. */
size_t zmm_heap_true_size(const zmm_heap_t *heap, size_t size);

/* The small bucket index for a block size, or -1 if the block is not small. */
int zmm_heap_bucket_index(size_t true_size);

/*** Accounting ***/

/* O(1) figures. */
typedef struct zmm_heap_summary {
	size_t size;                   /* bytes in blocks handed out, cached blocks included (true sizes) */
	size_t peak;                   /* highest size since creation, reset or reset_peak */
	size_t real_size;              /* bytes in the heap's segments */
	size_t real_peak;              /* highest real_size */
	size_t cached;                 /* bytes in cached blocks */
	size_t cached_blocks;          /* blocks in the cache */
	size_t cache_limit;            /* the cache cap in bytes (0 = cache off) */
	size_t limit;                  /* the limit on real_size (ZMM_HEAP_NO_LIMIT = none) */
	size_t segments;               /* segments held */
	size_t peak_segments;          /* highest segments */
	size_t segment_size;           /* the storage's segment size */
	size_t free_bytes;             /* bytes in free blocks (headers included), rest list included */
	size_t largest_free_block;     /* largest free block (bounded trie descent; no list walk) */
	size_t rest_blocks;            /* blocks in the rest list (at most ZMM_HEAP_MAX_REST_BLOCKS) */
	size_t rest_bytes;             /* bytes in the rest list */
	int    protection;             /* cookies and canaries on */
} zmm_heap_summary_t;

/* Monotonic counters (plain increments, always on). */
typedef struct zmm_heap_counters {
	uint64_t allocs;               /* blocks handed out: alloc, realloc(NULL), a realloc that moves */
	uint64_t frees;                /* blocks given back: free (not NULL or invalid), a realloc that moves */
	uint64_t reallocs;             /* zmm_heap_realloc calls on a live block */
	uint64_t huge_allocs;          /* allocations that needed a segment of their own */
	uint64_t segments_allocated;   /* segments taken from storage */
	uint64_t segments_released;    /* segments given back to storage */
	uint64_t cache_hits;           /* small and medium allocations served by the cache */
	uint64_t cache_misses;         /* small and medium allocations the cache could not serve */
	uint64_t cache_refills;        /* blocks put on the cache by refills (carved with a miss, unused) */
	uint64_t small_list_hits;      /* allocations served from a small free list */
	uint64_t large_search_hits;    /* allocations served by the large trie search */
	uint64_t rest_hits;            /* allocations served from the rest list */
	uint64_t victim_hits;          /* small/medium misses carved from the designated victim (the tail
	                                * of the last refill, kept out of the lists), without a search */
	uint64_t invalid_frees;        /* frees/reallocs reported as invalid */
	uint64_t corruptions;          /* damage reported (protection, check) */
	uint64_t limit_refusals;       /* times the limit hook said fail */
	uint64_t medium_flushes;       /* times the medium classes' cache was flushed before a new segment */
} zmm_heap_counters_t;

void zmm_heap_summary(const zmm_heap_t *heap, zmm_heap_summary_t *out);
void zmm_heap_counters(const zmm_heap_t *heap, zmm_heap_counters_t *out);

/* memory_get_usage(false): bytes in blocks handed out and not cached. */
size_t zmm_heap_usage(const zmm_heap_t *heap);

/* memory_get_usage(true): bytes in the heap's segments (the summary's real_size). */
size_t zmm_heap_real_size(const zmm_heap_t *heap);

/* Restarts peak at size - cached and real_peak at real_size (memory_reset_peak_usage()). */
void zmm_heap_reset_peak(zmm_heap_t *heap);

/* Sets the limit on real_size (ZMM_HEAP_NO_LIMIT: none). Never fails; the caller compares with the
 * current usage if it wants to refuse. */
void zmm_heap_set_limit(zmm_heap_t *heap, size_t limit);

/* Changes the cache cap; when the cache holds more than the new cap it is flushed. */
void zmm_heap_set_cache_limit(zmm_heap_t *heap, size_t cache_limit);

/* Turns every cached block into a free block (merging, releasing empty segments). Returns the bytes
 * taken out of the cache. */
size_t zmm_heap_flush_cache(zmm_heap_t *heap);

/* gc_mem_caches(): flushes the cache and compacts storage (releases its pool). Returns the bytes no
 * longer held: the drop in real_size plus the pool bytes released. */
size_t zmm_heap_gc(zmm_heap_t *heap);

/*** Statistics snapshot ***/

typedef struct zmm_bucket_stats {
	size_t   block_size;           /* block size of the bucket, header included */
	size_t   min_request;          /* smallest request that lands here */
	size_t   max_request;          /* largest request that lands here */
	size_t   free_blocks;          /* blocks in the bucket's free list */
	size_t   cached_blocks;        /* blocks in the bucket's cache */
	uint64_t cache_hits;           /* allocations served by this bucket's cache */
	uint64_t cache_misses;         /* allocations of this bucket the cache could not serve */
} zmm_bucket_stats_t;

typedef struct zmm_large_stats {
	size_t min_size;               /* the class holds free blocks in [min_size, 2 * min_size) */
	size_t free_blocks;            /* free large blocks in the class (trie and designated victim; rest
	                                * list not included) */
	size_t free_bytes;             /* their bytes */
} zmm_large_stats_t;

typedef struct zmm_segment_stats {
	size_t size;                   /* segment bytes */
	size_t used;                   /* bytes in used blocks (cached included) */
	size_t free;                   /* bytes in free blocks */
	size_t overhead;               /* segment header and guard bytes */
	size_t blocks;                 /* blocks, free and used */
	size_t free_blocks;            /* free blocks */
	size_t largest_free_block;     /* largest free block */
} zmm_segment_stats_t;

typedef struct zmm_heap_stats {
	zmm_heap_summary_t  summary;                          /* O(1) figures */
	zmm_heap_counters_t counters;                         /* counters */
	zmm_bucket_stats_t  buckets[ZMM_HEAP_NUM_BUCKETS];    /* small buckets in order */
	zmm_bucket_stats_t  classes[ZMM_HEAP_NUM_CLASSES];    /* medium classes in order (free_blocks 0: their
	                                                       * free blocks are in the large tries) */
	size_t              class_count;                      /* rows used in classes (0: size classes off) */
	zmm_large_stats_t   large[ZMM_HEAP_NUM_BUCKETS];      /* large free blocks by power-of-two class */
	size_t              large_classes;                    /* entries used in large (classes up to the segment size) */
	size_t              free_blocks;                      /* free blocks everywhere (lists, trie, rest) */
	size_t              segment_count;                    /* rows in segments */
	zmm_segment_stats_t *segments;                        /* one row per segment, newest first (malloc'd) */
} zmm_heap_stats_t;

/* Takes a snapshot. limited: summary and counters only (O(1)); otherwise also buckets, large classes
 * and one row per segment (a walk). Never allocates from the heap; the segment rows come from
 * malloc. Returns 0, or -1 if malloc failed (segments is then NULL, segment_count 0). */
int zmm_heap_stats(const zmm_heap_t *heap, zmm_heap_stats_t *out, int limited);

/* Frees what zmm_heap_stats malloc'd. */
void zmm_heap_stats_free(zmm_heap_stats_t *stats);

/*** Integrity ***/

typedef struct zmm_heap_check_result {
	size_t segments;               /* segments walked */
	size_t blocks;                 /* blocks walked */
	size_t errors;                 /* problems found */
} zmm_heap_check_result_t;

/* Called once per problem found by zmm_heap_check, with a sentence that names the segment offset
 * (the segment's position in the list), the block offset and what is wrong. */
typedef void (*zmm_heap_check_cb)(void *ctx, const char *message);

/* Walks every segment, block, free list, trie, bitmap, the cache and the counters, and (with
 * protection) every live block's cookie and canary. Reports each problem to cb (which may be NULL)
 * and never to the error hook; changes nothing. Returns the number of problems. */
size_t zmm_heap_check(const zmm_heap_t *heap, zmm_heap_check_cb cb, void *ctx, zmm_heap_check_result_t *out);

/*** Introspection for tests and the glue ***/

zmm_storage_t *zmm_heap_storage(const zmm_heap_t *heap);
const zmm_heap_options_t *zmm_heap_get_options(const zmm_heap_t *heap);

#ifdef __cplusplus
}
#endif

#endif /* ZMM_HEAP_H */
