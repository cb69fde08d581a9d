#include "agent.hpp"

#include "../common/log.hpp"
#include "client_interface.hpp"

#include <algorithm>
#include <random>
#include <net/if.h>

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

std::string HamPolicy::choose(const FlowKey &flow, const std::string &self) const
{
	switch (kind) {
	case Kind::local:
		return self;
	case Kind::host:
		return host;
	case Kind::port: {
		auto it = by_port.find(flow.server.port);
		return it == by_port.end() ? self : it->second;
	}
	}
	return self;
}

Agent::Agent(EventLoop &loop, AgentOptions opts, DataPlane &dp, CoordinatorLink &coord)
	: loop_(loop), opts_(std::move(opts)), dp_(dp), coord_(coord),
	  endpoints_(opts_.address, {}, {opts_.dp.port_min, opts_.dp.port_max},
		     opts_.port_quarantine, std::random_device()()),
	  held_(loop_, opts_.miss_hold, opts_.max_held, [this](MissId id, Verdict v) { dp_.verdict(id, v); },
		counters_),
	  policy_holds_(loop_, opts_.miss_hold, opts_.max_held, [this](MissId id, Verdict v) { dp_.verdict(id, v); },
			counters_),
	  fams_(dp_), hams_(dp_, opts_.name, opts_.dp.outbound),
	  control_(loop_, opts_.name, [this](proto::DumpWhat w, Message &r) { return dump(w, r); }),
	  stations_({[this](const MacAddr &m, Address c, uint32_t i, const char *why) {
			      apply_policy(m, c);
			      client_arrived(c, i, why, m);
		      },
		     [this](const MacAddr &m, uint32_t i) { station_arrived(m, i); },
		     [this](Address c, const char *why) { client_departed(c, why); }}),
	  keys_(loop_, 16384, [this](size_t n) {
		  count("keys_expired", n);
		  log_debug(n, " station key(s) expired and were wiped");
	  })
{
}

bool Agent::start(std::string &error)
{
	// Its own masquerade addresses where a previous run left them on the
	// link; the others go there once the coordinator confirms them (fence).
	for (Address a : opts_.masquerade_addresses) {
		std::string why;
		if (!opts_.change_address || change_address(a, AddressChange::present, why))
			endpoints_.hold(a, true);
	}
	if (!dp_.start_misses(loop_, uint32_t(opts_.max_held), [this](const Miss &m) { on_miss(m); }, error))
		return false;
	if (!dp_.start_events(loop_, [this](const DataPlaneEvent &ev) { on_dp_event(ev); }, error))
		return false;
	if (opts_.dp.filtering == Filtering::hold &&
	    !dp_.start_policy_holds(loop_, uint32_t(opts_.max_held), [this](const PolicyHold &h) { policy_hold(h); },
				    error))
		return false;
	LinkMonitor::Handlers lh;
	lh.link_exists = [this](uint32_t i, const std::string &n, bool present) { link_exists(i, n, present); };
	lh.link_up = [this](uint32_t, const std::string &n) {
		if (opts_.dp.is_client_interface(n))
			log_debug("client interface ", n, " is up");
	};
	lh.link_gone = [this](uint32_t i, const std::string &n) { link_gone(i, n); };
	// With hostapd, its station events are the arrivals and departures; the
	// neighbour table only tells which address a station has.
	bool stations_from_hostapd = !opts_.hostapd.empty();
	lh.neighbour_failed = [this, stations_from_hostapd](uint32_t i, Address a) {
		if (!stations_from_hostapd && fams_.clients_on(i).count(a))
			client_departed(a, "neighbour unreachable");
	};
	lh.neighbour_seen = [this, stations_from_hostapd](uint32_t i, Address a, std::optional<MacAddr> mac) {
		char name[IF_NAMESIZE] = {};
		if (!if_indextoname(i, name) || !opts_.dp.is_client_interface(name))
			return;
		if (stations_from_hostapd) {
			if (mac)
				stations_.learned(*mac, a, i);
			return;
		}
		client_arrived(a, i, "neighbour entry");
	};
	if (!links_.open(loop_, lh, error))
		return false;
	start_hostapd();
	if (opts_.dhcp_snooping && !dhcp_.open(loop_, [this](const DhcpMessage &m, uint32_t i) { on_dhcp(m, i); }, error))
		return false;
	if (!opts_.ft_relay.empty() &&
	    !ft_.open(loop_, opts_.ft_relay, [this](std::span<const uint8_t> f) { ft_frame_out(f); }, error))
		return false;
	coord_.on_push([this](const Message &m) { on_push(m); });
	coord_.on_session([this] { resync(); });
	if (!opts_.control_socket.empty() && !control_.open(opts_.control_socket, error))
		return false;
	uint32_t idle_min = std::min(opts_.dp.udp_idle_s, opts_.dp.tcp_idle_s);
	idle_every_ = Millis(std::clamp<uint32_t>(idle_min * 1000 / 4, 1000, 30000));
	// Where the data plane reports idle entries itself, the periodic scan
	// only catches reports lost while roamd was down or overloaded.
	if (dp_.reports_idle())
		idle_every_ = std::max(idle_every_ * 4, Millis(60000));
	loop_.after(idle_every_, [this] { idle_tick(); });
	return true;
}

void Agent::idle_tick()
{
	check_idle();
	loop_.after(idle_every_, [this] { idle_tick(); });
}

void Agent::stop()
{
	held_.release_all(Verdict::drop, "agent stopping");
	policy_holds_.release_all(Verdict::drop, "agent stopping");
}

