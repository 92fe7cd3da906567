# weightio_add_plugin(<format> SOURCES <files>... [OUTPUT_DIRECTORY <dir>]
#                     [INSTALL_DESTINATION <dir>])
#
# Builds weightio_<format>.so, a MODULE library that exports only
# weightio_plugin_entry (hidden visibility plus a linker version script) and
# links against weightio::sdk (headers only: plugins never link the core).
function(weightio_add_plugin format)
  # The function's own folder, not a variable of the folder that included it,
  # so it works from any subdirectory of the caller's project.
  set(_WEIGHTIO_PLUGIN_MAP "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/weightio_plugin.map")
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "weightio_add_plugin(${format}): SOURCES is required")
  endif()
  set(target weightio_${format})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET weightio::sdk)
    target_link_libraries(${target} PRIVATE weightio::sdk)
  else()
    target_link_libraries(${target} PRIVATE weightio_sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "weightio_${format}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE "LINKER:--version-script=${_WEIGHTIO_PLUGIN_MAP}")
  # Catch unresolved symbols at build time, not at load time, except under
  # clang's sanitizers: they link their runtime into the executable only, so
  # an instrumented plugin has undefined __asan_*/__ubsan_* until loaded.
  if(NOT (WEIGHTIO_SANITIZE AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_WEIGHTIO_PLUGIN_MAP}")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  if(ARG_INSTALL_DESTINATION)
    install(TARGETS ${target} LIBRARY DESTINATION "${ARG_INSTALL_DESTINATION}")
  endif()
endfunction()
