// Key material (a station's PMK, Fig. 14's session keys) lives only in
// OpenSSL's secure heap: locked in memory (never swapped), left out of core
// dumps, and wiped when freed. Without the heap (init_secure_heap failed:
// RLIMIT_MEMLOCK too low) it still is wiped on free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace roamnat {

// Where key material may live: the secure heap, or the ordinary heap
// wiped on free (for buffers that carry keys among other things, a
// connection's frames, so that no copy outlives them, a reallocated one
// included).
struct SecureHeap {
	static void *allocate(size_t n);
	static void free(void *p, size_t n);
};
struct WipingHeap {
	static void *allocate(size_t n);
	static void free(void *p, size_t n);
};

template <typename T, typename Heap> struct HeapAllocator {
	using value_type = T;
	HeapAllocator() = default;
	template <typename U> HeapAllocator(const HeapAllocator<U, Heap> &) {}
	T *allocate(size_t n) { return static_cast<T *>(Heap::allocate(n * sizeof(T))); }
	void deallocate(T *p, size_t n) { Heap::free(p, n * sizeof(T)); }
	friend bool operator==(const HeapAllocator &, const HeapAllocator &) { return true; }
};

using SecretBytes = std::vector<uint8_t, HeapAllocator<uint8_t, SecureHeap>>;
using WireBytes = std::vector<uint8_t, HeapAllocator<uint8_t, WipingHeap>>;

// Reserves the secure heap; once per process, before any key arrives.
// False (and why) when the kernel refuses to lock the memory.
bool init_secure_heap(size_t bytes, std::string &why);

// Overwrites memory the compiler may not optimise the writes away from.
void wipe(void *p, size_t n);

} // namespace roamnat
