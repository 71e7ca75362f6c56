/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 6a13cf0cdd6d8fcc1247600a0c6dbab2a6bc6b1c */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_enabled, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_gc, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_check_heap, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_zmm_stats, 0, 0, MAY_BE_ARRAY|MAY_BE_FALSE)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limited, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

#if defined(ZMM_DEBUG)
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_debug_corrupt, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, what, IS_STRING, 0)
ZEND_END_ARG_INFO()
#endif

#if defined(ZMM_DEBUG)
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_debug_repair, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()
#endif

#if defined(ZMM_DEBUG)
ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_zmm_debug_fail_storage, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, nth, IS_LONG, 0)
ZEND_END_ARG_INFO()
#endif


ZEND_FUNCTION(zmm_enabled);
ZEND_FUNCTION(zmm_gc);
ZEND_FUNCTION(zmm_check_heap);
ZEND_FUNCTION(zmm_stats);
#if defined(ZMM_DEBUG)
ZEND_FUNCTION(zmm_debug_corrupt);
#endif
#if defined(ZMM_DEBUG)
ZEND_FUNCTION(zmm_debug_repair);
#endif
#if defined(ZMM_DEBUG)
ZEND_FUNCTION(zmm_debug_fail_storage);
#endif


static const zend_function_entry ext_functions[] = {
	ZEND_FE(zmm_enabled, arginfo_zmm_enabled)
	ZEND_FE(zmm_gc, arginfo_zmm_gc)
	ZEND_FE(zmm_check_heap, arginfo_zmm_check_heap)
	ZEND_FE(zmm_stats, arginfo_zmm_stats)
#if defined(ZMM_DEBUG)
	ZEND_FE(zmm_debug_corrupt, arginfo_zmm_debug_corrupt)
#endif
#if defined(ZMM_DEBUG)
	ZEND_FE(zmm_debug_repair, arginfo_zmm_debug_repair)
#endif
#if defined(ZMM_DEBUG)
	ZEND_FE(zmm_debug_fail_storage, arginfo_zmm_debug_fail_storage)
#endif
	ZEND_FE_END
};