// ---- packet path -----------------------------------------------------------

// Fig. 6 630 / Fig. 7 720 "no": the data plane has no entry for the packet
// and says which of the two it is.
void Agent::on_miss(const Miss &m)
{
	if (m.way == Direction::inbound) {
		inbound_miss(m);
		return;
	}
	if (m.packet.icmp_error) {
		// An error never opens a connection; those that wait for an answer
		// are the ones to a masquerade endpoint, queued inbound.
		count("miss_icmp_passed");
		dp_.verdict(m.id, Verdict::accept);
		return;
	}
	outbound_miss(m);
}

// Fig. 6 630 "no": the FAM has no record for this client and server.
void Agent::outbound_miss(const Miss &m)
{
	count("miss_outbound");
	const PacketInfo &pi = m.packet;
	FlowKey flow = m.flow();
	if (fams_.contains(flow)) {
		count("miss_raced");
		dp_.verdict(m.id, Verdict::repeat);
		return;
	}
	if (!fams_.serves(flow.client.addr)) {
		if (stations_.just_left(flow.client.addr, loop_.now())) {
			count("miss_departed_station_dropped");
			log_debug("dropped a packet from ", flow.client.addr.str(),
				  ": its station left moments ago (a straggler the radio passed), not an arrival");
			dp_.verdict(m.id, Verdict::drop);
			return;
		}
		client_arrived(flow.client.addr, m.ifindex, "first packet");
	}
	if (!held_.hold(Way::outbound, flow, m.id)) // Fig. 6 640
		return;
	if (!setups_.try_emplace(flow).second)
		return; // already asked; this packet waits with the others
	if (hams_.contains(flow)) {
		ask_to_join(flow, m.ifindex, false); // back at its HAM
		return;
	}
	bool opens = pi.syn_only() || pi.proto == L4::udp || pi.echo_request;
	std::string ham = opts_.ham_policy.choose(flow, opts_.name); // Fig. 9 900
	if (ham == opts_.name && pi.syn_only()) {
		anchor_here(flow, m.ifindex);
		return;
	}
	if (ham == opts_.name) {
		ask_to_join(flow, m.ifindex, opens);
		return;
	}
	// Fig. 6 670 first (the client may be roaming), then Fig. 9 980.
	if (opens)
		setups_[flow].may_designate = true;
	ask_to_join(flow, m.ifindex, false);
}

// Fig. 7 720 "no": the HAM knows the connection but not its FAM.
void Agent::inbound_miss(const Miss &m)
{
	count("miss_inbound");
	MasqKey key{m.packet.proto, m.packet.src, m.packet.dst};
	HamRec *rec = hams_.find(key);
	if (!rec) {
		count("inbound_unknown_dropped");
		log_debug("no HAM record for ", key.str(), ": dropped (Fig. 7 785)");
		dp_.verdict(m.id, Verdict::drop);
		return;
	}
	if (rec->relays()) {
		count("miss_raced");
		dp_.verdict(m.id, Verdict::repeat);
		return;
	}
	if (!held_.hold(Way::inbound, rec->flow, m.id))
		return;
	// Fig. 7 725 alternative: do not ask again while a recent query is unanswered.
	if (loop_.now() - rec->last_query > Millis(250))
		query_fams(*rec);
}

// Connection end as the data plane sees it: TCP FIN/RST, or entries gone idle.
void Agent::on_dp_event(const DataPlaneEvent &ev)
{
	if (ev.kind != DataPlaneEvent::Kind::idle) {
		on_tcp_end(ev.tuple, ev.kind == DataPlaneEvent::Kind::tcp_rst);
		return;
	}
	// Idle reports come in bursts (one per entry): one check for all of them.
	count("idle_reports");
	if (!idle_check_pending_) {
		idle_check_pending_ = true;
		loop_.after(Millis(200), [this] {
			idle_check_pending_ = false;
			check_idle();
		});
	}
}

// A FIN each way, or an RST, ends the connection after end_linger; the
// coordinator then tells the HAM and every FAM (conn_end, conn_removed).
void Agent::on_tcp_end(const FlowKey &tuple, bool rst)
{
	MasqKey as_in{tuple.proto, tuple.client, tuple.server};
	std::optional<FlowKey> flow;
	bool outbound = false;
	if (fams_.contains(tuple)) {
		flow = tuple;
		outbound = true;
	} else if (const FamRec *f = fams_.find_inbound(as_in)) {
		flow = f->flow;
	} else if (const HamRec *h = hams_.find(as_in)) {
		flow = h->flow;
	}
	if (!flow)
		return;
	FlowKey key = *flow;
	Ending &e = ending_[key];
	if (rst)
		e.fin_out = e.fin_in = true;
	else
		(outbound ? e.fin_out : e.fin_in) = true;
	// A HAM relaying to a remote FAM never sees the client's FIN: one
	// direction is enough there, the FAM's report or idle expiry does the rest.
	bool ham_only = !fams_.contains(key);
	if ((e.fin_out && e.fin_in) || (ham_only && rst)) {
		if (!e.timer) {
			count("tcp_closed");
			e.timer = loop_.after(opts_.end_linger, [this, key] {
				ending_.erase(key);
				end_connection(key, "TCP connection closed");
			});
		}
	}
}

// ---- connection set-up -----------------------------------------------------

