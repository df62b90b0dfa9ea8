evl_test(proto_batch_test unit/proto_batch_test.c unit evl_proto)
evl_test(proto_crc32c_test unit/proto_crc32c_test.c unit evl_proto)
