#include "bench_workload.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

Workload load_workload(const std::filesystem::path &dir, const std::string &name) {
  Workload w;
  const auto bin = dir / (name + ".bin");
  w.size = std::filesystem::file_size(bin);
  w.bytes = weightio::allocate_aligned(w.size, 64);
  int fd = ::open(bin.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("cannot open " + bin.string());
  auto *p = static_cast<char *>(w.bytes.get());
  uint64_t done = 0;
  while (done < w.size) {
    ssize_t n = ::read(fd, p + done, w.size - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot read " + bin.string());
    }
    done += static_cast<uint64_t>(n);
  }
  ::close(fd);
  std::ifstream in(dir / (name + ".json"));
  const auto entries = nlohmann::json::parse(in);
  w.params.reserve(entries.size());
  for (const auto &e : entries) {
    weightio::Shape shape = e.at("shape").get<weightio::Shape>();
    const uint64_t offset = e.at("offset").get<uint64_t>();
    w.params.emplace(e.at("name").get<std::string>(),
                     weightio::TensorView(weightio::DType::F32, shape, p + offset));
    w.params_bytes += e.at("nbytes").get<uint64_t>();
  }
  return w;
}