// Fig. 9 with the local host as HAM: the SYN goes out at once and the
// coordinator learns of the connection asynchronously.
void Agent::anchor_here(const FlowKey &flow, uint32_t ifindex)
{
	auto masq = endpoints_.masquerade(loop_.now());
	if (!masq) {
		setup_failed(flow, "ports_exhausted", "no free masquerade port");
		return;
	}
	add_ham(flow, *masq, *masq);
	add_fam(FamRec{flow, *masq, *masq, opts_.name, false, ifindex, loop_.now()});
	setups_.erase(flow);
	if (!commit("anchoring a new connection")) {
		held_.release(Way::outbound, flow, Verdict::drop, "data plane refused the entries");
		forget(flow);
		return;
	}
	count("connections_anchored");
	held_.release(Way::outbound, flow, Verdict::repeat, "");
	log_debug("HAM of ", flow.str(), " as ", masq->str());
	register_ham(*hams_.find(flow), false);
}

// Fig. 6 670 / Fig. 10: ask the coordinator to join the connection as its FAM.
void Agent::ask_to_join(const FlowKey &flow, uint32_t ifindex, bool may_anchor)
{
	const HamRec *anchored = hams_.find(flow);
	bool fam_is_masq = anchored != nullptr;
	Endpoint fam;
	if (fam_is_masq) {
		fam = anchored->masq; // a HAM that is also the FAM uses one endpoint
	} else {
		// Fig. 11: if the coordinator makes this AP the HAM, the FAM
		// endpoint becomes the masquerade endpoint, so it must be movable.
		auto e = may_anchor ? endpoints_.masquerade(loop_.now()) : endpoints_.fam(loop_.now());
		if (!e) {
			setup_failed(flow, "ports_exhausted", "no free FAM port");
			return;
		}
		fam = *e;
	}
	coord_.fam_request(flow, fam, may_anchor, false, [this, flow, ifindex, fam, fam_is_masq](const Message *r) {
		on_fam_reply(flow, ifindex, fam, fam_is_masq, r);
	});
}

// Fig. 10 1070 and every other way a set-up ends without entries: the held
// packets are dropped.
void Agent::setup_failed(const FlowKey &flow, const char *counter, const char *why)
{
	setups_.erase(flow);
	count(counter);
	held_.release(Way::outbound, flow, Verdict::drop, why);
}

// Fig. 10 1060/1070, Fig. 11 1175: the coordinator's answer to fam_request.
void Agent::on_fam_reply(const FlowKey &flow, uint32_t ifindex, Endpoint fam, bool fam_is_masq, const Message *r)
{
	if (r && (r->status == Status::ok || r->status == Status::became_ham)) {
		joined(flow, ifindex, fam, fam_is_masq, *r);
		return;
	}
	if (!fam_is_masq)
		endpoints_.release(fam, loop_.now());
	if (!r) {
		setup_failed(flow, "coordinator_unanswered",
			     coord_.up() ? "coordinator did not answer in time" : "coordinator unreachable");
		return;
	}
	Status st = *r->status;
	std::string ham = opts_.ham_policy.choose(flow, opts_.name);
	auto setup = setups_.find(flow);
	if (st == Status::rejected && ham != opts_.name && setup != setups_.end() && setup->second.may_designate) {
		setup->second.may_designate = false; // once: the designated host's refusal is final
		designate(flow, ifindex, ham);
		return;
	}
	setup_failed(flow, st == Status::rejected ? "miss_rejected" : "miss_refused",
		     st == Status::rejected ? "coordinator knows no such connection (Fig. 10 1070)"
					    : proto::status_name(st));
}

// Fig. 10 1060-1065: this AP is the connection's FAM; Fig. 11 1175-1180: and
// its HAM.
void Agent::joined(const FlowKey &flow, uint32_t ifindex, Endpoint fam, bool fam_is_masq, const Message &r)
{
	setups_.erase(flow);
	bool became_ham = r.status == Status::became_ham;
	std::string ham = became_ham ? opts_.name : r.ham_agent.value_or("");
	Endpoint masq = became_ham ? fam : r.masq.value_or(Endpoint{});
	if (masq.is_nil() || ham.empty()) {
		if (!fam_is_masq)
			endpoints_.release(fam, loop_.now());
		held_.release(Way::outbound, flow, Verdict::drop, "coordinator reply lacked the masquerade endpoint");
		return;
	}
	// The FAM entries go in first: held inbound packets are released once
	// the HAM side points here, and must find them.
	bool via = opts_.dp.outbound == OutboundMode::via_ham && ham != opts_.name;
	add_fam(FamRec{flow, masq, fam, ham, via, ifindex, loop_.now()}); // Fig. 10 1065
	if (became_ham) { // Fig. 11 1180
		add_ham(flow, masq, fam);
		count("connections_anchored");
	} else if (const HamRec *home = ham == opts_.name ? hams_.find(flow) : nullptr) {
		auto fams = home->fams; // back at its HAM: this AP is the newest FAM again
		std::erase_if(fams, [&](const auto &f) { return f.agent == opts_.name; });
		fams.insert(fams.begin(), {opts_.name, fam});
		update_ham_fams(flow, fams);
	}
	if (!commit("installing a FAM record")) {
		held_.release(Way::outbound, flow, Verdict::drop, "data plane refused the entries");
		forget(flow);
		return;
	}
	count(became_ham ? "fam_anchored" : "fam_joined");
	held_.release(Way::outbound, flow, Verdict::repeat, "");
}

