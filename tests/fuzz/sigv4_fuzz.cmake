# SigV4: Authorization / presigned parsing, canonicalisation, Verify.
add_executable(sigv4_fuzz ${CMAKE_CURRENT_LIST_DIR}/sigv4_fuzz.cc)
target_compile_options(sigv4_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_options(sigv4_fuzz PRIVATE ${ELFS_FUZZ_FLAGS})
target_link_libraries(sigv4_fuzz PRIVATE elfs_sigv4)
