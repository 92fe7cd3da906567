// robustness.truncation and robustness.mutation: the reader on damaged
// copies of its own files, each in a child process with a time limit and a
// memory budget. Every input must be refused cleanly (a format error) or
// load consistently; a crash, hang, balloon, internal error or contract
// violation caught by the host fails the check, naming the input and seed.
#include "isolated_check.hpp"
#include "samples.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <random>

namespace wcli::conformance {

namespace {

struct Input {
  std::string what;
  std::shared_ptr<std::vector<uint8_t>> bytes;
};

struct OwnFile {
  std::string format;
  std::string label;
  std::vector<uint8_t> bytes;
};

std::vector<OwnFile> own_files(const Target &t, const KitOptions &o) {
  std::vector<OwnFile> out;
  for (const auto &f : writable_formats(t)) {
    auto c = basic_case(f, o.seed);
    out.push_back({f.name, "its file of 'basic'",
                   weightio::save_weights_to_memory(c.params, c.save_options(f.name))});
  }
  return out;
}

std::vector<Input> truncations(const OwnFile &f, const KitOptions &o) {
  std::vector<size_t> lengths;
  const size_t size = f.bytes.size();
  if (o.thorough && size <= (64u << 10)) {
    for (size_t n = 0; n < size; ++n)
      lengths.push_back(n);
  } else {
    for (size_t n = 0; n < size && n <= 40; ++n)
      lengths.push_back(n);
    std::mt19937_64 rng(o.seed);
    for (int i = 0; i < 40 && size > 41; ++i)
      lengths.push_back(41 + rng() % (size - 41));
    if (size > 41)
      lengths.push_back(size - 1);
  }
  std::vector<Input> out;
  for (size_t n : lengths)
    out.push_back(
        {f.label + " truncated to " + std::to_string(n) + " of " + std::to_string(size) + " bytes",
         std::make_shared<std::vector<uint8_t>>(f.bytes.begin(), f.bytes.begin() + n)});
  return out;
}

std::vector<Input> mutations(const OwnFile &f, const KitOptions &o) {
  std::vector<Input> out;
  const size_t size = f.bytes.size();
  if (size == 0)
    return out;
  auto copy = [&] { return std::make_shared<std::vector<uint8_t>>(f.bytes); };
  auto hex = [](uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return std::string(b);
  };
  // Binary fields: sizes and counts set to values a careless reader would
  // trust (a large allocation, an overflow), at every 4-byte step of the head.
  const uint64_t values[] = {uint64_t{1} << 28, 0xFFFFFFFFull, ~uint64_t{0}};
  for (uint64_t v : values)
    for (size_t off = 0; off + 4 <= size && off < 96; off += 4) {
      const size_t width = off + 8 <= size && v > 0xFFFFFFFFull ? 8 : 4;
      auto b = copy();
      std::memcpy(b->data() + off, &v, width);
      out.push_back({f.label + " with the " + std::to_string(width * 8) +
                         "-bit field at byte offset " + std::to_string(off) + " set to " + hex(v),
                     b});
    }
  // Text fields: decimal numbers (a JSON header's offsets and shapes).
  size_t numbers = 0;
  for (size_t i = 0; i < size && numbers < 24; ++i) {
    if (!std::isdigit(f.bytes[i]) || (i > 0 && std::isdigit(f.bytes[i - 1])))
      continue;
    size_t end = i;
    while (end < size && std::isdigit(f.bytes[end]))
      ++end;
    for (const char *repl : {"99999999999999999999", "4294967296"}) {
      auto b = std::make_shared<std::vector<uint8_t>>(f.bytes.begin(), f.bytes.begin() + i);
      b->insert(b->end(), repl, repl + std::strlen(repl));
      b->insert(b->end(), f.bytes.begin() + end, f.bytes.end());
      out.push_back({f.label + " with the number at byte offset " + std::to_string(i) +
                         " replaced by " + repl,
                     b});
    }
    ++numbers;
  }
  // Seeded random byte flips.
  std::mt19937_64 rng(o.seed);
  const int flips = o.thorough ? 2000 : 150;
  for (int i = 0; i < flips; ++i) {
    auto b = copy();
    const size_t off = rng() % size;
    const uint8_t x = static_cast<uint8_t>(1 + rng() % 255);
    (*b)[off] ^= x;
    out.push_back({f.label + " with byte " + std::to_string(off) + " XOR " + hex(x) + " (flip " +
                       std::to_string(i) + ", seed " + std::to_string(o.seed) + ")",
                   b});
  }
  return out;
}

// Loads one input in the child; "" when it was refused cleanly or loaded
// consistently, else what went wrong.
std::string try_input(const std::string &format, const Input &in, uint64_t budget) {
  weightio::LoadOptions lo;
  lo.format = format;
  lo.limits.max_alloc_bytes = budget;
  lo.threads = 1;
  const auto &bytes = *in.bytes;
  try {
    auto w = weightio::load_weights_from_memory(bytes, lo, in.bytes);
    const auto *lo_end = bytes.data() + bytes.size();
    for (const auto &[name, t] : w) {
      const auto *p = static_cast<const uint8_t *>(t.data());
      if (p >= bytes.data() && p < lo_end && t.nbytes() > static_cast<uint64_t>(lo_end - p))
        return "tensor '" + name + "' runs past the end of the input";
      volatile uint8_t sum = 0; // every byte must be readable
      for (uint64_t i = 0; i < t.nbytes(); ++i)
        sum = static_cast<uint8_t>(sum + p[i]);
    }
    return {};
  } catch (const weightio::Error &e) {
    // The ABI lets a reader leave the consistency of dtype, shape and byte
    // count to the host (a damaged header then fails there); a view outside
    // the input is the reader's own fault.
    if (e.code() == weightio::ErrorCode::Plugin &&
        std::string_view(e.what()).find("outside the file") != std::string_view::npos)
      return std::string("the host caught the reader breaking the contract: ") + e.what();
    if (e.code() == weightio::ErrorCode::Internal)
      return std::string("the reader failed with an internal error (out of memory?) instead of "
                         "refusing the input: ") +
             e.what();
    return {};
  } catch (const std::exception &e) {
    return std::string("unexpected exception: ") + e.what();
  }
}

CheckResult run_inputs(const std::string &id, const std::string &format,
                       const std::vector<Input> &inputs, const KitOptions &o) {
  CheckResult r{id, Status::Pass, {}};
  size_t start = 0, failures = 0;
  std::string first;
  uint64_t biggest = 0;
  for (const auto &in : inputs)
    biggest = std::max<uint64_t>(biggest, in.bytes->size());
  ChildLimits lim = limits_for(o, (64u << 20) + 16 * biggest);
  while (start < inputs.size()) {
    const ChildRun run = run_child(
        [&](LineWriter &w) {
          for (size_t i = start; i < inputs.size(); ++i) {
            w.line("S " + std::to_string(i));
            const uint64_t before = self_rss();
            const bool peak_known = reset_peak_rss();
            std::string why = try_input(format, inputs[i], lim.memory_budget);
            // The parent polls; the peak also catches a spike between polls.
            const uint64_t peak = self_peak_rss();
            if (why.empty() && peak_known && peak > before + lim.memory_budget)
              why = "the reader allocated too much memory (peak resident memory grew by " +
                    std::to_string((peak - before) >> 20) + " MiB, over its budget of " +
                    std::to_string(lim.memory_budget >> 20) + " MiB)";
            std::replace(why.begin(), why.end(), '\n', ' ');
            w.line((why.empty() ? "R " : "X ") + std::to_string(i) + " " + why);
          }
        },
        lim);
    size_t last_started = start;
    for (const auto &l : run.lines) {
      const size_t i = std::strtoull(l.c_str() + 2, nullptr, 10);
      if (l[0] == 'S')
        last_started = i;
      if (l[0] == 'X' && failures++ == 0)
        first = inputs[i].what + ": " + l.substr(l.find(' ', 2) + 1);
    }
    if (run.completed)
      break;
    if (failures++ == 0)
      first = inputs[last_started].what + ": the reader " + describe_end(run, lim);
    break; // one abnormal end is enough: each further one may cost the time limit
  }
  if (failures > 0) {
    r.status = Status::Fail;
    r.detail = format + ": " + first;
    if (failures > 1)
      r.detail += " (and " + std::to_string(failures - 1) + " more)";
  } else {
    r.detail = std::to_string(inputs.size()) + " inputs refused cleanly or loaded consistently";
    if (id == "robustness.mutation")
      r.detail += " (seed " + std::to_string(o.seed) + ")";
  }
  return r;
}

} // namespace

void check_robustness(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  std::vector<OwnFile> files;
  std::string why;
  const ChildRun made = run_child(
      [&](LineWriter &w) {
        for (const auto &f : own_files(t, o)) {
          std::string hexed;
          static const char digits[] = "0123456789abcdef";
          for (uint8_t b : f.bytes) {
            hexed += digits[b >> 4];
            hexed += digits[b & 15];
          }
          w.line(f.format + " " + hexed);
        }
      },
      limits_for(o));
  if (!made.completed) {
    for (const char *id : {"robustness.truncation", "robustness.mutation"})
      out.push_back({id, Status::Fail,
                     "writing its own files: the plugin " + describe_end(made, limits_for(o))});
    return;
  }
  for (const auto &l : made.lines) {
    const auto sp = l.find(' ');
    OwnFile f{l.substr(0, sp), "its file of 'basic'", {}};
    for (size_t i = sp + 1; i + 1 < l.size(); i += 2)
      f.bytes.push_back(static_cast<uint8_t>(std::stoi(l.substr(i, 2), nullptr, 16)));
    files.push_back(std::move(f));
  }
  if (files.empty()) {
    for (const char *id : {"robustness.truncation", "robustness.mutation"})
      out.push_back({id, Status::Skip, "the plugin writes no format it reads: no own files"});
    return;
  }
  CheckResult trunc{"robustness.truncation", Status::Pass, {}};
  CheckResult mut{"robustness.mutation", Status::Pass, {}};
  for (const auto &f : files) {
    auto a = run_inputs("robustness.truncation", f.format, truncations(f, o), o);
    if (trunc.status == Status::Pass)
      trunc = a;
    auto b = run_inputs("robustness.mutation", f.format, mutations(f, o), o);
    if (mut.status == Status::Pass)
      mut = b;
  }
  out.push_back(trunc);
  out.push_back(mut);
}

} // namespace wcli::conformance
