# Helpers that drive the AMD and NVIDIA compilers directly. CMake's enable_language(HIP) needs a
# full ROCm install (it links against the HIP runtime); compiling and reading ISA needs only the
# headers and device libraries, so these functions call clang++ themselves.

file(GLOB_RECURSE HIPFUSE_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/hipfuse/*.hpp)

set(HIPFUSE_AMD_ENABLED OFF)
if(HIPFUSE_CLANG AND HIPFUSE_ROCM_PATH AND EXISTS "${HIPFUSE_ROCM_PATH}/include/hip/hip_runtime.h")
  set(HIPFUSE_AMD_ENABLED ON)
endif()
set(HIPFUSE_NVCC_ENABLED OFF)
if(HIPFUSE_NVCC AND EXISTS "${HIPFUSE_NVCC}")
  set(HIPFUSE_NVCC_ENABLED ON)
endif()
message(STATUS "hipfuse: AMD code generation checks: ${HIPFUSE_AMD_ENABLED}; nvcc checks: ${HIPFUSE_NVCC_ENABLED}; "
               "NVIDIA GPU build: ${HIPFUSE_GPU}")

set(HIPFUSE_AMD_FLAGS -x hip -std=c++17 -O3 --rocm-path=${HIPFUSE_ROCM_PATH}
    -isystem ${HIPFUSE_ROCM_PATH}/include -I${PROJECT_SOURCE_DIR}/include -Wall -Wextra -Werror)
if(HIPFUSE_DEVICE_LIB_PATH)
  list(APPEND HIPFUSE_AMD_FLAGS --rocm-device-lib-path=${HIPFUSE_DEVICE_LIB_PATH})
endif()
set(HIPFUSE_AMD_ARCHS gfx942 gfx950)

# hipfuse_amd_asm(<out-var> <source>): device assembly of <source> for every AMD arch.
# <out-var> receives the list of .s files, named <stem>.<arch>.s in the current binary dir.
function(hipfuse_amd_asm out_var source)
  get_filename_component(stem ${source} NAME_WE)
  set(outputs)
  foreach(arch ${HIPFUSE_AMD_ARCHS})
    set(out ${CMAKE_CURRENT_BINARY_DIR}/${stem}.${arch}.s)
    add_custom_command(OUTPUT ${out}
      COMMAND ${HIPFUSE_CLANG} ${HIPFUSE_AMD_FLAGS} --offload-arch=${arch} --cuda-device-only -S -o ${out}
              ${CMAKE_CURRENT_SOURCE_DIR}/${source}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${HIPFUSE_HEADERS}
      COMMENT "AMD ISA ${stem} (${arch})" VERBATIM)
    list(APPEND outputs ${out})
  endforeach()
  set(${out_var} ${outputs} PARENT_SCOPE)
endfunction()
