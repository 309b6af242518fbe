// A C entry point to the GenApi reference's CFeatureBag (GenApi 3.5, the `genicam` wheel),
// which the Python binding does not expose.  Built by tests/reference/test_featurebag.py
// against the wheel's own libraries; only exported symbols are called.
//
// Layouts this relies on (read from the 3.5 binary, checked by the tests' results):
//   CFeatureBag::Push(name, value, CSelectorState*) appends a Triplet to a vector that
//   lives behind the pointer at offset 8 of the bag, begin/end at +0x50/+0x58; a Triplet
//   is {gcstring name @0, gcstring value @0x50, CSelectorState* @0xA0}, 0xA8 bytes.
// CFeatureBag::ToString() of 3.5 prints the bag's address, not its content, and the
// stream operators are inline in Persistence.h, so the triplets are read directly.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace GenICam_3_5 {
class gcstring {
 public:
  virtual ~gcstring();
  const char* c_str() const;
  char storage[1024];  // larger than the real object: only the library constructs it
};
class gcstring_vector {
 public:
  gcstring_vector();
  ~gcstring_vector();
  size_t size() const;
  gcstring& at(size_t);
  char storage[1024];
};
}  // namespace GenICam_3_5

namespace GenApi_3_5 {
class INodeMap;
class CSelectorState;
class CFeatureBag {
 public:
  CFeatureBag();
  ~CFeatureBag();
  int64_t StoreToBag(INodeMap*, int, GenICam_3_5::gcstring_vector*);
  bool LoadFromBag(INodeMap*, bool, GenICam_3_5::gcstring_vector*);
  void Push(const char*, const char*, CSelectorState*);
  CSelectorState* AllocateSelector();
  char storage[8192];
};
}  // namespace GenApi_3_5

using GenICam_3_5::gcstring;

static char* copy(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

extern "C" void bag_free(char* text) { std::free(text); }

// Store the node map's streamable features; *out = "name\tvalue\tS|-\n" per entry
// (S: the entry has a selector state).  Returns 0, or 1 with *out = the C++ error.
extern "C" int bag_store(void* nodemap, char** out) {
  try {
    GenApi_3_5::CFeatureBag bag;
    bag.StoreToBag(static_cast<GenApi_3_5::INodeMap*>(nodemap), -1, nullptr);
    char* impl = *reinterpret_cast<char**>(reinterpret_cast<char*>(&bag) + 8);
    char* item = *reinterpret_cast<char**>(impl + 0x50);
    char* end = *reinterpret_cast<char**>(impl + 0x58);
    std::string text;
    for (; item < end; item += 0xA8) {
      text += reinterpret_cast<gcstring*>(item)->c_str();
      text += '\t';
      text += reinterpret_cast<gcstring*>(item + 0x50)->c_str();
      text += *reinterpret_cast<void**>(item + 0xA0) ? "\tS\n" : "\t-\n";
    }
    *out = copy(text);
    return 0;
  } catch (const std::exception& e) {
    *out = copy(e.what());
    return 1;
  } catch (...) {
    *out = copy("unknown C++ exception");
    return 1;
  }
}

// Load "name\tvalue\n" lines, each with an empty selector state (LoadFromBag of 3.5
// dereferences every entry's state): replayed in order, as GenApi replays a classic file.  *out = the error list, one per line.  Returns 0 when LoadFromBag
// reported success, 2 when it reported errors, 1 on an exception.
extern "C" int bag_load(void* nodemap, const char* lines, int verify, char** out) {
  try {
    GenApi_3_5::CFeatureBag bag;
    std::string all(lines);
    size_t start = 0;
    while (start < all.size()) {
      size_t stop = all.find('\n', start);
      if (stop == std::string::npos) stop = all.size();
      std::string line = all.substr(start, stop - start);
      size_t tab = line.find('\t');
      if (tab != std::string::npos)
        bag.Push(line.substr(0, tab).c_str(), line.substr(tab + 1).c_str(),
                 bag.AllocateSelector());  // an empty state: no selectors
      start = stop + 1;
    }
    GenICam_3_5::gcstring_vector errors;
    bool ok = bag.LoadFromBag(static_cast<GenApi_3_5::INodeMap*>(nodemap), verify != 0, &errors);
    std::string text;
    for (size_t i = 0; i < errors.size(); ++i) {
      text += errors.at(i).c_str();
      text += '\n';
    }
    *out = copy(text);
    return ok ? 0 : 2;
  } catch (const std::exception& e) {
    *out = copy(e.what());
    return 1;
  } catch (...) {
    *out = copy("unknown C++ exception");
    return 1;
  }
}
