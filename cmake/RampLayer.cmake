# ramp_layer(NAME DEPS ...): a static library `ramp_NAME` from every .cpp in
# the current directory and its subdirectories. Headers are included as
# "layer/File.h" from src/.
function(ramp_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX ".*/main\\.cpp$")
  if(srcs)
    add_library(ramp_${name} STATIC ${srcs})
    target_include_directories(ramp_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ramp_${name} PUBLIC ${L_DEPS})
  else()
    add_library(ramp_${name} INTERFACE)
    target_include_directories(ramp_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ramp_${name} INTERFACE ${L_DEPS})
  endif()
endfunction()
