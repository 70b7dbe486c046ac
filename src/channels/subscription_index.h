#pragma once

#include <cassert>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "channels/name.h"
#include "channels/segments.h"
#include "channels/subscriber_list.h"

namespace pushy::channels {

// Which local subscribers want a published channel: the fan-out lookup of one event loop.
// Holds a set of (entry, subscriber) pairs, where an entry is a valid name or pattern; it does
// not own the subscribers, and a subscriber must be removed from every entry before it dies.
//
// Layout: names live in a hash map from name to a SubscriberList; patterns live in a trie with
// one level per segment (literal children, one `*` child, and at each node the list of patterns
// ending there plus the list of patterns `<path>.**`). A lookup costs one hash probe plus a walk
// of the trie paths the channel can take, never a scan of all patterns. Nodes and lists that
// become empty are freed at once. Lookups by string_view never allocate.
//
// Single-threaded: owned by one event loop and used only from its thread.
template <typename Subscriber>
class SubscriptionIndex {
 public:
  // Adds the pair. True when `entry` had no subscriber before (the caller then subscribes the
  // node to it at the broker). Adding a pair already present is a no-op returning false.
  // `entry` must be valid (Classify() != kInvalid): callers validate untrusted input first.
  bool Add(std::string_view entry, Subscriber* s) {
    assert(!iterating_ && "ForEachMatch callbacks must not modify the index");
    List* list = nullptr;
    switch (Classify(entry)) {
      case EntryKind::kInvalid:
        assert(false && "SubscriptionIndex::Add needs a valid entry");
        return false;
      case EntryKind::kName:
        list = &NameListFor(entry);
        break;
      case EntryKind::kPattern:
        list = &PatternListFor(entry);
        break;
    }
    const bool first = list->empty();
    if (!list->Insert(s)) return false;
    ++size_;
    return first;
  }

  // Removes the pair. True when `s` was the last subscriber of `entry` (the caller then
  // unsubscribes at the broker). Removing an absent pair is a no-op returning false.
  bool Remove(std::string_view entry, Subscriber* s) {
    assert(!iterating_ && "ForEachMatch callbacks must not modify the index");
    Removal result = Removal::kAbsent;
    switch (Classify(entry)) {
      case EntryKind::kInvalid:
        return false;
      case EntryKind::kName:
        result = RemoveName(entry, s);
        break;
      case EntryKind::kPattern:
        result = RemoveFrom(root_, SegmentCursor(entry), s);
        break;
    }
    if (result == Removal::kAbsent) return false;
    --size_;
    return result == Removal::kRemovedLast;
  }

  // Calls f(Subscriber*) once per pair whose entry matches the concrete `channel`; a subscriber
  // holding overlapping entries (`a.*` and `a.x`) is called once per entry, so the caller
  // dedupes. `f` must not Add or Remove on this index (collect first, act after).
  template <typename F>
  void ForEachMatch(std::string_view channel, F&& f) const {
    IterationGuard guard(iterating_);
    if (!names_.empty()) {
      if (const auto it = names_.find(channel); it != names_.end()) it->second.ForEach(f);
    }
    if (!root_.empty()) Visit(root_, SegmentCursor(channel), f);
  }

  // Number of (entry, subscriber) pairs.
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Trie nodes below the root, for tests that check empty nodes are freed.
  std::size_t pattern_node_count() const { return nodes_; }
  // Distinct names with at least one subscriber.
  std::size_t name_count() const { return names_.size(); }

 private:
  using List = SubscriberList<Subscriber>;
  enum class Removal { kAbsent, kRemoved, kRemovedLast };

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct Node {
    StringMap<std::unique_ptr<Node>> literals;
    std::unique_ptr<Node> star;
    List ends_here;  // patterns whose last segment leads to this node
    List tail;       // patterns `<path to this node>.**`

    bool empty() const { return literals.empty() && !star && ends_here.empty() && tail.empty(); }
  };

  // Marks the index as being iterated, so that Add/Remove from inside a callback trip an
  // assertion; restores the previous state so nested read-only lookups are fine.
  class IterationGuard {
   public:
    explicit IterationGuard(bool& flag) : flag_(flag), previous_(flag) { flag_ = true; }
    ~IterationGuard() { flag_ = previous_; }
    IterationGuard(const IterationGuard&) = delete;
    IterationGuard& operator=(const IterationGuard&) = delete;

   private:
    bool& flag_;
    bool previous_;
  };

  List& NameListFor(std::string_view name) {
    if (const auto it = names_.find(name); it != names_.end()) return it->second;
    return names_.try_emplace(std::string(name)).first->second;
  }

  List& PatternListFor(std::string_view pattern) {
    Node* node = &root_;
    SegmentCursor cursor(pattern);
    std::string_view segment;
    while (cursor.Next(segment)) {
      if (segment == kStarStar) return node->tail;  // always the last segment
      std::unique_ptr<Node>& child =
          segment == kStar ? node->star
                           : node->literals.try_emplace(std::string(segment)).first->second;
      if (!child) {
        child = std::make_unique<Node>();
        ++nodes_;
      }
      node = child.get();
    }
    return node->ends_here;
  }

  static Removal Take(List& list, Subscriber* s) {
    if (!list.Erase(s)) return Removal::kAbsent;
    return list.empty() ? Removal::kRemovedLast : Removal::kRemoved;
  }

  Removal RemoveName(std::string_view name, Subscriber* s) {
    const auto it = names_.find(name);
    if (it == names_.end()) return Removal::kAbsent;
    const Removal result = Take(it->second, s);
    if (result == Removal::kRemovedLast) names_.erase(it);
    return result;
  }

  // Removes `s` from the list `cursor` leads to below `node`, then frees the child on the path
  // if that left it empty (so each level prunes the one below it on the way back up).
  Removal RemoveFrom(Node& node, SegmentCursor cursor, Subscriber* s) {
    std::string_view segment;
    if (!cursor.Next(segment)) return Take(node.ends_here, s);
    if (segment == kStarStar) return Take(node.tail, s);
    if (segment == kStar) {
      if (!node.star) return Removal::kAbsent;
      const Removal result = RemoveFrom(*node.star, cursor, s);
      if (node.star->empty()) FreeChild(node.star);
      return result;
    }
    const auto it = node.literals.find(segment);
    if (it == node.literals.end()) return Removal::kAbsent;
    const Removal result = RemoveFrom(*it->second, cursor, s);
    if (it->second->empty()) {
      FreeChild(it->second);
      node.literals.erase(it);
    }
    return result;
  }

  void FreeChild(std::unique_ptr<Node>& child) {
    child.reset();
    --nodes_;
  }

  // Walks every trie path `cursor` (the rest of the channel) can take below `node`.
  template <typename F>
  static void Visit(const Node& node, SegmentCursor cursor, F& f) {
    std::string_view segment;
    if (!cursor.Next(segment)) {
      node.ends_here.ForEach(f);
      return;
    }
    node.tail.ForEach(f);  // `**` takes this segment and everything after it
    if (const auto it = node.literals.find(segment); it != node.literals.end()) {
      Visit(*it->second, cursor, f);
    }
    if (node.star) Visit(*node.star, cursor, f);
  }

  StringMap<List> names_;
  Node root_;
  std::size_t size_ = 0;
  std::size_t nodes_ = 0;
  mutable bool iterating_ = false;
};

}  // namespace pushy::channels
