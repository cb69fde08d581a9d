// libFuzzer target: the wire-protocol decoder, fed as a byte stream exactly
// as FramedConn feeds it. Anything decoded must re-encode to an equal message.
#include "../../common/protocol.hpp"

#include <cstdlib>

using namespace roamnat::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::span<const uint8_t> in(data, size);
	while (!in.empty()) {
		DecodeError err;
		auto len = peek_frame_length(in, err);
		if (!len || in.size() < kLengthPrefix + *len)
			break;
		auto m = decode(in.subspan(kLengthPrefix, *len), err);
		in = in.subspan(kLengthPrefix + *len);
		if (!m)
			break;
		(void)validate(*m);
		auto again = encode(*m);
		DecodeError err2;
		auto back = decode(std::span<const uint8_t>(again).subspan(kLengthPrefix), err2);
		if (!back || !(*back == *m))
			abort();
	}
	return 0;
}
