// concurrency: one file read from 4 threads at once, and 4 saves to
// different paths at once, all giving what one thread gives.
#include "isolated_check.hpp"
#include "samples.hpp"

#include <mutex>
#include <thread>

namespace wcli::conformance {

namespace fs = std::filesystem;

void check_concurrency(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  const auto formats = writable_formats(t);
  out.push_back(isolated_check("concurrency", limits_for(o), [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin has no format that both writes and reads");
    constexpr int kThreads = 4;
    for (const auto &f : formats) {
      const Case c = basic_case(f, o.seed);
      const auto opts = c.save_options(f.name);
      weightio::LoadOptions lo;
      lo.format = f.name;
      std::mutex m;
      std::vector<std::string> problems;
      auto note = [&](const std::string &what) {
        std::lock_guard lock(m);
        problems.push_back(what);
      };

      r.step(f.name + ": one file read from " + std::to_string(kThreads) + " threads");
      const fs::path shared = o.work_dir / ("concurrency." + f.extensions.at(0));
      weightio::save_weights(shared, c.params, opts);
      {
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i)
          threads.emplace_back([&, i] {
            try {
              for (int k = 0; k < 3; ++k)
                if (auto d = compare_loaded(c, weightio::load_weights(shared, lo)); !d.empty())
                  return note("reader thread " + std::to_string(i) + ": " + d);
            } catch (const std::exception &e) {
              note("reader thread " + std::to_string(i) + ": " + e.what());
            }
          });
        for (auto &th : threads)
          th.join();
      }

      r.step(f.name + ": " + std::to_string(kThreads) + " saves at once");
      {
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i)
          threads.emplace_back([&, i] {
            try {
              weightio::save_weights(
                  o.work_dir / ("concurrent" + std::to_string(i) + "." + f.extensions.at(0)),
                  c.params, opts);
            } catch (const std::exception &e) {
              note("writer thread " + std::to_string(i) + ": " + e.what());
            }
          });
        for (auto &th : threads)
          th.join();
      }
      for (int i = 0; i < kThreads && problems.empty(); ++i) {
        const auto p = o.work_dir / ("concurrent" + std::to_string(i) + "." + f.extensions.at(0));
        try {
          if (auto d = compare_loaded(c, weightio::load_weights(p, lo)); !d.empty())
            note("file of writer thread " + std::to_string(i) + ": " + d);
        } catch (const std::exception &e) {
          note("file of writer thread " + std::to_string(i) + ": " + e.what());
        }
      }
      for (const auto &p : problems)
        r.fail(f.name + ": " + p);
    }
    r.note(std::to_string(kThreads) + " concurrent readers of one file and " +
           std::to_string(kThreads) + " concurrent saves agree with one thread");
  }));
}

} // namespace wcli::conformance
