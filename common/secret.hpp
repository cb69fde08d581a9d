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

void *secure_allocate(size_t n);
void secure_free(void *p, size_t n);

template <typename T> struct SecureAllocator {
	using value_type = T;
	SecureAllocator() = default;
	template <typename U> SecureAllocator(const SecureAllocator<U> &) {}
	T *allocate(size_t n) { return static_cast<T *>(secure_allocate(n * sizeof(T))); }
	void deallocate(T *p, size_t n) { secure_free(p, n * sizeof(T)); }
	friend bool operator==(const SecureAllocator &, const SecureAllocator &) { return true; }
};

using SecretBytes = std::vector<uint8_t, SecureAllocator<uint8_t>>;

// The ordinary heap, wiped on free: for buffers that carry keys among
// other things (a connection's frames), so that no copy outlives them, a
// reallocated one included.
void *wiping_allocate(size_t n);
void wiping_free(void *p, size_t n);

template <typename T> struct WipingAllocator {
	using value_type = T;
	WipingAllocator() = default;
	template <typename U> WipingAllocator(const WipingAllocator<U> &) {}
	T *allocate(size_t n) { return static_cast<T *>(wiping_allocate(n * sizeof(T))); }
	void deallocate(T *p, size_t n) { wiping_free(p, n * sizeof(T)); }
	friend bool operator==(const WipingAllocator &, const WipingAllocator &) { return true; }
};

using WireBytes = std::vector<uint8_t, WipingAllocator<uint8_t>>;

// Reserves the secure heap; once per process, before any key arrives.
// False (and why) when the kernel refuses to lock the memory.
bool init_secure_heap(size_t bytes, std::string &why);

// Overwrites memory the compiler may not optimise the writes away from.
void wipe(void *p, size_t n);

} // namespace roamnat
