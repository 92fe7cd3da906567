#include <weightio/quoted.hpp>
#include <weightio/tree.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

namespace weightio {

namespace {

// Flattening remembers how each key was reached ("['a']['b']" vs "['a.b']"),
// so a collision can name both paths.
struct Flattener {
  FlatParams out;
  std::unordered_map<std::string, std::string> origin;

  void visit(const ParamTree &node, const std::string &prefix, const std::string &path) {
    switch (node.kind()) {
    case ParamTree::Kind::Empty:
      return;
    case ParamTree::Kind::Leaf: {
      auto [it, inserted] = origin.try_emplace(prefix, path);
      if (!inserted)
        throw Error(ErrorCode::InvalidArgument,
                    "parameter tree keys collide: " + it->second + " and " + path +
                        " both flatten to " + sdk::quoted(prefix),
                    {}, prefix);
      out.emplace(prefix, node.leaf());
      return;
    }
    case ParamTree::Kind::List: {
      const auto &items = node.items();
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string idx = std::to_string(i);
        visit(items[i], prefix.empty() ? idx : prefix + "." + idx, path + "[" + idx + "]");
      }
      return;
    }
    case ParamTree::Kind::Dict:
      for (const auto &[key, child] : node.entries())
        visit(child, prefix.empty() ? key : prefix + "." + key,
              path + "[" + sdk::quoted(key) + "]");
      return;
    }
  }
};

// "01" is not an index: two spellings of one index would merge two tensors.
bool is_index(std::string_view s, size_t &value) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0'))
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && p == s.data() + s.size();
}

// One level of MLX's tree_unflatten over (remaining key, full key, leaf).
template <class Leaf>
BasicTree<Leaf>
build(std::vector<std::tuple<std::string_view, const std::string *, const Leaf *>> &entries) {
  using Tree = BasicTree<Leaf>;
  // A single entry whose remaining key is empty is the leaf itself.
  if (entries.size() == 1 && std::get<0>(entries[0]).empty())
    return Tree(*std::get<2>(entries[0]));

  // Group by the first key component, keeping first-seen order.
  std::vector<std::string_view> order;
  std::map<std::string_view,
           std::vector<std::tuple<std::string_view, const std::string *, const Leaf *>>>
      groups;
  for (auto &[rest, full, leaf] : entries) {
    if (rest.empty()) {
      // A leaf at a node that also has children: "a" beside "a.b".
      for (auto &[rest2, full2, leaf2] : entries)
        if (!rest2.empty())
          throw Error(ErrorCode::InvalidArgument,
                      "cannot unflatten: " + sdk::quoted(*full) +
                          " is a tensor and also a prefix of " + sdk::quoted(*full2),
                      {}, *full);
    }
    const size_t dot = rest.find('.');
    std::string_view head = rest.substr(0, dot);
    std::string_view tail =
        dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    auto [it, inserted] = groups.try_emplace(head);
    if (inserted)
      order.push_back(head);
    it->second.emplace_back(tail, full, leaf);
  }

  bool all_indices = true;
  size_t idx = 0;
  for (auto head : order)
    all_indices = all_indices && is_index(head, idx);

  if (all_indices) {
    std::vector<std::pair<size_t, std::string_view>> sorted;
    for (auto head : order) {
      is_index(head, idx);
      sorted.emplace_back(idx, head);
    }
    std::sort(sorted.begin(), sorted.end());
    Tree list = Tree::list();
    for (auto &[i, head] : sorted) {
      // Indices MLX skipped become empty dicts, as tree_unflatten does.
      if (i - list.items().size() > kMaxListGap) {
        const std::string &full = *std::get<1>(groups[head].front());
        throw Error(ErrorCode::InvalidArgument,
                    "cannot unflatten: " + sdk::quoted(full) + " has list index " +
                        std::to_string(i) + ", which would need more than " +
                        std::to_string(kMaxListGap) + " empty entries before it",
                    {}, full);
      }
      while (list.items().size() < i)
        list.append(Tree::dict());
      list.append(build<Leaf>(groups[head]));
    }
    return list;
  }
  Tree dict = Tree::dict();
  for (auto head : order)
    dict[std::string(head)] = build<Leaf>(groups[head]);
  return dict;
}

template <class Leaf, class Map> BasicTree<Leaf> unflatten_impl(const Map &flat) {
  std::vector<std::tuple<std::string_view, const std::string *, const Leaf *>> entries;
  entries.reserve(flat.size());
  for (const auto &[name, leaf] : flat) {
    // build() recurses once per level: bound the depth before it starts.
    if (static_cast<size_t>(std::count(name.begin(), name.end(), '.')) >= kMaxTreeDepth)
      throw Error(ErrorCode::InvalidArgument,
                  "cannot unflatten: '" + name.substr(0, 64) + "...' nests deeper than " +
                      std::to_string(kMaxTreeDepth) + " levels",
                  {}, name);
    entries.emplace_back(name, &name, &leaf);
  }
  if (entries.empty())
    return BasicTree<Leaf>::dict();
  return build<Leaf>(entries);
}

} // namespace

FlatParams flatten(const ParamTree &tree) {
  Flattener f;
  f.visit(tree, "", "");
  return std::move(f.out);
}

ParamTree unflatten(const FlatParams &flat) {
  return unflatten_impl<TensorView>(flat);
}

WeightTree unflatten(const Weights &weights) {
  return unflatten_impl<Tensor>(weights);
}

} // namespace weightio
