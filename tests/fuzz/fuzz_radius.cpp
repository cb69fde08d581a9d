// libFuzzer target: datagrams reaching the coordinator's RADIUS Dynamic
// Authorization Server. The first byte picks how the rest is used: as the
// datagram itself (what a stranger sends), or as attributes the target
// signs with the shared secret and stamps with the current time (what a
// client with the secret sends, so the checks after the authenticators are
// reached). Nothing may crash; a request is handed on only when it names a
// user or a station.
#include "../../common/log.hpp"
#include "../../common/radius_packet.hpp"
#include "../../coordinator/das_server.hpp"

#include <cstdlib>
#include <ctime>

using namespace roamnat;
using namespace roamnat::radius;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet = (set_log_level(LogLevel::error), true);
	(void)quiet;
	if (size < 1)
		return 0;
	static EventLoop loop;
	DasOptions o;
	o.clients = {*Ipv4::parse("10.0.0.4")};
	o.secret = "fuzz-secret";
	DasServer das(loop, o, [](const DasServer::Request &r, DasServer::Answer a) {
		if (r.user.empty() && !r.station)
			abort();
		a(r.station ? 0 : error_cause::session_context_not_found);
	});
	Endpoint from{*Ipv4::parse("10.0.0.4"), 3799};
	std::span<const uint8_t> rest(data + 1, size - 1);
	std::string why;
	if (data[0] & 1) {
		das.datagram(rest, from);
		if (parse(rest, why) && !verify_request(rest, o.secret, why) && why.empty())
			abort(); // a refusal says why
		return 0;
	}
	std::vector<uint8_t> wire(kHeader, 0);
	wire[0] = uint8_t(Code::disconnect_request);
	wire.insert(wire.end(), rest.begin(), rest.begin() + long(std::min(rest.size(), kMaxLength - kHeader)));
	wire[2] = uint8_t(wire.size() >> 8);
	wire[3] = uint8_t(wire.size());
	auto p = parse(wire, why);
	if (!p)
		return 0;
	if (data[0] & 2) {
		uint32_t t = uint32_t(time(nullptr));
		for (auto &a : p->attrs)
			if (a.type == attr::event_timestamp)
				a.value = {uint8_t(t >> 24), uint8_t(t >> 16), uint8_t(t >> 8), uint8_t(t)};
	}
	if (data[0] & 4)
		p->code = Code::coa_request;
	auto signed_wire = encode_request(*p, o.secret);
	if (signed_wire.size() <= kMaxLength && !verify_request(signed_wire, o.secret, why))
		abort(); // what we signed must verify
	das.datagram(signed_wire, from);
	das.datagram(signed_wire, from); // a retransmission
	return 0;
}
