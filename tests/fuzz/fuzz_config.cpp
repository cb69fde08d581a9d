// libFuzzer target: the configuration parser and the value parsers behind it.
#include "../../common/config_file.hpp"
#include "../../common/endpoint.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	std::string err;
	auto cfg = roamnat::ConfigFile::parse(text, "fuzz.conf", err);
	if (cfg) {
		cfg->check_keys({"listen", "agents"}, err);
		if (auto v = cfg->get("listen"))
			(void)roamnat::Endpoint::parse(*v);
		if (auto v = cfg->get("agents"))
			(void)roamnat::split_words(*v);
	}
	(void)roamnat::parse_number(text, 65535);
	(void)roamnat::Endpoint::parse(text);
	return 0;
}
