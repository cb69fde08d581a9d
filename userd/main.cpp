// roamd: the roamnat agent on every access point (FAM and HAM roles).
#include "../common/config_file.hpp"
#include "../common/log.hpp"
#include "agent.hpp"
#include "coordinator_link.hpp"
#include "kmod_dataplane.hpp"
#include "nft_dataplane.hpp"

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <net/if.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

using namespace roamnat;

namespace {
const char *kUsage = R"(Usage: roamd --config FILE [--log-level LEVEL]

The roamnat agent. Runs on every access point and rewrites the packets of its
clients so that their TCP and UDP connections survive roaming between APs:
  - as FAM, it gives outbound packets the connection's masquerade source
    (Fig. 6) and delivers inbound packets to the client (Fig. 7 745-765);
  - as HAM, it anchors new connections here and relays inbound packets to
    the client's current FAM (Fig. 7 705-740).
Records are filled on demand from the roaming coordinator; packets without a
record are held in an NFQUEUE until the answer arrives (never dropped while
an answer may come).

Options:
  -c, --config FILE     configuration file (docs/configuration.md)
  -l, --log-level L     debug, info, warn or error (overrides log_level)
  -h, --help            this text

Configuration keys (key = value):
  coordinator        coordinator address:port                      (required)
  ca, cert, key      CA, this agent's certificate and key; the
                     certificate's common name is the agent's name  (required)
  address            this AP's backbone IPv4 address: the masquerade
                     and FAM address, routable from every AP        (required)
  client_interfaces  client-facing interfaces; 'wlan*' matches a
                     prefix                                         (required)
  port_range         masquerade/FAM ports, reserved from local use  [40000-59999]
  port_quarantine    seconds a released port waits before reuse     [120]
  ham_policy         local | host:AGENT | port                      [local]
  ham_ports          with ham_policy = port: 'PORT:AGENT ...'; other
                     ports are anchored locally                     []
  outbound           direct | via-ham (docs/configuration.md)       [direct]
  udp_idle_timeout   seconds without traffic before a UDP flow ends [60]
  tcp_idle_timeout   same for TCP (FIN/RST end it sooner)           [7200]
  miss_queue         NFQUEUE number for misses                      [0]
  event_queue        NFQUEUE number for TCP FIN/RST                 [1]
  miss_hold_ms       longest a packet is held for an answer         [2000]
  max_held_packets   packets held at once                           [4096]
  backend            kmod | nftables | auto: kmod when roamnat.ko is
                     loaded in this namespace                       [auto]
  control_socket     UNIX socket for 'roamctl --agent'    [/run/roamnat/roamd.sock]
  log_level          debug, info, warn, error                       [info]

Exit status: 0 after SIGINT/SIGTERM, 1 on a configuration or start-up error.
On exit the nftables back end removes its table; roamnat.ko keeps its
entries and goes on forwarding, and the next roamd adopts them.
)";

std::optional<LogLevel> parse_level(const std::string &s)
{
	if (s == "debug") return LogLevel::debug;
	if (s == "info") return LogLevel::info;
	if (s == "warn") return LogLevel::warn;
	if (s == "error") return LogLevel::error;
	return std::nullopt;
}

std::string certificate_name(const std::string &path)
{
	FILE *f = fopen(path.c_str(), "r");
	if (!f)
		return {};
	X509 *cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
	fclose(f);
	if (!cert)
		return {};
	char cn[256] = {};
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
	X509_free(cert);
	return cn;
}

bool write_sysctl(const std::string &path, const std::string &value)
{
	std::ofstream f(path);
	f << value;
	return bool(f.flush());
}
} // namespace

