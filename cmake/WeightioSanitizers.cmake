# Applies WEIGHTIO_SANITIZE ("address,undefined" or "thread") to everything
# built in this project, plugins included, so that one run checks all of it.
if(WEIGHTIO_SANITIZE)
  set(_san -fsanitize=${WEIGHTIO_SANITIZE} -fno-omit-frame-pointer)
  if(WEIGHTIO_SANITIZE MATCHES "undefined")
    list(APPEND _san -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_san})
  add_link_options(${_san})
endif()
