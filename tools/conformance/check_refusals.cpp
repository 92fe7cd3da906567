// refusals.dtype, refusals.limits, refusals.option, refusals.cancel: what a
// save must refuse, through the public API, with the documented error and
// no file left behind.
#include "isolated_check.hpp"
#include "samples.hpp"

#include <algorithm>

namespace wcli::conformance {

namespace fs = std::filesystem;
using weightio::ErrorCode;

namespace {

std::string code_name(ErrorCode c) {
  switch (c) {
  case ErrorCode::InvalidFile:
    return "InvalidFile";
  case ErrorCode::UnsupportedDType:
    return "UnsupportedDType";
  case ErrorCode::UnsupportedOption:
    return "UnsupportedOption";
  case ErrorCode::Io:
    return "Io";
  case ErrorCode::Cancelled:
    return "Cancelled";
  case ErrorCode::Internal:
    return "Internal";
  case ErrorCode::Plugin:
    return "Plugin";
  case ErrorCode::Mismatch:
    return "Mismatch";
  case ErrorCode::InvalidArgument:
    return "InvalidArgument";
  case ErrorCode::UnknownFormat:
    return "UnknownFormat";
  }
  return "?";
}

// Saves `c` into an empty folder expecting an error with one of `codes`.
void expect_refused(Reporter &r, const fs::path &dir, const weightio::FormatInfo &f, const Case &c,
                    std::vector<ErrorCode> codes, const weightio::ProgressFn &progress = {}) {
  const std::string where = f.name + ", " + c.label;
  r.step(where);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  const fs::path file = dir / ("refused." + f.extensions.at(0));
  auto o = c.save_options(f.name);
  o.progress = progress;
  try {
    weightio::save_weights(file, c.params, o);
    r.fail(where + ": saved, expected a refusal (" + code_name(codes.front()) + ")");
  } catch (const weightio::Error &e) {
    if (std::find(codes.begin(), codes.end(), e.code()) == codes.end())
      r.fail(where + ": refused with " + code_name(e.code()) + ", expected " +
             code_name(codes.front()) + ": " + e.what());
  } catch (const std::exception &e) {
    r.fail(where + ": refused with a non-weightio exception: " + e.what());
  }
  for (const auto &entry : fs::directory_iterator(dir))
    r.fail(where + ": the refused save left '" + entry.path().filename().string() + "' behind");
}

} // namespace

void check_refusals(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  std::vector<weightio::FormatInfo> formats;
  for (const auto &f : t.info.formats)
    if (f.can_write)
      formats.push_back(f);
  const fs::path dir = o.work_dir / "refusals";
  const auto lim = limits_for(o);

  out.push_back(isolated_check("refusals.dtype", lim, [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin writes no format");
    size_t n = 0;
    for (const auto &f : formats) {
      for (int d = 0; d < weightio::kDTypeCount; ++d) {
        const auto dt = static_cast<weightio::DType>(d);
        if (std::find(f.write_dtypes.begin(), f.write_dtypes.end(), dt) != f.write_dtypes.end())
          continue;
        Case c;
        c.label = "undeclared dtype " + std::string(weightio::dtype_name(dt));
        c.add("x", dt, {8}, o.seed);
        expect_refused(r, dir, f, c, {ErrorCode::UnsupportedDType});
        ++n;
        break; // one is enough: the core checks them all the same way
      }
      const auto *block = weightio::define_block_type("conformance.Q3", 4, 3);
      if (std::find(f.block_types.begin(), f.block_types.end(), block) == f.block_types.end()) {
        Case c;
        c.label = "undeclared block type conformance.Q3";
        c.add_block("x", block, {8}, o.seed);
        expect_refused(r, dir, f, c, {ErrorCode::UnsupportedDType});
        ++n;
      }
    }
    r.note(std::to_string(n) + " undeclared types refused (UnsupportedDType), no file left");
  }));

  out.push_back(isolated_check("refusals.limits", lim, [&](Reporter &r) {
    size_t n = 0;
    for (const auto &f : formats) {
      const auto &l = f.limits;
      const auto d = basic_case(f, o.seed).params.begin()->second.dtype();
      auto one = [&](const std::string &label, const std::string &name, weightio::Shape s) {
        Case c;
        c.label = label;
        c.add(name, d, s, o.seed);
        return c;
      };
      const weightio::Shape ok(std::max<uint32_t>(l.min_ndim, 1), 8);
      std::vector<Case> cases;
      if (l.max_ndim != 0 && l.max_ndim < 64)
        cases.push_back(one("ndim " + std::to_string(l.max_ndim + 1) + " (max " +
                                std::to_string(l.max_ndim) + ")",
                            "x", weightio::Shape(l.max_ndim + 1, 2)));
      if (l.min_ndim > 0)
        cases.push_back(one("ndim " + std::to_string(l.min_ndim - 1) + " (min " +
                                std::to_string(l.min_ndim) + ")",
                            "x", weightio::Shape(l.min_ndim - 1, 2)));
      if (!l.zero_dims) {
        auto s = ok;
        s.back() = 0;
        cases.push_back(one("a zero dimension", "x", s));
      }
      if (l.max_name_bytes != 0 && l.max_name_bytes < (1u << 20))
        cases.push_back(one("name of " + std::to_string(l.max_name_bytes + 1) + " bytes (max " +
                                std::to_string(l.max_name_bytes) + ")",
                            std::string(l.max_name_bytes + 1, 'n'), ok));
      if (l.max_tensors != 0 && l.max_tensors < 10000) {
        Case c;
        c.label = std::to_string(l.max_tensors + 1) + " tensors (max " +
                  std::to_string(l.max_tensors) + ")";
        for (uint64_t i = 0; i <= l.max_tensors; ++i)
          c.add("t" + std::to_string(i), d, ok, o.seed + i);
        cases.push_back(std::move(c));
      }
      if (f.metadata && l.max_metadata_value_bytes != 0 &&
          l.max_metadata_value_bytes < (1u << 20)) {
        Case c = basic_case(f, o.seed);
        c.label = "metadata value of " + std::to_string(l.max_metadata_value_bytes + 1) +
                  " bytes (max " + std::to_string(l.max_metadata_value_bytes) + ")";
        c.metadata["conformance.long"] = std::string(l.max_metadata_value_bytes + 1, 'v');
        cases.push_back(std::move(c));
      }
      for (const auto &c : cases) {
        expect_refused(r, dir, f, c,
                       {ErrorCode::UnsupportedOption, ErrorCode::UnsupportedDType,
                        ErrorCode::InvalidArgument});
        ++n;
      }
    }
    if (n == 0)
      return r.skip("the plugin declares no write limits");
    r.note(std::to_string(n) + " saves one past a declared limit refused, no file left");
  }));

  out.push_back(isolated_check("refusals.option", lim, [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin writes no format");
    for (const auto &f : formats) {
      Case c = basic_case(f, o.seed);
      c.label = "unknown option conformance_no_such_option";
      c.format_options["conformance_no_such_option"] = "1";
      expect_refused(r, dir, f, c, {ErrorCode::UnsupportedOption});
      for (const auto &opt : f.options)
        if (opt.for_save && opt.type != weightio::FormatOption::Type::String) {
          Case w = basic_case(f, o.seed);
          w.label = "option " + opt.name + " of the wrong type";
          w.format_options[opt.name] = "not-a-value";
          expect_refused(r, dir, f, w, {ErrorCode::UnsupportedOption});
        }
    }
    r.note("unknown options and wrongly typed values refused (UnsupportedOption), no file left");
  }));

  out.push_back(isolated_check("refusals.cancel", lim, [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin writes no format");
    for (const auto &f : formats) {
      Case c = large_case(f, o.seed);
      c.label = "cancelled through progress (" + c.label + ")";
      bool called = false;
      expect_refused(r, dir, f, c, {ErrorCode::Cancelled}, [&](uint64_t, uint64_t) {
        called = true;
        return false;
      });
      if (!called)
        r.fail(f.name + ": the writer never reported progress, so a save cannot be cancelled");
    }
    r.note("a save cancelled through progress gives Cancelled and leaves no file");
  }));
}

} // namespace wcli::conformance