int main(int argc, char **argv)
{
	set_log_ident("roamd");
	std::string config_path, level_arg;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		if (a == "-h" || a == "--help") {
			fputs(kUsage, stdout);
			return 0;
		}
		if ((a == "-c" || a == "--config" || a == "-l" || a == "--log-level") && i + 1 < argc) {
			(a == "-c" || a == "--config" ? config_path : level_arg) = argv[++i];
			continue;
		}
		fprintf(stderr, "roamd: unknown or incomplete option '%s'\nTry 'roamd --help'.\n", a.c_str());
		return 1;
	}
	if (config_path.empty()) {
		fprintf(stderr, "roamd: --config FILE is required\nTry 'roamd --help'.\n");
		return 1;
	}
	std::string err;
	auto cfg = ConfigFile::load(config_path, err);
	const std::vector<std::string> keys = {"coordinator", "ca", "cert", "key", "address", "client_interfaces",
					       "port_range", "port_quarantine", "ham_policy", "ham_ports", "outbound",
					       "udp_idle_timeout", "tcp_idle_timeout", "miss_queue", "event_queue",
					       "miss_hold_ms", "max_held_packets", "backend", "control_socket", "log_level"};
	if (!cfg || !cfg->check_keys(keys, err)) {
		fprintf(stderr, "roamd: %s\n", err.c_str());
		return 1;
	}
	auto fail = [&](const std::string &what) {
		fprintf(stderr, "roamd: %s: %s\n", config_path.c_str(), what.c_str());
		return 1;
	};
	std::string level_text = level_arg.empty() ? cfg->get("log_level").value_or("info") : level_arg;
	auto level = parse_level(level_text);
	if (!level)
		return fail("log level '" + level_text + "' is not debug, info, warn or error");
	set_log_level(*level);

	for (const char *k : {"coordinator", "ca", "cert", "key", "address", "client_interfaces"})
		if (!cfg->get(k))
			return fail(std::string("'") + k + "' is required");
	auto coord_ep = Endpoint::parse(*cfg->get("coordinator"));
	if (!coord_ep)
		return fail("coordinator = '" + *cfg->get("coordinator") + "' is not address:port");
	AgentOptions opts;
	auto addr = Ipv4::parse(*cfg->get("address"));
	if (!addr || addr->is_unspecified())
		return fail("address = '" + *cfg->get("address") + "' is not an IPv4 address");
	opts.address = *addr;
	opts.dp.client_interfaces = split_words(*cfg->get("client_interfaces"));
	for (const auto &i : opts.dp.client_interfaces)
		if (i.empty() || i.size() >= IFNAMSIZ || i.find('*') < i.size() - 1)
			return fail("client interface '" + i + "' is not a name or a 'prefix*' pattern");
	if (auto v = cfg->get("port_range")) {
		auto dash = v->find('-');
		auto lo = dash == std::string::npos ? std::nullopt : parse_number(v->substr(0, dash), 65535);
		auto hi = dash == std::string::npos ? std::nullopt : parse_number(v->substr(dash + 1), 65535);
		if (!lo || !hi || *lo < 1024 || *lo > *hi)
			return fail("port_range = '" + *v + "' is not FIRST-LAST within 1024-65535");
		opts.dp.port_min = uint16_t(*lo);
		opts.dp.port_max = uint16_t(*hi);
	}
	auto number = [&](const char *key, unsigned long max, auto &out) -> bool {
		if (auto v = cfg->get(key)) {
			auto n = parse_number(*v, max);
			if (!n) {
				fail(std::string(key) + " = '" + *v + "' is not a number up to " + std::to_string(max));
				return false;
			}
			out = static_cast<std::remove_reference_t<decltype(out)>>(*n);
		}
		return true;
	};
	uint32_t quarantine_s = 120, hold_ms = 2000, max_held = 4096;
	if (!number("port_quarantine", 86400, quarantine_s) || !number("udp_idle_timeout", 86400, opts.dp.udp_idle_s) ||
	    !number("tcp_idle_timeout", 864000, opts.dp.tcp_idle_s) || !number("miss_queue", 65535, opts.dp.miss_queue) ||
	    !number("event_queue", 65535, opts.dp.event_queue) || !number("miss_hold_ms", 60000, hold_ms) ||
	    !number("max_held_packets", 1000000, max_held))
		return 1;
	if (opts.dp.miss_queue == opts.dp.event_queue)
		return fail("miss_queue and event_queue must differ");
	if (opts.dp.udp_idle_s == 0 || opts.dp.tcp_idle_s == 0)
		return fail("idle timeouts must be at least one second");
	opts.port_quarantine = Millis(quarantine_s * 1000ULL);
	opts.miss_hold = Millis(hold_ms);
	opts.max_held = max_held;
	std::string policy = cfg->get("ham_policy").value_or("local");
	if (policy == "local") {
		opts.ham_policy.kind = HamPolicy::Kind::local;
	} else if (policy.rfind("host:", 0) == 0 && policy.size() > 5) {
		opts.ham_policy.kind = HamPolicy::Kind::host;
		opts.ham_policy.host = policy.substr(5);
	} else if (policy == "port") {
		opts.ham_policy.kind = HamPolicy::Kind::port;
		for (const auto &w : split_words(cfg->get("ham_ports").value_or(""))) {
			auto colon = w.find(':');
			auto port = colon == std::string::npos ? std::nullopt : parse_number(w.substr(0, colon), 65535);
			if (!port || colon + 1 >= w.size())
				return fail("ham_ports entry '" + w + "' is not PORT:AGENT");
			opts.ham_policy.by_port[uint16_t(*port)] = w.substr(colon + 1);
		}
	} else {
		return fail("ham_policy = '" + policy + "' is not local, host:AGENT or port");
	}
	std::string outbound = cfg->get("outbound").value_or("direct");
	if (outbound == "direct")
		opts.dp.outbound = OutboundMode::direct;
	else if (outbound == "via-ham")
		opts.dp.outbound = OutboundMode::via_ham;
	else
		return fail("outbound = '" + outbound + "' is not direct or via-ham");
	std::string backend = cfg->get("backend").value_or("auto");
	if (backend != "auto" && backend != "nftables" && backend != "kmod")
		return fail("backend = '" + backend + "' is not kmod, nftables or auto");
	if (backend == "auto")
		backend = KmodDataPlane::available() ? "kmod" : "nftables";
	opts.control_socket = cfg->get("control_socket").value_or("/run/roamnat/roamd.sock");

	TlsFiles files{*cfg->get("ca"), *cfg->get("cert"), *cfg->get("key")};
	auto tls = TlsContext::create(false, files, err);
	if (!tls)
		return fail(err);
	opts.name = certificate_name(files.cert);
	if (opts.name.empty())
		return fail("certificate " + files.cert + " has no common name to serve as the agent's name");
	set_log_ident("roamd[" + opts.name + "]");

	if (!opts.control_socket.empty()) {
		auto slash = opts.control_socket.rfind('/');
		if (slash != std::string::npos && slash > 0)
			mkdir(opts.control_socket.substr(0, slash).c_str(), 0700);
	}
	// Keep the kernel from handing our ports to local sockets.
	write_sysctl("/proc/sys/net/ipv4/ip_local_reserved_ports",
		     std::to_string(opts.dp.port_min) + "-" + std::to_string(opts.dp.port_max));
	if (std::ifstream f("/proc/sys/net/ipv4/ip_forward"); f.get() != '1')
		log_warn("net.ipv4.ip_forward is off: this AP will not forward its clients' packets");
	if (opts.dp.outbound == OutboundMode::via_ham)
		write_sysctl("/proc/sys/net/ipv4/conf/all/accept_local", "1");

	EventLoop loop;
	std::unique_ptr<DataPlane> dp_owner;
	if (backend == "kmod")
		dp_owner = std::make_unique<KmodDataPlane>();
	else
		dp_owner = std::make_unique<NftDataPlane>();
	DataPlane &dp = *dp_owner;
	if (!dp.init(opts.dp, err))
		return fail(err);
	CoordinatorLink coord(loop, *tls, *coord_ep, opts.address);
	Agent agent(loop, opts, dp, coord);
	// A data plane that kept forwarding while roamd was down: take over its
	// entries and the previous run's instance, so the coordinator keeps them.
	if (auto left = dp.leftover()) {
		coord.set_instance(left->instance);
		agent.adopt(*left);
	}
	dp.set_instance(coord.instance());
	if (!agent.start(err)) {
		dp.shutdown();
		fprintf(stderr, "roamd: %s\n", err.c_str());
		return 1;
	}
	if (DIR *d = opendir("/sys/class/net")) {
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				agent.link_up(if_nametoindex(e->d_name), e->d_name);
		closedir(d);
	}
	log_info("agent ", opts.name, " at ", opts.address.str(), ", data plane ", dp.name(), ", clients on ",
		 *cfg->get("client_interfaces"), ", outbound ", outbound, ", HAM policy ", policy);
	coord.start();
	loop.run();
	agent.stop();
	dp.shutdown();
	if (!opts.control_socket.empty())
		unlink(opts.control_socket.c_str());
	return 0;
}
