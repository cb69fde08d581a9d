// roamctl: operator CLI for the coordinator and for a local agent.
#include "../common/config_file.hpp"
#include "../common/framed_conn.hpp"
#include "../common/hex.hpp"
#include "../common/log.hpp"
#include "../common/socket_util.hpp"
#include "station_key.hpp"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

using namespace roamnat;
using proto::DumpWhat;
using proto::Message;
using proto::MsgType;

namespace {
const char *kUsage = R"(Usage: roamctl [OPTIONS] COMMAND

Shows the state of a roamnat coordinator or of one access point's agent.

Commands against the coordinator (needs --config or the TLS options):
  connections   every connection: client, server, masquerade endpoint, HAM,
                FAMs (newest first)
  clients       every client address: its connections, the APs it is on now
                (its newest FAMs) and the HAMs anchoring its connections
  agents        agents known to the coordinator, connected or not
  users         stations that authenticated with 802.1X: MAC, user, the AP
                and EAP method of the latest authentication, its time, and
                the filtering policy the user is under
  policy MAC    the user behind station MAC and the policy its AP enforces:
                its rules in order (the first that matches decides), the
                default for what none matches, and what chose it
                (NAS-Filter-Rule, Filter-Id, policies_file; docs/policy.md).
                Exit status 2 when no user is known for MAC or it is revoked
  counters      coordinator counters (requests by type, refusals, pushes)
  ft-config     the 802.11r settings of the coordinator's mobility domain
                (ft_mobility_domain, ft_key_file) as lines of hostapd.conf:
                mobility_domain, and wildcard r0kh and r1kh entries with the
                key the domain's key holders share, so that each AP finds
                the others by their frames, which roamd relays across
                subnets (ft_relay). Write them, with the AP's own
                nas_identifier, wpa_key_mgmt FT-EAP and bridge=, into a
                hostapd.conf only root reads (docs/operations.md, "FT
                across subnets"). Needs a certificate the coordinator lists
                in operators
  station-key MAC USER [--authenticator AP] [--lifetime SECONDS] [--radius-exit]
                hand the coordinator the key of a station that just
                authenticated as USER, for the other APs (key handoff); the
                key is read from the environment variable MS_MPPE_RECV_KEY
                (hex), as FreeRADIUS's exec module sets it, and never from
                the command line. AP: the authenticating AP's agent name
                (it has the key already); SECONDS: how long the key is
                usable [43200]. Only a certificate the coordinator lists in
                key_sources may do this (docs/operations.md, "Key handoff").
                The Access-Accept's authorization goes with the key, from
                FILTER_ID, NAS_FILTER_RULE (each of them),
                SESSION_TIMEOUT, TUNNEL_PRIVATE_GROUP_ID and CLASS.
                Exit status 3 when the coordinator refuses because USER is
                revoked, 4 when a NAS-Filter-Rule is one an AP cannot
                enforce: the RADIUS server should then reject the station.
                --radius-exit: exit as FreeRADIUS's exec module reads it
                instead, 1 (reject) for those two and 0 for anything else,
                and write every message to standard output, which the
                module logs with a reject; run it straight from the module,
                not through a shell, which would keep only one of several
                NAS_FILTER_RULEs
  revoke USER [--for SECONDS]
                cut USER off at every AP: its keys are withdrawn from the
                coordinator and every AP, its stations deauthenticated,
                their connections ended, and its next authentications
                refused until 'reinstate' (or for SECONDS). Other users
                are untouched. Prints how many APs confirmed, and when
  disconnect USER
                the same without the refusal, as a RADIUS
                Disconnect-Request: USER must authenticate again (EAP)
  reinstate USER
                lift a revocation
                (revoke, disconnect and reinstate need a certificate the
                coordinator lists in operators)
Commands against an agent (with --agent SOCKET):
  fam           this AP's FAM records (Fig. 4)
  ham           this AP's HAM records (Fig. 5) with their FAMs
  counters      agent and data-plane counters

Options:
  -c, --config FILE      keys: coordinator, ca, cert, key (as for roamd)
      --coordinator A:P  coordinator address (overrides the file)
      --ca/--cert/--key  TLS files (override the file)
  -a, --agent SOCKET     talk to the agent on this UNIX socket instead
  -j, --json             print JSON instead of a table
  -h, --help             this text

Exit status: 0 on success, 1 on a usage error, 2 when the peer cannot be
reached or refuses, 3 when station-key is refused for a revoked user, 4
when station-key is handed a rule it cannot enforce.
)";

std::string fams_text(const std::vector<proto::FamRecord> &fams)
{
	if (fams.empty())
		return "-";
	std::string out;
	for (const auto &f : fams)
		out += (out.empty() ? "" : ",") + f.agent + "@" + f.fam.str();
	return out;
}

void print_table(const std::vector<std::vector<std::string>> &rows)
{
	if (rows.empty())
		return;
	std::vector<size_t> w(rows[0].size(), 0);
	for (const auto &r : rows)
		for (size_t i = 0; i < r.size(); ++i)
			w[i] = std::max(w[i], r[i].size());
	for (const auto &r : rows) {
		std::string line;
		for (size_t i = 0; i < r.size(); ++i) {
			line += r[i];
			if (i + 1 < r.size())
				line += std::string(w[i] - r[i].size() + 2, ' ');
		}
		std::cout << line << "\n";
	}
}

nlohmann::json conn_json(const proto::ConnRecord &c)
{
	nlohmann::json fams = nlohmann::json::array();
	for (const auto &f : c.fams)
		fams.push_back({{"agent", f.agent}, {"fam", f.fam.str()}});
	return {{"proto", l4_name(c.flow.proto)}, {"client", c.flow.client.str()}, {"server", c.flow.server.str()},
		{"masquerade", c.masq.str()}, {"ham", c.ham_agent}, {"generation", c.generation}, {"fams", fams}};
}

// Clients are derived from the connection table: a client is where its
// connections' newest FAMs are.
void print_clients(const std::vector<proto::ConnRecord> &conns, bool json)
{
	struct Client {
		size_t connections = 0;
		std::set<std::string> aps, hams;
	};
	std::map<Address, Client> clients;
	for (const auto &c : conns) {
		Client &cl = clients[c.flow.client.addr];
		++cl.connections;
		if (!c.fams.empty())
			cl.aps.insert(c.fams.front().agent);
		cl.hams.insert(c.ham_agent);
	}
	auto join = [](const std::set<std::string> &s) {
		std::string out;
		for (const auto &x : s)
			out += (out.empty() ? "" : ",") + x;
		return out.empty() ? std::string("-") : out;
	};
	if (json) {
		nlohmann::json out = nlohmann::json::array();
		for (const auto &[addr, cl] : clients)
			out.push_back({{"client", addr.str()}, {"connections", cl.connections},
				       {"aps", std::vector<std::string>(cl.aps.begin(), cl.aps.end())},
				       {"hams", std::vector<std::string>(cl.hams.begin(), cl.hams.end())}});
		std::cout << out.dump(2) << "\n";
		return;
	}
	std::vector<std::vector<std::string>> rows{{"CLIENT", "CONNECTIONS", "ON AP", "HAMS"}};
	for (const auto &[addr, cl] : clients)
		rows.push_back({addr.str(), std::to_string(cl.connections), join(cl.aps), join(cl.hams)});
	print_table(rows);
}

std::string utc_time(uint64_t unix_seconds)
{
	time_t t = time_t(unix_seconds);
	struct tm tm {};
	char buf[32];
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		return std::to_string(unix_seconds);
	return buf;
}

void print(const std::vector<Message> &replies, DumpWhat what, bool json)
{
	std::vector<proto::ConnRecord> conns;
	std::vector<proto::AgentRecord> agents;
	std::vector<proto::CounterRecord> counters;
	std::vector<proto::UserRecord> users;
	for (const auto &m : replies) {
		users.insert(users.end(), m.users.begin(), m.users.end());
		conns.insert(conns.end(), m.conns.begin(), m.conns.end());
		agents.insert(agents.end(), m.agents.begin(), m.agents.end());
		counters.insert(counters.end(), m.counters.begin(), m.counters.end());
	}
	if (json) {
		nlohmann::json out = nlohmann::json::array();
		if (what == DumpWhat::counters) {
			out = nlohmann::json::object();
			for (const auto &c : counters)
				out[c.name] = c.value;
		}
		for (const auto &c : conns)
			out.push_back(conn_json(c));
		for (const auto &a : agents)
			out.push_back({{"agent", a.id}, {"address", a.addr.str()}, {"connected", a.connected != 0},
				       {"requests", a.requests}});
		for (const auto &u : users)
			out.push_back({{"mac", u.mac.str()}, {"user", u.user}, {"ap", u.agent}, {"method", u.method},
				       {"since", u.since}, {"policy", u.policy}});
		std::cout << out.dump(2) << "\n";
		return;
	}
	std::vector<std::vector<std::string>> rows;
	if (what == DumpWhat::counters) {
		rows.push_back({"COUNTER", "VALUE"});
		for (const auto &c : counters)
			rows.push_back({c.name, std::to_string(c.value)});
	} else if (what == DumpWhat::agents) {
		rows.push_back({"AGENT", "ADDRESS", "STATE", "REQUESTS"});
		for (const auto &a : agents)
			rows.push_back({a.id, a.addr.str(), a.connected ? "connected" : "gone", std::to_string(a.requests)});
	} else if (what == DumpWhat::users) {
		rows.push_back({"MAC", "USER", "AP", "METHOD", "SINCE (UTC)", "POLICY"});
		for (const auto &u : users)
			rows.push_back({u.mac.str(), u.user, u.agent, u.method.empty() ? "-" : u.method, utc_time(u.since),
					u.policy.empty() ? "-" : u.policy});
	} else {
		rows.push_back({"PROTO", "CLIENT", "SERVER", "MASQUERADE", "HAM", "FAMS"});
		for (const auto &c : conns)
			rows.push_back({l4_name(c.flow.proto), c.flow.client.str(), c.flow.server.str(), c.masq.str(),
					c.ham_agent, fams_text(c.fams)});
	}
	print_table(rows);
}

void print_policy(const Message &m, bool json)
{
	const char *fallback = rule_action_name(m.verdict.value_or(RuleAction::deny));
	if (json) {
		nlohmann::json rules = nlohmann::json::array();
		for (const auto &r : m.rules)
			rules.push_back(r.str());
		nlohmann::json out{{"mac", m.mac ? m.mac->str() : ""}, {"user", m.user.value_or("")},
				   {"policy", m.filter_id.value_or("")}, {"source", m.text.value_or("")},
				   {"default", fallback}, {"rules", rules}};
		std::cout << out.dump(2) << "\n";
		return;
	}
	printf("station %s: user %s, policy %s (from %s)\n", m.mac ? m.mac->str().c_str() : "?",
	       m.user.value_or("?").c_str(), m.filter_id.value_or("?").c_str(), m.text.value_or("?").c_str());
	std::vector<std::vector<std::string>> rows{{"#", "RULE"}};
	for (size_t i = 0; i < m.rules.size(); ++i)
		rows.push_back({std::to_string(i + 1), m.rules[i].str()});
	rows.push_back({"-", std::string("default: ") + fallback});
	print_table(rows);
}
} // namespace

