// Mutual-TLS contexts (OpenSSL): both ends present a certificate signed by the
// deployment CA, and the certificate's common name is the peer's identity.
#pragma once

#include <memory>
#include <openssl/ssl.h>
#include <string>

namespace roamnat {

struct SslCtxFree {
	void operator()(SSL_CTX *c) const { SSL_CTX_free(c); }
};
struct SslFree {
	void operator()(SSL *s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

struct TlsFiles {
	std::string ca;
	std::string cert;
	std::string key;
};

class TlsContext {
public:
	// Returns nullptr and sets error when a file is missing or does not match.
	static std::unique_ptr<TlsContext> create(bool server, const TlsFiles &files, std::string &error);
	SslPtr new_session(int fd) const;
	bool is_server() const { return server_; }

private:
	std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
	bool server_ = false;
};

// Common name of the verified peer certificate, empty when there is none.
std::string tls_peer_name(SSL *ssl);
// Common name of the certificate in a PEM file, empty when it has none.
std::string certificate_file_name(const std::string &path);
std::string tls_error_text();

} // namespace roamnat