// Fig. 9 980: another host is to anchor this connection.
void Agent::designate(const FlowKey &flow, uint32_t ifindex, const std::string &ham)
{
	coord_.ham_designate(flow, ham, [this, flow, ifindex](const Message *r) {
		if (!r || r->status != Status::ok) {
			setup_failed(flow, "designate_failed",
				     r && r->text ? r->text->c_str() : "designated HAM did not register the connection");
			return;
		}
		// The designated HAM registered it: join as its FAM (Fig. 10).
		ask_to_join(flow, ifindex, false);
	});
}

// Fig. 9 940 at the designated host: anchor a connection another AP saw.
void Agent::on_ham_designate(const Message &m)
{
	FlowKey flow = *m.flow();
	if (const HamRec *rec = hams_.find(flow)) {
		register_ham(*rec, false);
		return;
	}
	auto masq = endpoints_.masquerade(loop_.now());
	if (!masq) {
		count("ports_exhausted");
		log_warn("designated HAM for ", flow.str(), " but no masquerade port is free");
		return;
	}
	add_ham(flow, *masq, std::nullopt);
	if (!commit("anchoring a designated connection")) {
		drop_ham(flow);
		return;
	}
	count("connections_designated");
	register_ham(*hams_.find(flow), false);
}

// ---- records ---------------------------------------------------------------

void Agent::add_fam(FamRec rec)
{
	drop_fam(rec.flow);
	fams_.add(std::move(rec));
}

// Fig. 9 930, Fig. 11 1180: this AP anchors the connection at masq, and is
// its FAM at own_fam when it serves the client too.
void Agent::add_ham(const FlowKey &flow, Endpoint masq, std::optional<Endpoint> own_fam)
{
	HamRec rec;
	rec.flow = flow;
	rec.masq = masq;
	if (own_fam)
		rec.fams = {{opts_.name, *own_fam}};
	rec.since = loop_.now();
	hams_.add(std::move(rec));
}

// The FAM port goes back to the allocator unless the HAM record shares it.
void Agent::drop_fam(const FlowKey &flow)
{
	auto rec = fams_.remove(flow);
	if (!rec)
		return;
	const HamRec *ham = hams_.find(flow);
	bool shared = ham && ham->masq == rec->fam; // Fig. 11: one endpoint for both roles
	if (!shared)
		endpoints_.release(rec->fam, loop_.now());
}

// Fig. 12 1250: the HAM forwards to the newest FAM; packets held for it go.
void Agent::update_ham_fams(const FlowKey &flow, std::vector<proto::FamRecord> fams)
{
	const HamRec *rec = hams_.set_fams(flow, std::move(fams));
	if (!rec || !commit("updating a HAM record"))
		return;
	if (rec->installed != HamRec::Installed::pending)
		held_.release(Way::inbound, flow, Verdict::repeat, "");
}

void Agent::drop_ham(const FlowKey &flow)
{
	if (auto rec = hams_.remove(flow))
		endpoints_.release(rec->masq, loop_.now());
}

bool Agent::commit(const char *what)
{
	std::string err;
	if (dp_.commit(err))
		return true;
	count("dataplane_errors");
	log_error(what, ": ", err);
	return false;
}

// Removes both records and their entries; what was held for them is dropped.
void Agent::forget(const FlowKey &flow, bool commit_now)
{
	drop_fam(flow);
	drop_ham(flow);
	if (commit_now)
		commit("removing a connection");
	held_.release(Way::outbound, flow, Verdict::drop, "connection ended");
	held_.release(Way::inbound, flow, Verdict::drop, "connection ended");
	if (auto e = ending_.find(flow); e != ending_.end()) {
		if (e->second.timer)
			loop_.cancel(e->second.timer);
		ending_.erase(e);
	}
}

// FIN/RST or idle: tell the coordinator (conn_end) and forget the connection.
void Agent::end_connection(const FlowKey &flow, const std::string &why)
{
	if (!fams_.contains(flow) && !hams_.contains(flow))
		return;
	log_debug("ending ", flow.str(), ": ", why);
	count("connections_ended");
	coord_.conn_end(flow, why);
	forget(flow);
}

// ---- coordinator ------------------------------------------------------------

// What the coordinator sends unasked.
void Agent::on_push(const Message &m)
{
	switch (m.type) {
	case MsgType::fam_update: // Fig. 12 push, Fig. 13 1350-1380
		count("fam_updates");
		if (hams_.contains(*m.flow()))
			update_ham_fams(*m.flow(), m.fams);
		return;
	case MsgType::conn_removed:
		count("conn_removed");
		forget(*m.flow());
		return;
	case MsgType::ham_designate:
		on_ham_designate(m);
		return;
	case MsgType::client_moved:
		client_moved(*m.client_addr, m.agent_id.value_or("another AP"));
		return;
	case MsgType::key_push:
		key_received(m);
		return;
	case MsgType::station_revoke:
		station_revoked(m);
		return;
	case MsgType::ft_frame:
		ft_frame_in(m);
		return;
	case MsgType::ham_takeover:
		take_over(m);
		return;
	default:
		log_warn("unexpected ", proto::msg_type_name(m.type), " from the coordinator ignored");
	}
}

