#include "secret.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <openssl/crypto.h>

namespace roamnat {

void *SecureHeap::allocate(size_t n)
{
	// Falls back to the ordinary heap by itself when no secure heap exists.
	void *p = OPENSSL_secure_malloc(n ? n : 1);
	if (!p)
		throw std::bad_alloc();
	return p;
}

void SecureHeap::free(void *p, size_t n)
{
	OPENSSL_secure_clear_free(p, n);
}

void *WipingHeap::allocate(size_t n)
{
	void *p = std::malloc(n ? n : 1);
	if (!p)
		throw std::bad_alloc();
	return p;
}

void WipingHeap::free(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
	std::free(p);
}

bool init_secure_heap(size_t bytes, std::string &why)
{
	if (CRYPTO_secure_malloc_initialized())
		return true;
	// Power of two, as OpenSSL requires; 32-byte blocks hold one PMK each.
	size_t size = 4096;
	while (size < bytes)
		size <<= 1;
	// 2: the heap exists but mlock or its guard pages failed.
	int made = CRYPTO_secure_malloc_init(size, 32);
	if (made == 1)
		return true;
	why = "cannot lock " + std::to_string(size) + " bytes of memory for keys (RLIMIT_MEMLOCK, 'ulimit -l'): " +
	      std::strerror(errno) + "; keys are wiped after use but may be swapped out";
	return false;
}

void wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

} // namespace roamnat
