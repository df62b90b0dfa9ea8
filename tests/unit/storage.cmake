# storage/ unit tests: one file per storage source where it has behaviour
# of its own; the crash test kills a child process (label fault).
evl_test(storage_keys_test unit/storage_keys_test.c unit evl_storage)
evl_test(storage_writer_test unit/storage_writer_test.c unit evl_storage)
evl_test(storage_log_test unit/storage_log_test.c unit evl_storage)
evl_test(storage_topic_test unit/storage_topic_test.c unit evl_storage)
evl_test(storage_offsets_test unit/storage_offsets_test.c unit evl_storage)
evl_test(storage_retention_test unit/storage_retention_test.c unit
	evl_storage)
evl_test(storage_store_test unit/storage_store_test.c unit evl_storage)
evl_test(storage_crash_test unit/storage_crash_test.c fault evl_storage)
evl_test(storage_stream_test unit/storage_stream_test.c unit evl_storage)
evl_test(storage_dedupe_test unit/storage_dedupe_test.c unit evl_storage)
evl_test(storage_acl_test unit/storage_acl_test.c unit evl_storage)