// Fig. 7 725, Fig. 12: where is this connection's FAM now?
void Agent::query_fams(HamRec &rec)
{
	rec.last_query = loop_.now();
	count("fam_queries");
	FlowKey flow = rec.flow;
	coord_.fam_query(flow.proto, flow.server, rec.masq, [this, flow](const Message *r) {
		if (!r)
			return; // the hold timer decides
		if (r->status == Status::ok) {
			update_ham_fams(flow, r->fams); // Fig. 12 1250
			return;
		}
		count(r->status == Status::suspect ? "fam_query_suspect" : "fam_query_not_found");
		held_.release(Way::inbound, flow, Verdict::drop,
			      r->status == Status::suspect ? "coordinator flagged the query as suspect"
							   : "coordinator does not know the connection (Fig. 12 1280)");
	});
}

// Fig. 9 950: tell the coordinator this AP anchors the connection.
void Agent::register_ham(const HamRec &rec, bool resync)
{
	std::optional<Endpoint> own_fam;
	for (const auto &f : rec.fams)
		if (f.agent == opts_.name)
			own_fam = f.fam;
	FlowKey flow = rec.flow;
	coord_.ham_register(flow, rec.masq, own_fam, resync, [this, flow, resync](const Message *r) {
		if (!hams_.contains(flow))
			return;
		if (!r) {
			count("register_deferred"); // replayed by resync() on the next session
			return;
		}
		if (r->status == Status::ok)
			return;
		// Someone else anchors this flow: a SYN retransmitted after a roam,
		// or a stale record. Step back and join as a FAM.
		count("register_conflicts");
		log_info("coordinator has another HAM for ", flow.str(), "; this agent joins as FAM instead");
		const FamRec *fam = fams_.find(flow);
		uint32_t ifindex = fam ? fam->ifindex : 0;
		forget(flow);
		if (!resync && setups_.try_emplace(flow).second)
			ask_to_join(flow, ifindex, false);
	});
}

// After (re)connecting: replay what this agent anchors and serves, so a
// restarted coordinator rebuilds its table (docs/architecture.md).
void Agent::resync()
{
	fence(); // before any replay: nothing is registered on an address lost
	for (const auto &[flow, rec] : hams_)
		register_ham(rec, true);
	for (const auto &[flow, rec] : fams_) {
		if (rec.ham_agent == opts_.name)
			continue;
		coord_.fam_request(flow, rec.fam, false, true, [](const Message *) {});
	}
	for (const auto &[mac, user] : stations_.users())
		report_user(mac, user);
	// Stations that associated before this session could ask who they are.
	for (const auto &[mac, ifindex] : stations_.unresolved())
		station_arrived(mac, ifindex);
	auto unanswered = std::move(unanswered_arrivals_);
	unanswered_arrivals_.clear();
	for (const auto &[client, a] : unanswered)
		ask_arrival(client, a.ifindex, a.mac);
	if (hams_.size() || fams_.size())
		log_info("resynchronised ", hams_.size(), " HAM and ", fams_.size(), " FAM record(s) with the coordinator");
}

// ---- departures, arrivals and expiry -------------------------------------------

// Fig. 13 1300: tell the coordinator, which tells the HAMs.
void Agent::client_departed(Address client, const char *why)
{
	std::vector<FlowKey> flows = fams_.flows_of(client);
	for (const auto &flow : flows) {
		drop_fam(flow);
		hams_.drop_fam(flow, opts_.name); // hold inbound until the next FAM is known
	}
	commit("removing a departed client");
	// Its next arrival is news however soon it comes: a client that only
	// receives (a download) sends nothing a FAM could join it by.
	arrivals_.erase(client);
	unanswered_arrivals_.erase(client);
	count("departures");
	log_info("client ", client.str(), " departed (", why, "): ", flows.size(), " connection(s) left this FAM");
	coord_.client_departed(client);
}

// Fig. 13 1300 learned from the coordinator: the client arrived at another
// AP without a word to this one (a station reassociating elsewhere).
void Agent::client_moved(Address client, const std::string &to)
{
	count("clients_moved_away");
	auto last = arrivals_.find(client);
	// A notice in flight while the client came back here is older than that
	// arrival: half a second covers the coordinator's round trip.
	if (last != arrivals_.end() && loop_.now() - last->second < Millis(500)) {
		log_debug("client ", client.str(), " moved to ", to, " but arrived here again since: kept");
		return;
	}
	if (fams_.serves(client))
		client_departed(client, ("arrived at " + to).c_str());
}

// A client appeared here: join every connection it has at once, so that the
// HAMs switch to this FAM before the client next sends on each of them.
void Agent::client_arrived(Address client, uint32_t ifindex, const char *why, std::optional<MacAddr> mac)
{
	auto now = loop_.now();
	auto last = arrivals_.find(client);
	if (fams_.serves(client) || (last != arrivals_.end() && now - last->second < Millis(1000)))
		return;
	arrivals_[client] = now;
	if (arrivals_.size() > 4096)
		std::erase_if(arrivals_, [&](const auto &a) { return now - a.second > Millis(1000); });
	count("arrivals");
	log_debug("client ", client.str(), " arrived (", why, ")");
	ask_arrival(client, ifindex, mac);
}

// Which connections has the arrived client? An arrival the coordinator
// could not answer (down, or not connected yet after a restart) is asked
// again on the next session: a client that only receives sends nothing
// that would join its connections otherwise.
void Agent::ask_arrival(Address client, uint32_t ifindex, std::optional<MacAddr> mac)
{
	coord_.client_arrived(client, mac, [this, client, ifindex, mac](const Message *r) {
		if (!r) {
			count("arrivals_unanswered");
			if (unanswered_arrivals_.size() < Stations::kMaxKnown)
				unanswered_arrivals_[client] = {ifindex, mac};
			log_info("client ", client.str(), "'s arrival went unanswered by the coordinator; asked again ",
				 "when its session is up");
			return;
		}
		unanswered_arrivals_.erase(client);
		if (r->status == Status::ok)
			join_arrived(*r, ifindex);
	});
}

