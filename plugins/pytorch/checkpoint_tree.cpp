#include "checkpoint_tree.hpp"

#include "pytorch_error.hpp"

#include <weightio/plugin_sdk.hpp>

#include <unordered_set>

namespace weightio::pytorch {

namespace {

// The walk's work bound: node visits and name bytes built, a multiple of
// what the file holds. A tree without shared sub-trees visits each node
// once; sharing (one tuple in several param_groups) a few times; only a
// DAG built to explode reaches this.
constexpr uint64_t kVisitsPerObject = 8;
constexpr uint64_t kBaseVisits = uint64_t{1} << 16;
constexpr uint64_t kNameBytesPerObject = 256;
constexpr uint64_t kBaseNameBytes = uint64_t{16} << 20;

class Walker {
public:
  Walker(const Objects &o, const TreeOptions &opt)
      : o_(o), opt_(opt), on_path_(o.size(), 0),
        visits_left_(kBaseVisits + kVisitsPerObject * o.size()),
        name_bytes_left_(kBaseNameBytes + kNameBytesPerObject * o.size()) {}

  Tree run(Ref top) {
    visit(top, "");
    while (!frames_.empty())
      advance();
    if (!opt_.root.empty() && !root_found_)
      refuse(PtError::tree, "the checkpoint has no sub-tree of that name",
             "root " + std::string(opt_.root));
    return std::move(tree_);
  }

private:
  struct Frame {
    Ref node;
    size_t next = 0;     // the next item (a dict's: the next key)
    size_t path_len = 0; // the path's length at this container
  };

  // The next child of the innermost container, or leaves it when done.
  void advance() {
    Frame &f = frames_.back();
    const std::vector<Ref> &items = o_.items(f.node);
    const bool dict = o_[f.node].kind == Kind::dict;
    if (f.next >= items.size()) {
      on_path_[f.node] = 0;
      path_.resize(f.path_len);
      frames_.pop_back();
      return;
    }
    std::string key;
    Ref child;
    if (dict) {
      const Ref k = items[f.next];
      child = items[f.next + 1];
      f.next += 2;
      if (o_[k].kind == Kind::string) {
        key = o_.text(k);
      } else if (o_[k].kind == Kind::integer) {
        key = std::to_string(static_cast<int64_t>(o_[k].a));
      } else {
        const std::string_view parent = std::string_view(path_).substr(0, f.path_len);
        if (parent == opt_.root || under_root(parent))
          ++tree_.skipped_keys;
        return;
      }
    } else {
      key = std::to_string(f.next);
      child = items[f.next++];
    }
    const size_t len = f.path_len;
    visit(child, key, len);
  }

  // `key` below the container whose path is path_[0, parent_len); the
  // top object (no frames yet) has no name of its own.
  void visit(Ref node, std::string_view key, size_t parent_len = 0) {
    if (visits_left_ == 0)
      sdk::over_limit("checkpoint tree visits", kBaseVisits + kVisitsPerObject * o_.size() + 1,
                      kBaseVisits + kVisitsPerObject * o_.size(), "tree_visits");
    --visits_left_;
    path_.resize(parent_len);
    if (!frames_.empty()) {
      if (parent_len != 0)
        path_.push_back('.');
      path_.append(key);
    }
    charge_name(path_.size());
    const std::string_view name = path_;
    if (!selected(name))
      return;
    const Node &n = o_[node];
    if (is_container(n.kind))
      return enter(node, name);
    if (opt_.root.size() > 0 && !under_root(name)) {
      if (name == opt_.root)
        refuse(PtError::tree, "it names a " + std::string(kind_name(n.kind)) + ", not a sub-tree",
               "root " + std::string(opt_.root));
      return;
    }
    leaf(node, strip_root(name));
  }

  void enter(Ref node, std::string_view name) {
    if (on_path_[node] != 0)
      refuse(PtError::tree, "the container holds itself", std::string(name));
    if (opt_.max_nesting != 0 && frames_.size() + 1 > opt_.max_nesting)
      sdk::over_limit("container nesting", frames_.size() + 1, opt_.max_nesting, "max_nesting");
    if (!opt_.root.empty() && name == opt_.root)
      root_found_ = true;
    on_path_[node] = 1;
    frames_.push_back({node, 0, path_.size()});
  }

  // Whether `name` lies on the way to the root or under it.
  bool selected(std::string_view name) const {
    if (opt_.root.empty() || frames_.empty())
      return true;
    return name == opt_.root || under_root(name) ||
           (opt_.root.size() > name.size() && opt_.root.starts_with(name) &&
            opt_.root[name.size()] == '.');
  }
  bool under_root(std::string_view name) const {
    return opt_.root.empty() || (name.size() > opt_.root.size() && name.starts_with(opt_.root) &&
                                 name[opt_.root.size()] == '.');
  }
  std::string_view strip_root(std::string_view name) const {
    return opt_.root.empty() ? name : name.substr(opt_.root.size() + 1);
  }

  void leaf(Ref node, std::string_view name) {
    const Kind k = o_[node].kind;
    switch (k) {
    case Kind::refused:
      refuse(PtError::unsupported,
             "a " + std::string(tensor_kind_name(static_cast<TensorKind>(o_[node].a))) +
                 "; weightio reads dense tensors only",
             name);
    case Kind::tensor:
      if (opt_.max_tensors != 0 && tree_.tensors >= opt_.max_tensors)
        sdk::over_limit("tensors", tree_.tensors + 1, opt_.max_tensors, "max_tensors");
      ++tree_.tensors;
      break;
    case Kind::boolean:
    case Kind::integer:
    case Kind::floating:
    case Kind::string:
      break;
    default:
      return skip(value_name(o_[node]));
    }
    if (opt_.max_name_bytes != 0 && name.size() > opt_.max_name_bytes)
      sdk::over_limit("name bytes", name.size(), opt_.max_name_bytes, "max_name_bytes");
    if (!names_.emplace(name).second)
      refuse(PtError::tree, "two objects of the checkpoint have this name", name);
    tree_.leaves.push_back({std::string(name), node});
  }

  void skip(std::string_view what) {
    ++tree_.skipped_values;
    for (std::string_view seen : skipped_seen_)
      if (seen == what)
        return;
    skipped_seen_.push_back(what);
    if (!tree_.skipped_kinds.empty())
      tree_.skipped_kinds += ", ";
    tree_.skipped_kinds += what;
  }

  void charge_name(uint64_t bytes) {
    if (bytes > name_bytes_left_)
      sdk::over_limit("checkpoint tree name bytes",
                      kBaseNameBytes + kNameBytesPerObject * o_.size() + 1,
                      kBaseNameBytes + kNameBytesPerObject * o_.size(), "tree_visits");
    name_bytes_left_ -= bytes;
  }

  const Objects &o_;
  const TreeOptions &opt_;
  std::vector<uint8_t> on_path_;
  std::vector<Frame> frames_;
  std::string path_;
  std::unordered_set<std::string> names_;
  Tree tree_;
  uint64_t visits_left_;
  uint64_t name_bytes_left_;
  std::vector<std::string_view> skipped_seen_; // a few names at most
  bool root_found_ = false;
};

} // namespace

Tree walk_tree(const Objects &objects, Ref top, const TreeOptions &options) {
  return Walker(objects, options).run(top);
}

} // namespace weightio::pytorch
