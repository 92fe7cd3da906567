// Everything a host needs: #include <weightio/weightio.hpp>.
#pragma once

#include <weightio/dtype.hpp>
#include <weightio/error.hpp>
#include <weightio/io.hpp>
#include <weightio/log.hpp>
#include <weightio/memory.hpp>
#include <weightio/params.hpp>
#include <weightio/registry.hpp>
#include <weightio/signals.hpp>
#include <weightio/tensor.hpp>
#include <weightio/tree.hpp>
#include <weightio/version.hpp>