void Agent::join_arrived(const Message &flows, uint32_t ifindex)
{
	for (const auto &c : flows.conns) {
		if (fams_.contains(c.flow) || !setups_.try_emplace(c.flow).second)
			continue;
		count("arrival_joins");
		ask_to_join(c.flow, ifindex, false);
	}
}

// A station new to this AP: the coordinator knows its address from the AP
// where it got its lease, so its connections are joined before it sends
// (a client that only receives would otherwise wait for its next lease).
void Agent::station_arrived(const MacAddr &mac, uint32_t ifindex)
{
	if (!coord_.resolves_stations()) {
		log_debug("station ", mac.str(), " associated; its address comes with its first packet here");
		return;
	}
	count("station_lookups");
	coord_.station_arrived(mac, [this, mac, ifindex](const Message *r) {
		if (!r || r->status != Status::ok || !r->client_addr) {
			count("station_lookups_unknown");
			log_info("station ", mac.str(), " associated; no AP has seen its DHCP lease, so roamd waits for its first packet");
			return;
		}
		if (!stations_.associated(mac))
			return; // it left while the coordinator answered
		Address client = *r->client_addr;
		log_debug("station ", mac.str(), " associated; the coordinator says it is ", client.str());
		arrivals_[client] = loop_.now();
		stations_.learned(mac, client, ifindex, false);
		apply_policy(mac, client);
		count("arrivals");
		join_arrived(*r, ifindex);
	});
}

// A lease acknowledged here: the station is here, and the coordinator binds
// its MAC to the address for the next AP it visits.
void Agent::dhcp_acked(const MacAddr &mac, Address addr, uint32_t ifindex)
{
	count("dhcp_acks");
	stations_.learned(mac, addr, ifindex, false);
	apply_policy(mac, addr);
	arrivals_[addr] = loop_.now();
	log_debug("DHCP: station ", mac.str(), " has ", addr.str());
	ask_arrival(addr, ifindex, mac);
}

// A client interface down or gone: its clients departed (Fig. 13 1300).
void Agent::link_gone(uint32_t ifindex, const std::string &name)
{
	for (Address c : fams_.clients_on(ifindex))
		client_departed(c, ("link " + name + " gone").c_str());
}

// Set up as soon as it exists, before it is up: a packet it carries before
// the data plane knows it for a client interface would pass untranslated.
// Once per appearance: rtnetlink repeats NEWLINK for every flag change.
void Agent::link_exists(uint32_t ifindex, const std::string &name, bool present)
{
	if (!opts_.dp.is_client_interface(name))
		return;
	if (!present) {
		if (client_ifs_.erase(ifindex))
			dp_.client_interface(ifindex, false);
		return;
	}
	if (!client_ifs_.insert(ifindex).second)
		return;
	std::string err;
	if (!prepare_client_interface(name, err)) {
		count("client_interface_errors");
		log_warn("client interface ", name, ": ", err);
	}
	dp_.client_interface(ifindex, true);
}

void Agent::station_associated(const MacAddr &mac, uint32_t ifindex)
{
	count("station_associations");
	stations_.connected(mac, ifindex);
}

void Agent::station_left(const MacAddr &mac)
{
	count("station_departures");
	if (auto addr = stations_.address_of(mac))
		policy_holds_.release(*addr, Verdict::drop, "its station left");
	withdraw_policy(mac, "it left");
	stations_.disconnected(mac, loop_.now());
}

// Fig. 14 1455: hostapd (the AP's server authentication module) accepted
// the station as this user; the coordinator keeps the binding for every AP.
void Agent::station_authenticated(const StationRecord &sta, const std::string &bss, bool wpa_eap)
{
	auto [user, unreadable] = eap_identities_.read(sta);
	if (user.name.empty()) {
		auto handed = handed_over_user(sta, wpa_eap);
		if (!handed && sta.ft && withdrawn_.find(sta.mac)) {
			turn_away_withdrawn(sta.mac, bss);
			return;
		}
		if (!handed && unreadable) {
			count("station_identity_unreadable");
			log_warn("audit: station ", sta.mac.str(), " reassociated on ", bss,
				 sta.ft ? " by FT (802.11r)" : " with hostapd's cached PMKSA",
				 ", whose identity hostapd cannot print reliably, and ",
				 "no EAP exchange here or key from the coordinator names its user: it has none here");
			return;
		}
		if (!handed)
			return; // WPA-PSK or open: no user
		user = *handed;
	} else {
		withdrawn_.take(sta.mac); // an EAP exchange here: the coordinator decides again
	}
	if (!stations_.authenticated(sta.mac, user))
		return;
	count("station_authentications");
	log_info("audit: station ", sta.mac.str(), " authenticated on ", bss, ": user=", user.name,
		 " method=", user.method.empty() ? "-" : user.method);
	report_user(sta.mac, user);
}