// The key holders are wildcards: an R1KH asks every AP for a station's
// PMK-R1 (the R0KH-ID in the station's frame picks the one that answers)
// and learns where it is; the R0KH then pushes the next ones to it.
void print_ft_config(uint16_t mdid, const SecretBytes &key)
{
	SecretBytes hex;
	append_hex(key, hex);
	hex.push_back(0);
	const char *k = reinterpret_cast<const char *>(hex.data());
	printf("# roamctl ft-config: 802.11r key holders of mobility domain %04x, from the coordinator\n"
	       "mobility_domain=%04x\n"
	       "r0kh=ff:ff:ff:ff:ff:ff * %s\n"
	       "r1kh=00:00:00:00:00:00 00:00:00:00:00:00 %s\n"
	       "pmk_r1_push=1\n",
	       mdid, mdid, k, k);
	fflush(stdout);
}

// radius_exit: set by --radius-exit, for main.
static int run(int argc, char **argv, bool &radius_exit)
{
	std::string config_path, agent_socket, command;
	std::vector<std::string> operands;
	std::optional<std::string> coord_arg, ca, cert, key, authenticator, lifetime_text, for_text;
	bool json = false;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		auto value = [&](std::optional<std::string> &slot) {
			if (i + 1 >= argc)
				return false;
			slot = argv[++i];
			return true;
		};
		std::optional<std::string> tmp;
		if (a == "-h" || a == "--help") {
			fputs(kUsage, stdout);
			return 0;
		} else if (a == "-j" || a == "--json") {
			json = true;
		} else if ((a == "-c" || a == "--config") && value(tmp)) {
			config_path = *tmp;
		} else if ((a == "-a" || a == "--agent") && value(tmp)) {
			agent_socket = *tmp;
		} else if (a == "--coordinator" && value(coord_arg)) {
		} else if (a == "--ca" && value(ca)) {
		} else if (a == "--cert" && value(cert)) {
		} else if (a == "--key" && value(key)) {
		} else if (a == "--authenticator" && value(authenticator)) {
		} else if (a == "--lifetime" && value(lifetime_text)) {
		} else if (a == "--for" && value(for_text)) {
		} else if (a == "--radius-exit") {
			radius_exit = true;
		} else if (!a.empty() && a[0] != '-' && command.empty()) {
			command = a;
		} else if (!a.empty() && a[0] != '-' &&
			   (command == "station-key" || command == "revoke" || command == "disconnect" ||
			    command == "reinstate" || command == "policy")) {
			operands.push_back(a);
		} else {
			fprintf(stderr, "roamctl: unknown or incomplete option '%s'\nTry 'roamctl --help'.\n", a.c_str());
			return 1;
		}
	}
	std::optional<DumpWhat> what;
	if (agent_socket.empty()) {
		if (command == "connections" || command == "clients") what = DumpWhat::connections;
		if (command == "agents") what = DumpWhat::agents;
		if (command == "users") what = DumpWhat::users;
		if (command == "counters") what = DumpWhat::counters;
	} else {
		if (command == "fam") what = DumpWhat::fam_table;
		if (command == "ham") what = DumpWhat::ham_table;
		if (command == "counters") what = DumpWhat::counters;
	}
	// The one request a command other than a dump sends after its hello.
	std::optional<Message> request;
	if (command == "station-key" && agent_socket.empty()) {
		auto lifetime = parse_number(lifetime_text.value_or("43200"), UINT32_MAX);
		if (operands.size() != 2 || !lifetime) {
			fprintf(stderr, "roamctl: station-key takes MAC USER [--authenticator AP] [--lifetime SECONDS]\n");
			return 1;
		}
		std::string why;
		request = station_key_request(operands[0], operands[1], authenticator.value_or(""), uint32_t(*lifetime),
					      why);
		if (!request) {
			fprintf(stderr, "roamctl: station-key: %s\n", why.c_str());
			return 1;
		}
		if (!add_authorization(*request, environ, why)) {
			fprintf(stderr, "roamctl: station-key: %s\n", why.c_str());
			return 4;
		}
	}
	if (command == "policy" && agent_socket.empty()) {
		auto mac = operands.size() == 1 ? MacAddr::parse(operands[0]) : std::nullopt;
		if (!mac) {
			fprintf(stderr, "roamctl: policy takes MAC (aa:bb:cc:dd:ee:ff)\n");
			return 1;
		}
		request.emplace();
		request->type = MsgType::policy_request;
		request->mac = *mac;
	}
	if (agent_socket.empty() && (command == "revoke" || command == "disconnect" || command == "reinstate")) {
		auto seconds = for_text ? parse_number(*for_text, UINT32_MAX) : std::optional<uint64_t>(0);
		if (operands.size() != 1 || operands[0].empty() || !seconds || (for_text && command != "revoke") ||
		    (for_text && *seconds == 0)) {
			fprintf(stderr, "roamctl: %s takes USER%s\n", command.c_str(),
				command == "revoke" ? " [--for SECONDS], SECONDS at least 1" : "");
			return 1;
		}
		request.emplace();
		request->type = MsgType::user_action;
		request->user = operands[0];
		request->action = command == "revoke"	      ? proto::UserAction::revoke
				  : command == "disconnect" ? proto::UserAction::disconnect
							    : proto::UserAction::reinstate;
		if (for_text)
			request->lifetime = uint32_t(*seconds);
	}
	if (command == "ft-config" && agent_socket.empty()) {
		request.emplace();
		request->type = MsgType::ft_config_request;
	}
	if (request)
		request->request_id = 2;
	if (!what && !request) {
		fprintf(stderr, "roamctl: %s '%s'\nTry 'roamctl --help'.\n", command.empty() ? "missing command" : "unknown command for this peer", command.c_str());
		return 1;
	}
	EventLoop loop;
	std::string err;
	std::unique_ptr<TlsContext> tls;
	std::unique_ptr<FramedConn> conn;
	if (agent_socket.empty()) {
		if (!config_path.empty()) {
			auto cfg = ConfigFile::load(config_path, err);
			if (!cfg) {
				fprintf(stderr, "roamctl: %s\n", err.c_str());
				return 1;
			}
			if (!coord_arg) coord_arg = cfg->get("coordinator");
			if (!ca) ca = cfg->get("ca");
			if (!cert) cert = cfg->get("cert");
			if (!key) key = cfg->get("key");
		}
		if (!coord_arg || !ca || !cert || !key) {
			fprintf(stderr, "roamctl: the coordinator address and TLS files are needed (--config or --coordinator/--ca/--cert/--key)\n");
			return 1;
		}
		auto ep = Endpoint::parse(*coord_arg);
		if (!ep) {
			fprintf(stderr, "roamctl: '%s' is not address:port\n", coord_arg->c_str());
			return 1;
		}
		tls = TlsContext::create(false, {*ca, *cert, *key}, err);
		UniqueFd fd = tls ? tcp_connect(*ep, err) : UniqueFd();
		if (!fd) {
			fprintf(stderr, "roamctl: %s\n", err.c_str());
			return 2;
		}
		auto ssl = tls->new_session(fd.get());
		conn = std::make_unique<FramedConn>(loop, std::move(fd), std::move(ssl), "coordinator");
	} else {
		UniqueFd fd = unix_connect(agent_socket, err);
		if (!fd) {
			fprintf(stderr, "roamctl: %s\n", err.c_str());
			return 2;
		}
		conn = std::make_unique<FramedConn>(loop, std::move(fd), nullptr, "agent");
	}
	int status = 2;
	std::string failure = "no answer";
	std::vector<Message> replies;
	conn->on_open([&](FramedConn &c) {
		Message hello;
		hello.type = MsgType::hello;
		hello.role = request && request->type == MsgType::station_key ? proto::Role::key_source : proto::Role::ctl;
		hello.request_id = 1;
		c.send(hello);
	});
	conn->on_message([&](FramedConn &c, Message &&m) {
		if (m.type == MsgType::error) {
			failure = "refused: " + m.text.value_or("(no text)");
			loop.stop();
			return;
		}
		if (m.type == MsgType::hello_ack && request) {
			c.send(*request);
			return;
		}
		if (m.type == MsgType::policy_reply) {
			if (m.status == proto::Status::ok) {
				status = 0;
				replies.push_back(std::move(m));
			} else {
				failure = m.text.value_or(proto::status_name(*m.status));
			}
			loop.stop();
			return;
		}
		if (m.type == MsgType::ft_config_reply) {
			if (m.status == proto::Status::ok && m.mobility_domain && m.ft_key) {
				status = 0;
				print_ft_config(uint16_t(*m.mobility_domain), *m.ft_key);
			} else {
				failure = std::string("refused: ") + m.text.value_or(proto::status_name(*m.status));
			}
			loop.stop();
			return;
		}
		if (m.type == MsgType::user_action_ack) {
			if (m.status == proto::Status::ok) {
				status = 0;
				printf("roamctl: %s\n", m.text.value_or("done").c_str());
			} else {
				failure = std::string("refused: ") + m.text.value_or(proto::status_name(*m.status));
			}
			loop.stop();
			return;
		}
		if (m.type == MsgType::station_key_ack) {
			if (m.status == proto::Status::ok) {
				status = 0;
				printf("roamctl: key of station %s handed to %u AP(s)\n", request->mac->str().c_str(),
				       m.count.value_or(0));
			} else {
				failure = std::string("refused: ") + m.text.value_or(proto::status_name(*m.status));
				if (m.status == proto::Status::unauthorized)
					status = 3;
			}
			loop.stop();
			return;
		}
		if (m.type == MsgType::hello_ack) {
			Message req;
			req.type = MsgType::dump_request;
			req.request_id = 2;
			req.what = *what;
			c.send(req);
			return;
		}
		if (m.type == MsgType::dump_reply) {
			replies.push_back(std::move(m));
			if (!replies.back().has_flag(proto::kFlagMore)) {
				status = 0;
				loop.stop();
			}
		}
	});
	conn->on_close([&](FramedConn &, const std::string &reason) {
		failure = reason;
		loop.stop();
	});
	conn->start();
	loop.after(Millis(5000), [&] { failure = "timed out after 5 s"; loop.stop(); });
	loop.run();
	if (status != 0) {
		fprintf(stderr, "roamctl: %s\n", failure.c_str());
		return status;
	}
	if (command == "policy") {
		print_policy(replies.at(0), json);
		return 0;
	}
	if (request)
		return 0;
	if (command == "clients") {
		std::vector<proto::ConnRecord> conns;
		for (const auto &m : replies)
			conns.insert(conns.end(), m.conns.begin(), m.conns.end());
		print_clients(conns, json);
		return 0;
	}
	print(replies, *what, json);
	return 0;
}

int main(int argc, char **argv)
{
	set_log_ident("roamctl");
	set_log_level(LogLevel::error);
	bool radius_exit = false;
	// FreeRADIUS's exec module throws a program's stderr away and logs its
	// output when it rejects: what roamctl says goes there.
	for (int i = 1; i < argc; ++i)
		if (std::string(argv[i]) == "--radius-exit")
			dup2(STDOUT_FILENO, STDERR_FILENO);
	int status = run(argc, argv, radius_exit);
	// FreeRADIUS's exec module reads 1 as reject and 2 as fail: the station
	// is rejected when it must be (3, 4) and let in otherwise, without key
	// handoff when the coordinator cannot be reached.
	if (radius_exit)
		return status == 3 || status == 4 ? 1 : 0;
	return status;
}
