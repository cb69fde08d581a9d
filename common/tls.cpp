#include "tls.hpp"

#include <cstdio>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace roamnat {

std::string tls_error_text()
{
	std::string out;
	unsigned long e;
	while ((e = ERR_get_error()) != 0) {
		char buf[256];
		ERR_error_string_n(e, buf, sizeof(buf));
		if (!out.empty())
			out += "; ";
		out += buf;
	}
	return out.empty() ? "unknown TLS error" : out;
}

std::unique_ptr<TlsContext> TlsContext::create(bool server, const TlsFiles &files, std::string &error)
{
	auto ctx = std::unique_ptr<TlsContext>(new TlsContext());
	ctx->server_ = server;
	ctx->ctx_.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
	SSL_CTX *c = ctx->ctx_.get();
	if (!c) {
		error = tls_error_text();
		return nullptr;
	}
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_load_verify_locations(c, files.ca.c_str(), nullptr) != 1) {
		error = "CA file " + files.ca + ": " + tls_error_text();
		return nullptr;
	}
	if (SSL_CTX_use_certificate_chain_file(c, files.cert.c_str()) != 1) {
		error = "certificate " + files.cert + ": " + tls_error_text();
		return nullptr;
	}
	if (SSL_CTX_use_PrivateKey_file(c, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
		error = "key " + files.key + ": " + tls_error_text();
		return nullptr;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		error = "key " + files.key + " does not match " + files.cert;
		return nullptr;
	}
	// Mutual authentication: an agent without a CA-signed certificate is refused.
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
	return ctx;
}

SslPtr TlsContext::new_session(int fd) const
{
	SslPtr ssl(SSL_new(ctx_.get()));
	if (!ssl)
		return nullptr;
	SSL_set_fd(ssl.get(), fd);
	if (server_)
		SSL_set_accept_state(ssl.get());
	else
		SSL_set_connect_state(ssl.get());
	return ssl;
}

namespace {
// Takes the certificate's reference.
std::string common_name(X509 *cert)
{
	if (!cert)
		return {};
	char cn[256] = {};
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	X509_free(cert);
	return cn;
}
} // namespace

std::string tls_peer_name(SSL *ssl)
{
	if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK)
		return {};
	return common_name(SSL_get1_peer_certificate(ssl));
}

std::string certificate_file_name(const std::string &path)
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(fopen(path.c_str(), "r"), fclose);
	return f ? common_name(PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) : std::string();
}

} // namespace roamnat
