/*
 * php_zmm.h - the zmm extension: PHP 5's Zend memory manager as the PHP 8 request heap
 *
 * Copyright (c) 2026 The zmm developers. MIT licence (see LICENSE).
 *
 * zmm.c is the only file that includes engine headers; the allocator itself lives in the plain C
 * layers zmm_heap.c (blocks, buckets, cache) and zmm_storage.c (segments from the OS).
 */
#ifndef PHP_ZMM_H
#define PHP_ZMM_H

#include "zmm_heap.h"

extern zend_module_entry zmm_module_entry;
#define phpext_zmm_ptr &zmm_module_entry

#define PHP_ZMM_VERSION "0.1.0"

#ifdef ZMM_DEBUG
/* Bytes zmm_debug_corrupt() may overwrite and zmm_debug_repair() puts back. */
# define ZMM_DEBUG_SAVE_MAX 16
#endif

/* One thread's allocator. It lives outside the module globals because the handlers stay installed
 * after MSHUTDOWN/GSHUTDOWN: the engine still frees request blocks during its own shutdown (e.g.
 * virtual_cwd_deactivate() in zend_shutdown()), so zmm uninstalls only when the engine heap itself
 * shuts down (zend_mm_shutdown(full) hands the heap to _free). See zmm.c. */
typedef struct zmm_state {
	zmm_storage_t  storage;         /* segment provider shared by both heaps */
	zmm_heap_t    *heaps[2];        /* the two request epochs */
	zmm_heap_t    *cur;             /* the heap serving allocations now */
	zmm_heap_t    *reclaim;         /* the previous epoch, reset at the next RINIT (or NULL) */
	zend_mm_heap  *native_heap;     /* the engine heap we are installed on */
	void *(*prev_malloc)(size_t);   /* handlers that were installed before us (NULL: ZendMM) */
	void  (*prev_free)(void *);
	void *(*prev_realloc)(void *, size_t);

	/* Request and error state */
	bool           in_request;      /* between RINIT and post_deactivate */
	bool           in_error;        /* classic OOM path: an allocation error is being reported */
	bool           in_error_hook;   /* a heap misuse warning is being reported */
	bool           module_down;     /* the module shut down; waiting for the engine heap to end */
	bool           reserved;        /* the second epoch's segments were reserved (end of request 1) */
	zmm_heap_t    *discard;         /* fast shutdown: frees of this heap's blocks are dropped until
	                                 * the next RINIT resets it (NULL: every free is done) */
	size_t         discard_saved_limit; /* its limit, restored when the fast shutdown ends */
	zmm_heap_t    *dropped_heap;    /* the heap whose frees the last fast shutdown dropped, until reset */
	size_t         dropped_bytes;   /* the bytes of those blocks: the heap may pass its limit by that much */

	/* Counters kept by the glue (the heaps count the rest) */
	uint64_t       foreign_frees;   /* frees/reallocs forwarded to the previous allocator */
	uint64_t       limit_errors;    /* memory_limit errors raised */
	uint64_t       requests;        /* requests started with zmm active */
	uint64_t       shutdown_frees;  /* frees dropped by the fast shutdown (the reset reclaims them) */

#ifdef ZMM_DEBUG
	/* zmm_debug_corrupt() / zmm_debug_repair() */
	unsigned char *dbg_addr;        /* where the damage is (NULL: nothing damaged) */
	size_t         dbg_len;         /* bytes damaged */
	unsigned char  dbg_saved[ZMM_DEBUG_SAVE_MAX];   /* original bytes */
	unsigned char  dbg_written[ZMM_DEBUG_SAVE_MAX]; /* what we wrote (repair checks it is still there) */
	void         **dbg_live;        /* live blocks zmm_debug_corrupt() holds until the repair (malloc'd) */
	size_t         dbg_live_count;
#endif
} zmm_state_t;

ZEND_BEGIN_MODULE_GLOBALS(zmm)
	/* INI values (validated by their on_modify handlers; environment fallbacks applied) */
	bool                          enable;          /* zmm.enable */
	const zmm_storage_handlers_t *storage_type;    /* zmm.storage (or ZEND_MM_MEM_TYPE) */
	size_t                        segment_size;    /* zmm.segment_size (or ZEND_MM_SEG_SIZE) */
	size_t                        cache_size;      /* zmm.cache_size, 0 = no cache */
	bool                          protection;      /* zmm.protection */
	bool                          size_classes;    /* zmm.size_classes: medium classes cached */
	size_t                        keep_segments;   /* zmm.keep_segments: storage pool size */
	bool                          fast_shutdown;   /* zmm.fast_shutdown: drop the engine's end-of-request frees */

	zmm_state_t   *state;           /* this thread's allocator (NULL: zmm is not active) */
	const char    *inactive_reason; /* why zmm is not active (for phpinfo) */
ZEND_END_MODULE_GLOBALS(zmm)

ZEND_EXTERN_MODULE_GLOBALS(zmm)
#define ZMM_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(zmm, v)

#if defined(ZTS) && defined(COMPILE_DL_ZMM)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif /* PHP_ZMM_H */
