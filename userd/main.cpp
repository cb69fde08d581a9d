// roamd: the roamnat agent on every access point (FAM and HAM roles).
#include "../common/config_file.hpp"
#include "../common/daemon_cli.hpp"
#include "../common/log.hpp"
#include "../common/secret.hpp"
#include "agent.hpp"
#include "agent_config.hpp"
#include "coordinator_session.hpp"
#include "kmod_dataplane.hpp"
#include "local_ports.hpp"
#include "masquerade_addresses.hpp"
#include "nft_dataplane.hpp"
#include "roamd_config_keys.hpp"

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <net/if.h>
#include <sys/stat.h>

using namespace roamnat;

namespace {
const char *kUsageHead = R"(Usage: roamd --config FILE [--log-level LEVEL]

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

)";
const char *kUsageTail = R"(
Exit status: 0 after SIGINT/SIGTERM, 1 on a configuration or start-up error.
On exit, and if roamd dies, the data plane keeps its entries and goes on
translating established connections (the nftables table ip roamnat, or
roamnat.ko's tables); the next roamd adopts them. nft delete table ip
roamnat (or roamnat-kmodctl flush) removes them. On roamnat.ko, roamd removes
a table ip roamnat that a run on the nftables back end left.
)";

bool write_sysctl(const std::string &path, const std::string &value)
{
	std::ofstream f(path);
	f << value;
	return bool(f.flush());
}
// A table the nftables back end left (this AP ran it before) would queue
// misses beside roamnat.ko, with no bypass. Its connections cannot move into
// the module's tables. Not looked for where nf_tables is not in the kernel:
// the lookup would load it.
void remove_nft_leftover()
{
	struct stat st;
	if (stat("/sys/module/nf_tables", &st) != 0)
		return;
	std::string why;
	auto removed = NftDataPlane::remove_table(why);
	if (!removed)
		log_warn("cannot remove the nftables table ip ", NftDataPlane::kTable,
			 " a previous roamd on the nftables back end may have left: ", why);
	else if (*removed)
		log_warn("removed the nftables table ip ", NftDataPlane::kTable,
			 " a previous roamd on the nftables back end left; its connections do not move to roamnat.ko");
}
} // namespace

int main(int argc, char **argv)
{
	set_log_ident("roamd");
	int status = 0;
	auto args = parse_daemon_args(argc, argv, "roamd",
				      kUsageHead + config_keys_help(kRoamdConfigKeys) + kUsageTail, status);
	if (!args)
		return status;
	std::string err;
	auto cfg = ConfigFile::load(args->config_path, err);
	AgentConfig conf;
	if (!cfg || !load_agent_config(*cfg, conf, err)) {
		fprintf(stderr, "roamd: %s\n", err.c_str());
		return 1;
	}
	auto fail = [&](const std::string &what) {
		fprintf(stderr, "roamd: %s: %s\n", args->config_path.c_str(), what.c_str());
		return 1;
	};
	auto level = args->log_level.empty() ? conf.log_level : parse_log_level(args->log_level);
	if (!level)
		return fail("log level '" + args->log_level + "' is not debug, info, warn or error");
	set_log_level(*level);
	AgentOptions &opts = conf.opts;
	std::string backend = conf.backend;
	if (backend == "auto")
		backend = KmodDataPlane::available() ? "kmod" : "nftables";

	auto tls = TlsContext::create(false, conf.tls, err);
	if (!tls)
		return fail(err);
	opts.name = certificate_file_name(conf.tls.cert);
	if (opts.name.empty())
		return fail("certificate " + conf.tls.cert + " has no common name to serve as the agent's name");
	set_log_ident("roamd[" + opts.name + "]");

	if (!opts.control_socket.empty()) {
		auto slash = opts.control_socket.rfind('/');
		if (slash != std::string::npos && slash > 0)
			mkdir(opts.control_socket.substr(0, slash).c_str(), 0700);
	}
	// This end of each hostapd control socket lives beside roamctl's socket.
	if (auto slash = opts.control_socket.rfind('/'); slash != std::string::npos && slash > 0)
		opts.run_dir = opts.control_socket.substr(0, slash);
	if (!opts.hostapd.empty())
		mkdir(opts.run_dir.c_str(), 0700);
	// Keep the kernel from handing our ports to local sockets.
	write_sysctl("/proc/sys/net/ipv4/ip_local_reserved_ports",
		     std::to_string(opts.dp.port_min) + "-" + std::to_string(opts.dp.port_max));
	for (const auto &s : local_sockets_in_range(opts.dp.port_min, opts.dp.port_max))
		log_warn("local ", s.proto, " socket ", s.local, " was given a port of port_range before roamd reserved it: ",
			 "packets to it will be taken for masquerade traffic and dropped; reserve the range at boot ",
			 "(net.ipv4.ip_local_reserved_ports, docs/operations.md) or restart that daemon");
	if (std::ifstream f("/proc/sys/net/ipv4/ip_forward"); f.get() != '1')
		log_warn("net.ipv4.ip_forward is off: this AP will not forward its clients' packets");
	if (opts.dp.outbound == OutboundMode::via_ham)
		write_sysctl("/proc/sys/net/ipv4/conf/all/accept_local", "1");
	MasqueradeAddresses masq_addrs;
	if (!masq_addrs.start(opts.address, opts.masquerade_addresses, err))
		return fail(err);
	opts.change_address = [&masq_addrs](Address a, AddressChange how, std::string &error) {
		switch (how) {
		case AddressChange::add: return masq_addrs.add(a, error);
		case AddressChange::remove: return masq_addrs.remove(a, error);
		case AddressChange::announce: return masq_addrs.announce(a, error);
		case AddressChange::present: return masq_addrs.present(a);
		}
		return false;
	};

	EventLoop loop;
	std::unique_ptr<DataPlane> dp_owner;
	if (backend == "kmod") {
		dp_owner = std::make_unique<KmodDataPlane>();
		remove_nft_leftover();
	} else
		dp_owner = std::make_unique<NftDataPlane>();
	DataPlane &dp = *dp_owner;
	if (!dp.init(opts.dp, err))
		return fail(err);
	CoordinatorSession coord(loop, *tls, conf.coordinator, opts.address);
	if (!opts.hostapd.empty()) {
		// Station keys for the BSSes (Fig. 15 1500), in locked memory.
		std::string why;
		if (!init_secure_heap(16384 * 64, why))
			log_warn(why);
		coord.set_takes_keys(true);
	}
	coord.set_relays_ft(!opts.ft_relay.empty());
	coord.set_masquerade_addresses(opts.masquerade_addresses);
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
				agent.link_exists(if_nametoindex(e->d_name), e->d_name, true);
		closedir(d);
	}
	std::string masq;
	for (Address a : opts.masquerade_addresses)
		masq += (masq.empty() ? "" : " ") + a.str();
	log_info("agent ", opts.name, " at ", opts.address.str(), ", masquerading on ",
		 masq.empty() ? opts.address.str() : masq, ", data plane ", dp.name(), ", clients on ",
		 config_value(*cfg, kRoamdConfigKeys, "client_interfaces"), ", outbound ",
		 config_value(*cfg, kRoamdConfigKeys, "outbound"), ", HAM policy ",
		 config_value(*cfg, kRoamdConfigKeys, "ham_policy"));
	coord.start();
	loop.run();
	agent.stop();
	dp.shutdown();
	if (!opts.control_socket.empty())
		unlink(opts.control_socket.c_str());
	return 0;
}
