// roamcoord's configuration keys (docs/configuration.md).
#pragma once

#include "../common/config_keys.hpp"

namespace roamnat {

inline constexpr ConfigKey kRoamcoordConfigKeys[] = {
	{"listen", "0.0.0.0:7447", "address:port for agents and roamctl"},
	{"ca", nullptr, "CA certificate (PEM) that signs agents and roamctl"},
	{"cert", nullptr, "this coordinator's certificate"},
	{"key", nullptr, "this coordinator's private key"},
	{"agents", "", "allowed agent names (CNs); empty: any the CA signed"},
	{"push_fam_updates", "yes", "push new FAMs to HAMs at once (yes/no)"},
	{"key_sources", "", "names (CNs) that may hand over station keys; empty: no key handoff"},
	{"operators", "", "names (CNs) that may revoke, reinstate and disconnect users; empty: nobody"},
	{"das_listen", "", "address:port for RADIUS Disconnect-Requests (RFC 5176, usually port 3799); empty: none"},
	{"das_clients", "", "addresses that may send Disconnect-Requests"},
	{"das_secret_file", "", "file holding the RADIUS secret shared with das_clients"},
	{"das_time_window", "300", "seconds a Disconnect-Request's Event-Timestamp may be off"},
	{"policies_file", "", "users' filtering policies (docs/policy.md); empty: RADIUS attributes alone"},
	{"ft_mobility_domain", "",
	 "802.11r mobility domain of the APs, 4 hex digits as hostapd's mobility_domain ('a1b2'); empty: none"},
	{"ft_key_file", "",
	 "file (mode 0600) holding the key the domain's key holders share: 64 hex digits (openssl rand -hex 32)"},
	{"max_keys", "16384", "station keys held at most, in locked memory"},
	{"keepalive_ms", "1000", "how often agents send a keepalive (100 to 60000)"},
	{"dead_after_ms", "5000",
	 "silence after which an agent is declared failed and its session closed (3 x keepalive_ms or more)"},
	{"failover_after_ms", "",
	 "how long an agent holding masquerade addresses may be gone (its session closed or failed) before "
	 "they and their connections move to another agent; empty: dead_after_ms"},
	{"failover_to", "",
	 "agents that take over a failed agent's masquerade addresses, the first connected one chosen; empty: the "
	 "connected agent serving most of the moved connections"},
	{"state_file", "/var/lib/roamnat/roamcoord.state",
	 "where agents and revocations survive a restart; empty: nowhere (a restart forgets them)"},
	{"log_level", "info", "debug, info, warn or error"},
};

} // namespace roamnat
