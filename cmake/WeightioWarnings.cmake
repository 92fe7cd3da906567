# weightio_warnings(target): the project's warning set, as errors in CI builds.
option(WEIGHTIO_WERROR "Treat warnings as errors" OFF)
function(weightio_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    $<$<BOOL:${WEIGHTIO_WERROR}>:-Werror>)
endfunction()
