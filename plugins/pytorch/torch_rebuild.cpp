#include "torch_rebuild.hpp"

#include "pytorch_error.hpp"
#include "torch_dtypes.hpp"

#include <weightio/plugin_sdk.hpp>

#include <string>

namespace weightio::pytorch {

namespace {

// Reads one call's arguments, refusing any of the wrong type with the
// callable's name.
class Args {
public:
  Args(Objects &o, Ref args, std::string what) : o_(o), what_(std::move(what)) {
    if (o_[args].kind != Kind::tuple)
      fail(PtError::pickle,
           "its arguments are a " + std::string(kind_name(o_[args].kind)) + ", not a tuple");
    items_ = &o_.items(args);
  }

  size_t size() const { return items_->size(); }
  Ref operator[](size_t i) const { return (*items_)[i]; }
  Kind kind(size_t i) const { return o_[(*items_)[i]].kind; }

  void expect_count(size_t lo, size_t hi) const {
    if (size() < lo || size() > hi)
      fail(PtError::pickle, "takes " + std::to_string(lo) +
                                (hi != lo ? " to " + std::to_string(hi) : std::string()) +
                                " arguments, the pickle gives " + std::to_string(size()));
  }

  void expect(size_t i, Kind k, std::string_view name) const {
    if (kind(i) != k)
      wrong(i, name, kind_name(k));
  }
  // A dict (an OrderedDict of hooks, a metadata dict) or None.
  void expect_dict_or_none(size_t i, std::string_view name) const {
    if (kind(i) != Kind::dict && kind(i) != Kind::none)
      wrong(i, name, "dict or None");
  }
  int64_t integer(size_t i, std::string_view name) const {
    expect(i, Kind::integer, name);
    return static_cast<int64_t>(o_[(*items_)[i]].a);
  }
  const GlobalRecord &global(size_t i, std::string_view name) const {
    expect(i, Kind::global, name);
    return o_.globals[o_[(*items_)[i]].a];
  }
  // A tuple of non-negative ints (a shape or strides).
  std::vector<int64_t> dims(size_t i, std::string_view name) const {
    expect(i, Kind::tuple, name);
    std::vector<int64_t> out;
    for (Ref r : o_.items((*items_)[i])) {
      if (o_[r].kind != Kind::integer || static_cast<int64_t>(o_[r].a) < 0)
        fail(PtError::tensor, "its " + std::string(name) + " holds a " +
                                  std::string(kind_name(o_[r].kind)) +
                                  " that is not a non-negative int");
      out.push_back(static_cast<int64_t>(o_[r].a));
    }
    return out;
  }

