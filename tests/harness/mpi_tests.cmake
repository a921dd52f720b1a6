# End-to-end: the real binary under mpirun, np 1-4 (oversubscribed), every collective, dtype and
# op, in and out of place, sizes 1 B to 19683 B by factors of 3 (counts 0, 1, odd, not divisible
# by the rank count). A wrong element makes fabricbench exit non-zero, failing the test.
set(FB_MPIRUN ${FB_TEST_MPIRUN})  # tests/CMakeLists.txt
foreach(np 1 2 3 4)
  foreach(coll ${FB_COLLECTIVES})  # collectives/CMakeLists.txt: one per coll_*.cc
    set(root 0)
    if(np GREATER 1)
      math(EXPR root "${np} - 1")
    endif()
    add_test(NAME mpi_np${np}_${coll}
             COMMAND ${FB_MPIRUN} -np ${np} $<TARGET_FILE:fabricbench> ${coll} -b 1 -e 20000 -f 3
                     -d all -o all -r ${root} -n 2 -w 1 -c 1 -T 60 --no-bind)
    set_tests_properties(mpi_np${np}_${coll} PROPERTIES TIMEOUT 180 PROCESSORS ${np}
                         FAIL_REGULAR_EXPRESSION "[1-9][0-9]* wrong elements")
  endforeach()
endforeach()

# Larger, not power-of-two sizes with the default float sum: chunking paths beyond the eager limit.
add_test(NAME mpi_np3_all_reduce_large
         COMMAND ${FB_MPIRUN} -np 3 $<TARGET_FILE:fabricbench> all_reduce -b 1000003 -e 5000000
                 -f 4 -n 2 -w 1 --no-bind)
set_tests_properties(mpi_np3_all_reduce_large PROPERTIES TIMEOUT 180 PROCESSORS 3)

# Bad input under mpirun: one line from rank 0, non-zero exit, no hang.
set(FB_EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/expect_error.sh)
add_test(NAME mpi_bad_dtype COMMAND ${FB_EXPECT} "unknown datatype 'float128'" ${FB_MPIRUN} -np 2
         $<TARGET_FILE:fabricbench> all_reduce -d float128)
add_test(NAME mpi_bad_root COMMAND ${FB_EXPECT} "is not a rank" ${FB_MPIRUN} -np 2
         $<TARGET_FILE:fabricbench> broadcast -r 2 -b 8 -e 8)
add_test(NAME mpi_bad_sizes COMMAND ${FB_EXPECT} "larger than" ${FB_MPIRUN} -np 2
         $<TARGET_FILE:fabricbench> all_reduce -b 64M -e 8)
add_test(NAME mpi_too_large COMMAND ${FB_EXPECT} "do not fit in host memory" ${FB_MPIRUN} -np 2
         $<TARGET_FILE:fabricbench> all_reduce -b 8 -e 4T -f 2)
add_test(NAME mpi_unwritable_json COMMAND ${FB_EXPECT} "/nonexistent-dir/x.json" ${FB_MPIRUN}
         -np 2 $<TARGET_FILE:fabricbench> all_reduce -b 8 -e 8 --json /nonexistent-dir/x.json)
add_test(NAME bad_command COMMAND ${FB_EXPECT} "unknown command 'allreduce'"
         $<TARGET_FILE:fabricbench> allreduce)
add_test(NAME cuda_without_gpu COMMAND ${FB_EXPECT} "--device cuda but no usable GPU" ${FB_MPIRUN}
         -np 1 $<TARGET_FILE:fabricbench> all_reduce -b 8 -e 8 --device cuda)
set_tests_properties(cuda_without_gpu PROPERTIES ENVIRONMENT EXPECT_SKIP_IF_GPU=1
                     SKIP_RETURN_CODE 77)
set_tests_properties(mpi_bad_dtype mpi_bad_root mpi_bad_sizes mpi_too_large mpi_unwritable_json
                     bad_command cuda_without_gpu PROPERTIES TIMEOUT 60)

# A rank killed mid-sweep ends the whole job promptly with a message naming it.
add_test(NAME mpi_killed_rank COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/kill_rank.sh ${FB_MPIRUN} --
         $<TARGET_FILE:fabricbench>)
set_tests_properties(mpi_killed_rank PROPERTIES TIMEOUT 90 PROCESSORS 3)