// On a WPA-EAP BSS a station with no EAP exchange here came in on a PMKSA,
// or by FT (802.11r) on a PMK-R1 from the R0KH of its exchange. hostapd's
// identity for either cannot be trusted (it lacks its NUL): the key record
// the coordinator handed over names the user, and for FT at the AP of the
// exchange, which is handed no key, that exchange does.
std::optional<Stations::User> Agent::handed_over_user(const StationRecord &sta, bool wpa_eap)
{
	if (const KeyTable::Key *key = wpa_eap || sta.ft ? keys_.find(sta.mac) : nullptr) {
		count(sta.ft ? "station_ft_handoffs" : "station_key_handoffs");
		return Stations::User{key->user, sta.ft ? "FT" : "PMKSA"};
	}
	auto here = sta.ft ? eap_identities_.last_exchange(sta.mac) : std::nullopt;
	if (here) {
		count("station_ft_handoffs");
		here->method = "FT";
	}
	return here;
}

void Agent::report_user(const MacAddr &mac, const Stations::User &user)
{
	if (!coord_.keeps_users())
		return; // replayed by resync() once a coordinator that keeps users is connected
	coord_.station_auth(mac, user.name, user.method, [this, mac](const Message *r) {
		if (r && r->status == Status::unauthorized) {
			count("station_auth_refused");
			log_warn("audit: the coordinator refused station ", mac.str(), "'s user: ",
				 r->text.value_or("unauthorized"));
			return;
		}
		if (!r || r->status != Status::ok) {
			count("station_auth_unacknowledged");
			log_warn("the coordinator did not take station ", mac.str(), "'s user",
				 r ? std::string(": ") + proto::status_name(*r->status) : std::string(" (no answer)"),
				 "; sent again on the next session");
			return;
		}
		fetch_policy(mac);
	});
}

// One link per BSS; its station events go through Stations.
void Agent::start_hostapd()
{
	for (const auto &path : opts_.hostapd) {
		std::string bss = path.substr(path.rfind('/') + 1);
		HostapdLink::Handlers h;
		h.connected = [this, bss](const MacAddr &m) { station_associated(m, if_nametoindex(bss.c_str())); };
		h.disconnected = [this](const MacAddr &m) { station_left(m); };
		// The link is found by its path: it does not exist yet when the
		// handlers are made.
		auto link_of = [this, path]() -> HostapdLink * {
			for (auto &l : hostapd_)
				if (l->ctrl_path() == path)
					return l.get();
			return nullptr;
		};
		h.authenticated = [this, bss, link_of](const StationRecord &sta) {
			station_authenticated(sta, bss, link_of()->wpa_eap());
		};
		h.attached = [this, link_of] { install_keys(*link_of()); };
		auto link = std::make_unique<HostapdLink>(loop_, path, opts_.run_dir + "/hostapd-" + opts_.name + "-" + bss, std::move(h));
		link->start();
		hostapd_.push_back(std::move(link));
	}
}

// Only what this AP sends out of a client interface: a lease the DHCP
// server acknowledged, through this AP's relay (or its own server).
void Agent::on_dhcp(const DhcpMessage &m, uint32_t ifindex)
{
	if (!m.reply || !client_ifs_.count(ifindex))
		return;
	if (m.type == DhcpMessage::Type::nak) {
		count("dhcp_naks");
		log_info("DHCP: station ", m.client.str(), " was refused its lease (NAK)");
		return;
	}
	if (m.type != DhcpMessage::Type::ack || m.yiaddr.value == 0)
		return; // an OFFER is no lease yet; an ACK of INFORM gives no address
	dhcp_acked(m.client, m.yiaddr, ifindex);
}

// Inactivity ends a connection: a FAM decides for what it serves, a HAM
// only for connections without a FAM.
void Agent::check_idle()
{
	auto active = dp_.active_tuples();
	if (!active)
		return;
	auto now = loop_.now();
	auto idle_for = [&](L4 p) { return std::chrono::seconds(p == L4::tcp ? opts_.dp.tcp_idle_s : opts_.dp.udp_idle_s); };
	std::vector<FlowKey> idle;
	for (const auto &[flow, rec] : fams_) {
		bool seen = active->count(flow) || active->count(FlowKey{flow.proto, flow.server, rec.fam});
		if (!seen && now - rec.since > idle_for(flow.proto))
			idle.push_back(flow);
	}
	for (const auto &[flow, rec] : hams_) {
		// With a FAM attached the FAM sees both directions and decides.
		if (!rec.fams.empty() || fams_.contains(flow))
			continue;
		bool seen = active->count(FlowKey{flow.proto, flow.server, rec.masq});
		if (!seen && now - rec.since > idle_for(flow.proto))
			idle.push_back(flow);
	}
	for (const auto &flow : idle) {
		count("idle_expired");
		end_connection(flow, "idle timeout");
	}
}

// ---- restart with a data plane that kept forwarding ----------------------------

void Agent::adopt(const Leftover &left)
{
	size_t orphans = adopt_fams(left); // first: a HAM record it makes wins over a HAM entry
	orphans += adopt_hams(left);
	if (orphans)
		commit("removing incomplete entries left by the previous run");
	count("adopted_fam", fams_.size());
	count("adopted_ham", hams_.size());
	log_info("adopted ", fams_.size(), " FAM and ", hams_.size(), " HAM record(s) from the data plane (",
		 orphans, " incomplete entr", orphans == 1 ? "y" : "ies", " removed)");
}

