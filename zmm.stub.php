<?php

/** @generate-function-entries */

/** True when zmm serves this thread's request memory. */
function zmm_enabled(): bool {}

/** Flushes the block cache and gives free segments back; returns the bytes released (0 when off). */
function zmm_gc(): int {}

/**
 * Walks the heap and reports inconsistencies.
 * @return array{ok: bool, segments: int, blocks: int, errors: list<string>}
 */
function zmm_check_heap(): array {}

/** Heap statistics, or false when zmm is not active. $limited leaves out the per-segment, bucket and large-class lists. */
function zmm_stats(bool $limited = false): array|false {}

#ifdef ZMM_DEBUG
/** Test hook: damages the heap reversibly ("header" or "free_link"). */
function zmm_debug_corrupt(string $what): bool {}

/** Test hook: undoes zmm_debug_corrupt(). */
function zmm_debug_repair(): bool {}

/** Test hook: the $nth next segment request to the OS fails (0: off). */
function zmm_debug_fail_storage(int $nth): void {}
#endif
