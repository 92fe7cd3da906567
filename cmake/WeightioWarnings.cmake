# weightio_warnings(target): the project's warning set, as errors in CI builds.
option(WEIGHTIO_WERROR "Treat warnings as errors" OFF)
function(weightio_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    $<$<BOOL:${WEIGHTIO_WERROR}>:-Werror>
    # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy
    # (GCC bug 105329, a false positive).
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
endfunction()