// A FAM record is a FAM_OUT entry and its FAM_IN; alone, either is removed.
// Returns the number removed.
size_t Agent::adopt_fams(const Leftover &left)
{
	auto now = loop_.now();
	std::map<std::tuple<L4, Endpoint, Endpoint>, Endpoint> fam_of; // (proto, server, client) -> FAM endpoint
	for (const auto &r : left.fam_in)
		fam_of[{r.proto, r.server, r.client}] = r.fam;
	size_t orphans = 0;
	for (const auto &r : left.fam_out) {
		auto f = fam_of.find({r.flow.proto, r.flow.server, r.flow.client});
		if (f == fam_of.end() || fams_.contains(r.flow)) {
			dp_.del_fam_out(r);
			++orphans;
			continue;
		}
		// Outbound via the HAM: the new source is the FAM endpoint, the new
		// destination the masquerade.
		Endpoint masq = r.new_dst.value_or(r.new_src);
		// At its HAM, a connection's FAM endpoint is its masquerade endpoint
		// (Fig. 11, and after a takeover where it serves the client).
		bool anchored_here = masq == f->second;
		if (anchored_here)
			hold_adopted(masq.addr);
		FamRec rec{r.flow, masq, f->second, anchored_here ? opts_.name : "", bool(r.new_dst), r.ifindex, now};
		endpoints_.claim(rec.fam);
		if (anchored_here) { // Fig. 11: this AP is FAM and HAM; FAM_IN serves both
			HamRec ham;
			ham.flow = r.flow;
			ham.masq = masq;
			ham.fams = {{opts_.name, rec.fam}};
			ham.installed = HamRec::Installed::local;
			ham.installed_fam = rec.fam;
			ham.since = now;
			endpoints_.claim(ham.masq); // taken already when it is the FAM endpoint
			hams_.adopt(std::move(ham));
		}
		fam_of.erase(f);
		fams_.adopt(std::move(rec));
	}
	for (const auto &[key, fam] : fam_of) { // FAM_IN without its FAM_OUT
		dp_.del_fam_in({std::get<0>(key), std::get<1>(key), fam, std::get<2>(key)});
		++orphans;
	}
	return orphans;
}

// A HAM record for a remote FAM (or none yet) is a HAM entry naming its
// client, with, via the HAM, the HAM_REV entry of that FAM. Returns the
// number of entries removed.
size_t Agent::adopt_hams(const Leftover &left)
{
	size_t orphans = 0;
	for (const auto &r : left.ham) {
		FlowKey flow{r.key.proto, r.client, r.key.server};
		if (r.client.is_nil() || hams_.contains(flow)) {
			dp_.del_ham(r);
			++orphans;
			continue;
		}
		HamRec ham;
		ham.flow = flow;
		ham.masq = r.key.masq;
		ham.since = loop_.now();
		ham.installed = r.fam ? HamRec::Installed::remote : HamRec::Installed::pending;
		hold_adopted(ham.masq.addr);
		if (r.fam) {
			ham.fams = {{"", *r.fam}}; // the FAM's name comes with the next update
			ham.installed_fam = *r.fam;
		}
		endpoints_.claim(ham.masq);
		hams_.adopt(std::move(ham));
	}
	for (const auto &r : left.ham_rev) {
		const HamRec *ham = hams_.find(MasqKey{r.proto, r.server, r.masq});
		if (!ham || ham->installed != HamRec::Installed::remote || ham->installed_fam != r.fam) {
			dp_.del_ham_reverse(r);
			++orphans;
		}
	}
	return orphans;
}

// ---- roamctl --agent ---------------------------------------------------------

bool Agent::dump(proto::DumpWhat what, Message &r)
{
	switch (what) {
	case proto::DumpWhat::fam_table:
		for (const auto &[flow, rec] : fams_)
			r.conns.push_back({flow, rec.masq, rec.ham_agent, 0, {{opts_.name, rec.fam}}});
		return true;
	case proto::DumpWhat::ham_table:
		for (const auto &[flow, rec] : hams_)
			r.conns.push_back({flow, rec.masq, opts_.name, 0, rec.fams});
		return true;
	case proto::DumpWhat::counters:
		r.counters.push_back({"fam_records", fams_.size()});
		r.counters.push_back({"ham_records", hams_.size()});
		r.counters.push_back({"ports_in_use", endpoints_.in_use()});
		r.counters.push_back({"ports_quarantined", endpoints_.quarantined()});
		r.counters.push_back({"packets_held", held_.total()});
		r.counters.push_back({"coordinator_up", coord_.up() ? 1u : 0u});
		r.counters.push_back({"coordinator_timeouts", coord_.timeouts()});
		if (!hostapd_.empty()) {
			uint64_t attached = 0, events = 0, malformed = 0, lost = 0, stations = 0;
			for (const auto &h : hostapd_) {
				attached += h->attached();
				events += h->stats().events;
				malformed += h->stats().malformed;
				lost += h->stats().lost;
				stations += h->stations().size();
			}
			r.counters.push_back({"hostapd_attached", attached});
			r.counters.push_back({"hostapd_events", events});
			r.counters.push_back({"hostapd_malformed", malformed});
			r.counters.push_back({"hostapd_lost", lost});
			r.counters.push_back({"stations_associated", stations});
			r.counters.push_back({"stations_known", stations_.known()});
			r.counters.push_back({"stations_policed", policed_.size()});
			r.counters.push_back({"policies_installed", policy_ids_.size()});
			r.counters.push_back({"station_departures_unknown", stations_.unknown_departures()});
		}
		if (opts_.dhcp_snooping)
			r.counters.push_back({"dhcp_malformed", dhcp_.malformed()});
		for (const auto &[k, v] : counters_.values())
			r.counters.push_back({k, v});
		for (const auto &[k, v] : dp_.counters())
			r.counters.push_back({std::string("dp_") + k, v});
		return true;
	default:
		return false;
	}
}

} // namespace roamnat
