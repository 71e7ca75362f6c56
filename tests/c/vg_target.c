/*
 * vg_target.c - a plain (uninstrumented) program for test_tools.c to run under valgrind memcheck.
 *   vg_target none       correct use of the heap: memcheck must report nothing
 *   vg_target uaf        writes into a block after freeing it (it sits in zmm's cache)
 *   vg_target overflow   writes one byte past a 10-byte block
 *   vg_target uaf-large  writes into a large block after freeing it (it went back to the free lists)
 *   vg_target limit-uaf  the limit hook longjmps out of the heap (PHP's bailout), then a use after
 *                        free: memcheck must still report it (error reporting is not left disabled)
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "zmm_heap.h"

static jmp_buf bailout;

static zmm_heap_limit_action_t limit_bailout(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	(void)ctx; (void)heap; (void)request; (void)needed;
	longjmp(bailout, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "none";
	zmm_storage_t st;
	zmm_heap_t *h;
	char *keep[64], *p;
	int i;

	if (zmm_storage_init(&st, zmm_storage_lookup("mmap_anon"), 256 * 1024, 1) != 0) {
		return 2;
	}
	h = zmm_heap_create(&st, NULL, NULL);
	for (i = 0; i < 64; i++) {
		keep[i] = zmm_heap_alloc(h, 24 + (size_t)i * 29);
		memset(keep[i], 'k', 24 + (size_t)i * 29);
	}
	for (i = 0; i < 64; i += 2) {
		zmm_heap_free(h, keep[i]);
	}
	p = zmm_heap_alloc(h, 64);
	memset(p, 1, 64);
	p = zmm_heap_realloc(h, p, 2000);
	p[1999] = 1;
	if (strcmp(mode, "uaf") == 0) {
		char *q = zmm_heap_alloc(h, 40);
		zmm_heap_free(h, q);
		q[0] = 7;                          /* use after free */
	} else if (strcmp(mode, "overflow") == 0) {
		char *r = zmm_heap_alloc(h, 10);
		r[10] = 1;                         /* one byte past the block */
		zmm_heap_free(h, r);
	} else if (strcmp(mode, "limit-uaf") == 0) {
		zmm_heap_options_t o;
		zmm_heap_hooks_t hooks;
		zmm_heap_t *lh;
		char *q;
		zmm_heap_options_default(&o);
		o.limit = 256 * 1024;
		memset(&hooks, 0, sizeof hooks);
		hooks.limit = limit_bailout;
		lh = zmm_heap_create(&st, &o, &hooks);
		q = zmm_heap_alloc(lh, 40);
		if (setjmp(bailout) == 0) {
			(void)zmm_heap_alloc(lh, 300000);   /* over the limit: the hook longjmps */
			return 3;
		}
		zmm_heap_free(lh, q);
		q[0] = 7;                          /* use after free, after the bailout */
		zmm_heap_destroy(lh);
	} else if (strcmp(mode, "uaf-large") == 0) {
		zmm_heap_free(h, p);
		p[100] = 7;                        /* use after free of a large block */
		p = NULL;
	}
	zmm_heap_free(h, p);
	for (i = 1; i < 64; i += 2) {
		zmm_heap_free(h, keep[i]);
	}
	zmm_heap_destroy(h);
	zmm_storage_destroy(&st);
	return 0;
}