  [[noreturn]] void wrong(size_t i, std::string_view name, std::string_view want) const {
    fail(PtError::tensor, "its " + std::string(name) + " (argument " + std::to_string(i + 1) +
                              ") is a " + std::string(kind_name(kind(i))) + ", not a " +
                              std::string(want));
  }
  [[noreturn]] void fail(PtError kind, const std::string &detail) const {
    refuse(kind, what_ + ": " + detail);
  }

private:
  Objects &o_;
  std::string what_;
  const std::vector<Ref> *items_ = nullptr;
};

std::string spelled(const GlobalRecord &g) {
  return std::string(g.module) + "." + std::string(g.name);
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
// backward_hooks[, metadata]) and _v3(..., backward_hooks, dtype[,
// metadata]): v3 carries the dtype, for an UntypedStorage.
Ref rebuild_tensor(Objects &o, const Args &a, bool v3, const PickleLimits &limits) {
  a.expect_count(v3 ? 7 : 6, v3 ? 8 : 7);
  if (a.kind(0) == Kind::refused)
    return a[0];
  a.expect(0, Kind::storage, "storage");
  TensorRecord t;
  t.view = static_cast<uint32_t>(o[a[0]].a);
  const int64_t offset = a.integer(1, "storage offset");
  if (offset < 0)
    a.fail(PtError::tensor, "its storage offset " + std::to_string(offset) + " is negative");
  t.offset = static_cast<uint64_t>(offset);
  t.shape = a.dims(2, "size");
  t.strides = a.dims(3, "stride");
  if (t.shape.size() != t.strides.size())
    a.fail(PtError::tensor, "its size has " + std::to_string(t.shape.size()) +
                                " dimensions and its stride " + std::to_string(t.strides.size()));
  if (limits.max_ndim != 0 && t.shape.size() > limits.max_ndim)
    sdk::over_limit("tensor dimensions", t.shape.size(), limits.max_ndim, "max_ndim");
  a.expect(4, Kind::boolean, "requires_grad");
  a.expect_dict_or_none(5, "backward_hooks");
  const StorageRecord &s = o.storages[o.views[t.view].storage];
  if (v3) {
    const GlobalRecord &g = a.global(6, "dtype");
    if (g.ref.kind != GlobalKind::dtype)
      a.fail(PtError::unsupported, "its dtype " + spelled(g) + " has no weightio type");
    if (s.typed && s.dtype != g.ref.dtype)
      a.fail(PtError::tensor, "its dtype " + spelled(g) + " is not its typed storage's");
    t.dtype = g.ref.dtype;
  } else {
    if (!s.typed)
      a.fail(PtError::tensor, "an UntypedStorage needs _rebuild_tensor_v3, which names the dtype");
    t.dtype = s.dtype;
  }
  if (a.size() == (v3 ? 8u : 7u))
    a.expect_dict_or_none(a.size() - 1, "metadata");
  o.tensors.push_back(std::move(t));
  return o.add(Kind::tensor, o.tensors.size() - 1);
}

// _rebuild_parameter(data, requires_grad, backward_hooks[, state]) and
// Parameter(data[, requires_grad]): the tensor itself.
Ref parameter(const Args &a, size_t lo, size_t hi) {
  a.expect_count(lo, hi);
  if (a.kind(0) != Kind::tensor && a.kind(0) != Kind::refused)
    a.wrong(0, "data", "tensor");
  if (a.size() > 1)
    a.expect(1, Kind::boolean, "requires_grad");
  if (a.size() > 2)
    a.expect_dict_or_none(2, "backward_hooks");
  return a[0];
}

} // namespace

Ref call_global(Objects &o, Ref callable, Ref args, bool newobj, const PickleLimits &limits) {
  const char *how = newobj ? "NEWOBJ" : "REDUCE";
  if (o[callable].kind != Kind::global)
    refuse(PtError::pickle, std::string(how) + " of a " + std::string(kind_name(o[callable].kind)) +
                                ": only allowed globals are called");
  const GlobalRecord g = o.globals[o[callable].a];
  const Args a(o, args, spelled(g));
  switch (g.ref.kind) {
  case GlobalKind::ordered_dict: {
    a.expect_count(0, 0);
    const Ref d = o.add(Kind::dict);
    o[d].flags = kOrdered;
    o[d].depth = 1;
    return d;
  }
  case GlobalKind::rebuild_tensor_v2:
  case GlobalKind::rebuild_tensor_v3:
    return rebuild_tensor(o, a, g.ref.kind == GlobalKind::rebuild_tensor_v3, limits);
  case GlobalKind::rebuild_parameter:
    return parameter(a, 3, 3);
  case GlobalKind::rebuild_parameter_with_state:
    return parameter(a, 4, 4);
  case GlobalKind::parameter:
    return parameter(a, 1, 2);
  case GlobalKind::unsupported_tensor:
    // Its arguments are data the machine built; nothing of them is read.
    return o.add(Kind::refused, static_cast<uint64_t>(g.ref.detail));
  case GlobalKind::size:
    a.expect_count(1, 1);
    (void)a.dims(0, "torch.Size");
    return a[0];
  case GlobalKind::device:
    a.expect_count(1, 2);
    a.expect(0, Kind::string, "device type");
    return o.add(Kind::opaque, static_cast<uint64_t>(Opaque::device));
  case GlobalKind::get_layout:
    a.expect_count(1, 1);
    a.expect(0, Kind::string, "layout name");
    return o.add(Kind::opaque, static_cast<uint64_t>(Opaque::layout));
  case GlobalKind::builtin_set:
    a.expect_count(0, 1);
    return o.add(Kind::set);
  case GlobalKind::builtin_complex:
    a.expect_count(0, 2);
    return o.add(Kind::opaque, static_cast<uint64_t>(Opaque::complex));
  case GlobalKind::builtin_bytearray:
    a.expect_count(0, 2);
    return o.add(Kind::opaque, static_cast<uint64_t>(Opaque::bytearray));
  case GlobalKind::codecs_encode:
    a.expect_count(1, 2);
    a.expect(0, Kind::string, "text");
    return o.add(Kind::bytes, o[a[0]].a, o[a[0]].b);
  case GlobalKind::typed_storage:
  case GlobalKind::untyped_storage:
  case GlobalKind::quantized_storage:
  case GlobalKind::dtype:
  case GlobalKind::torch_marker:
    break;
  }
  refuse(PtError::pickle,
         std::string(how) + " of " + spelled(g) + ": it is allowed as data, never called");
}

namespace {

std::string storage_description(const StorageRecord &s) {
  return s.typed ? std::string(storage_class_of(s.dtype)) + " of " + std::to_string(s.numel) +
                       " elements"
                 : "UntypedStorage of " + std::to_string(s.numel) + " bytes";
}

// A non-negative int item of a persistent id.
uint64_t count_item(const Objects &o, Ref r, std::string_view what) {
  if (o[r].kind != Kind::integer || static_cast<int64_t>(o[r].a) < 0)
    refuse(PtError::persistent_id, "its " + std::string(what) + " is a " +
                                       std::string(kind_name(o[r].kind)) +
                                       ", not a non-negative int");
  return o[r].a;
}

// The legacy format's view_metadata: (view_key, offset, size), a range of
// the storage in its elements.
StorageView view_of(const Objects &o, Ref meta, StorageView whole) {
  if (o[meta].kind == Kind::none)
    return whole;
  if (o[meta].kind != Kind::tuple || o.items(meta).size() != 3 ||
      o[o.items(meta)[0]].kind != Kind::string)
    refuse(PtError::persistent_id, "its view_metadata is not None or (key, offset, size)");
  const uint64_t base = count_item(o, o.items(meta)[1], "view offset");
  const uint64_t numel = count_item(o, o.items(meta)[2], "view size");
  if (base > whole.numel || numel > whole.numel - base)
    refuse(PtError::persistent_id, "its view of elements [" + std::to_string(base) + ", " +
                                       std::to_string(base) + " + " + std::to_string(numel) +
                                       ") lies past its storage's " + std::to_string(whole.numel));
  return {whole.storage, base, numel};
}

} // namespace

Ref persistent_load(Objects &o, Ref pid) {
  if (o[pid].kind != Kind::tuple)
    refuse(PtError::persistent_id,
           "a " + std::string(kind_name(o[pid].kind)) + ", not torch's ('storage', ...) tuple");
  const std::vector<Ref> &it = o.items(pid);
  if (it.empty() || o[it[0]].kind != Kind::string)
    refuse(PtError::persistent_id, "its first item is not a type name");
  const std::string_view type = o.text(it[0]);
  if (type == "module")
    refuse(PtError::torchscript,
           "its pickle refers to a TorchScript module (a ('module', ...) persistent id); load it "
           "with torch.jit.load");
  if (type != "storage")
    refuse(PtError::persistent_id, "of type " + sdk::quoted(type) + ": only storages are read");
  if (it.size() != 5 && it.size() != 6)
    refuse(PtError::persistent_id, "('storage', ...) with " + std::to_string(it.size()) +
                                       " items; torch writes 5 (zip) or 6 (legacy)");
  if (o[it[1]].kind != Kind::global)
    refuse(PtError::persistent_id, "its storage class is not a class");
  const GlobalRecord &cls = o.globals[o[it[1]].a];
  if (o[it[2]].kind != Kind::string || o[it[3]].kind != Kind::string)
    refuse(PtError::persistent_id, "its key or location is not a str");
  StorageRecord rec;
  rec.key = o.text(it[2]);
  rec.numel = count_item(o, it[4], "numel");
  if (cls.ref.kind == GlobalKind::quantized_storage)
    return o.add(Kind::refused, static_cast<uint64_t>(TensorKind::quantized));
  if (cls.ref.kind == GlobalKind::untyped_storage)
    rec.typed = false;
  else if (cls.ref.kind == GlobalKind::typed_storage)
    rec.dtype = cls.ref.dtype;
  else
    refuse(PtError::persistent_id, "its storage class " + spelled(cls) + " is not a storage");

  auto [found, inserted] = o.storage_by_key.try_emplace(rec.key, o.storages.size());
  if (inserted) {
    o.storages.push_back(rec);
  } else {
    const StorageRecord &had = o.storages[found->second];
    if (had.typed != rec.typed || had.dtype != rec.dtype || had.numel != rec.numel)
      refuse(PtError::storage,
             "declared as " + storage_description(had) + " and as " + storage_description(rec),
             rec.key);
  }
  const StorageView whole{found->second, 0, rec.numel};
  o.views.push_back(it.size() == 6 ? view_of(o, it[5], whole) : whole);
  return o.add(Kind::storage, o.views.size() - 1);
}

void build_state(Objects &o, Ref target, Ref state) {
  const Node &t = o[target];
  const bool ordered_dict = t.kind == Kind::dict && (t.flags & kOrdered) != 0;
  if (!ordered_dict && t.kind != Kind::tensor && t.kind != Kind::refused)
    refuse(PtError::pickle, "BUILD of a " + std::string(kind_name(t.kind)) +
                                ": torch builds only OrderedDicts and tensors");
  const Kind s = o[state].kind;
  if (ordered_dict && s != Kind::dict && s != Kind::none)
    refuse(PtError::pickle,
           "an OrderedDict's state is a " + std::string(kind_name(s)) + ", not a dict");
}

} // namespace weightio::pytorch
