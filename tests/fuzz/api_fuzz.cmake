# The API services' request decoders (tests/fuzz/api_fuzz.cc).
add_executable(api_fuzz ${CMAKE_CURRENT_LIST_DIR}/api_fuzz.cc)
target_compile_options(api_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_options(api_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_libraries(api_fuzz PRIVATE elfs_api_efs elfs_api_iam elfs_api_ec2 elfs_store)
