/*
 * ns3_net: the hosts, links and TCP sockets of sim/ns3/ns3_net.h in ns-3
 * 3.37. Three parts: building the topology (routers, access and core links,
 * addresses, routes), the connections (sockets, their callbacks, the bytes
 * waiting for send buffer space), and the clock (timers, run).
 */
#include "ns3_net.h"

#include <cassert>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/ppp-header.h>
#include <ns3/traffic-control-module.h>

using namespace ns3;

namespace {

const uint16_t kListenPort = 4001;
const int64_t kStreamBase = 1000; /* fixed stream numbers: see assign_streams */
/* Path loss's and jitter's streams, past the hosts' stacks' (a few streams per host). */
const int64_t kPathLossStreams = 16 * (int64_t)NS3_NET_HOSTS_MAX;
const int64_t kJitterStreams = 17 * (int64_t)NS3_NET_HOSTS_MAX;

struct ConnEnd {
    Ptr<Socket> socket;
    uint32_t host = 0;
    bool used = false;
    bool established = false;
    bool close_asked = false; /* ns3_net_close: a FIN once pending is empty */
    bool reset = false;       /* ns3_net_reset: the socket sent an RST (or will, once accepted) */
    bool close_sent = false;
    bool closed_reported = false;
    uint32_t cwnd_bytes = 0;
    uint64_t last_send_ns = 0; /* when the end last sent a segment with data */
    bool sent_data = false;
    std::vector<uint8_t> pending; /* bytes not yet in the socket's buffer, from pending_at */
    size_t pending_at = 0;
};

struct PendingTimer {
    ns3_net_timer_fn fn;
    void *arg;
    EventId event;
};

} // namespace

struct ns3_net {
    ns3_net_config config;
    NodeContainer routers, hosts;
    std::vector<Ipv4Address> host_address;
    std::vector<Ptr<PointToPointNetDevice>> router_side; /* per host: the router's end of its access link */
    std::map<uint32_t, uint32_t> host_by_address; /* Ipv4Address::Get() -> host */
    std::vector<Ptr<Socket>> listeners; /* null while the host does not listen */
    std::vector<uint32_t> listener_generation; /* which listener an accepted socket came from */
    ns3_net_cut_fn cut = nullptr;
    void *cut_user = nullptr;
    bool path_models = false; /* PathModels on the routers' ends (add_path_models) */
    /* Copies of what config's pointers point to that the run still reads
     * (the caller's may be gone after create); config points here. */
    std::vector<uint32_t> host_region;
    std::vector<double> path_loss;
    std::vector<uint64_t> jitter_ns;
    std::vector<Ptr<UniformRandomVariable>> jitter_draw; /* per sending host, with jitter only */
    std::vector<ConnEnd> ends;
    std::map<std::pair<uint32_t, uint16_t>, uint32_t> dialing; /* (dialer host, its port) -> conn */
    std::unordered_map<uint64_t, PendingTimer> timers;
    uint64_t next_timer = 0;
    ns3_net_stats stats = {};
    std::vector<uint8_t> scratch; /* what Recv returns, copied out for deliver */
};

namespace {

ns3_net *g_live; /* ns-3's simulator is global: one network at a time */

bool fail(const char *what) {
    fprintf(stderr, "ns3_net: %s\n", what);
    return false;
}

uint64_t bps_or_unlimited(uint64_t bps) { return bps ? bps : NS3_NET_UNLIMITED_BPS; }

uint64_t latency(const ns3_net_config *c, uint32_t from, uint32_t to) {
    return c->latency_ns[from * c->region_count + to];
}

uint32_t region_of(const ns3_net_config *c, uint32_t host) { return c->host_region ? c->host_region[host] : 0; }

/* ---- the topology ---- */

bool check_config(const ns3_net_config *c) {
    if (c->host_count < 1 || c->host_count > NS3_NET_HOSTS_MAX) return fail("host_count out of range");
    if (c->region_count < 1 || c->region_count > NS3_NET_REGIONS_MAX) return fail("region_count out of range");
    if (!c->latency_ns) return fail("no latency matrix");
    if (c->conn_max < 1 || c->conn_max > NS3_NET_CONNS_MAX) return fail("conn_max out of range");
    if (!(c->loss >= 0 && c->loss < 1)) return fail("loss must be in [0, 1)");
    for (uint32_t i = 0; c->path_loss && i < c->region_count * c->region_count; i++)
        if (!(c->path_loss[i] >= 0 && c->path_loss[i] < 1)) return fail("path loss must be in [0, 1)");
    if (!c->deliver) return fail("no deliver callback");
    for (uint32_t h = 0; h < c->host_count; h++)
        if (region_of(c, h) >= c->region_count) return fail("a host's region is out of range");
    for (uint32_t r = 0; r < c->region_count; r++)
        for (uint32_t s = r + 1; s < c->region_count; s++)
            if (latency(c, r, s) + latency(c, s, r) < latency(c, r, r) + latency(c, s, s))
                return fail("a pair of regions is closer than their insides (the core link would be negative)");
    return true;
}

/* Each device sends from a drop-tail FIFO of queue_packets: the queue disc
 * that Ipv4AddressHelper::Assign installs (FqCoDel) is taken off again, so
 * that the queue a scenario states is the only one. A packet that finds it
 * full is dropped by the traffic-control layer, which sees the device's
 * queue stopped (its TcDrop trace), or by the queue itself. */
void count_queue_drop(ns3_net *n, Ptr<const Packet>) { n->stats.packets_dropped_queue++; }
void count_loss_drop(ns3_net *n, Ptr<const Packet>) { n->stats.packets_dropped_loss++; }

void count_queue_disc_drop(ns3_net *n, Ptr<const QueueDiscItem>) { n->stats.packets_dropped_queue++; }

/* host_fair_queue: a flow's packets wait in their own queue and the flows
 * take turns a quantum (one MTU) at a time, as the built-in uplink's round
 * robin per connection; the device queue holds one packet being sent. */
bool add_fair_queue(ns3_net *n, Ptr<PointToPointNetDevice> device) {
    TrafficControlHelper tc;
    tc.SetRootQueueDisc("ns3::FqCoDelQueueDisc", "MaxSize",
                        QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, NS3_NET_FQ_PACKETS)), "Target",
                        StringValue("1000s"), "Interval", StringValue("1000s"));
    QueueDiscContainer discs = tc.Install(device);
    if (discs.GetN() != 1) return fail("cannot install FqCoDel");
    if (!discs.Get(0)->TraceConnectWithoutContext("Drop", MakeBoundCallback(&count_queue_disc_drop, n)))
        return fail("no Drop trace on the queue disc");
    device->GetQueue()->SetMaxSize(QueueSize(QueueSizeUnit::PACKETS, 1));
    return true;
}

bool link(ns3_net *n, PointToPointHelper &p2p, Ipv4AddressHelper &addresses, Ptr<Node> a, Ptr<Node> b,
          uint64_t delay_ns, uint64_t a_bps, uint64_t b_bps, Ptr<PointToPointNetDevice> *a_device,
          Ipv4Address *a_address, Ptr<PointToPointNetDevice> *b_device = nullptr) {
    p2p.SetChannelAttribute("Delay", TimeValue(NanoSeconds(delay_ns)));
    NetDeviceContainer devices = p2p.Install(a, b);
    if (devices.GetN() != 2) return fail("PointToPointHelper::Install made no link");
    uint64_t rates[2] = {a_bps, b_bps};
    for (uint32_t i = 0; i < 2; i++) {
        Ptr<PointToPointNetDevice> device = DynamicCast<PointToPointNetDevice>(devices.Get(i));
        if (!device) return fail("not a point-to-point device");
        device->SetDataRate(DataRate(rates[i]));
        if (!device->GetQueue()->TraceConnectWithoutContext("Drop", MakeBoundCallback(&count_queue_drop, n)))
            return fail("no Drop trace on a device queue");
    }
    Ipv4InterfaceContainer interfaces = addresses.Assign(devices);
    addresses.NewNetwork();
    TrafficControlHelper().Uninstall(devices);
    if (a_device) *a_device = DynamicCast<PointToPointNetDevice>(devices.Get(0));
    if (a_address) *a_address = interfaces.GetAddress(0);
    if (b_device) *b_device = DynamicCast<PointToPointNetDevice>(devices.Get(1));
    return true;
}

/* Loss on what a host receives: one draw per packet, from a stream of its own. */
bool add_loss(ns3_net *n, uint32_t host, Ptr<PointToPointNetDevice> device) {
    Ptr<RateErrorModel> model = CreateObject<RateErrorModel>();
    model->SetUnit(RateErrorModel::ERROR_UNIT_PACKET);
    model->SetRate(n->config.loss);
    model->AssignStreams(kStreamBase + host);
    device->SetReceiveErrorModel(model);
    if (!device->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count_loss_drop, n)))
        return fail("no PhyRxDrop trace");
    return true;
}

/* config.jitter_ns on the router's side of a host's access link (every
 * packet to the host crosses it once): a packet with data from host f
 * waits a draw uniform in [0, jitter[region f][region of the host]] on top
 * of the link's delay, from f's stream, as the built-in model draws per
 * segment; and no packet of a flow (one direction of a connection: source
 * address and port, destination port) arrives before the one the flow
 * sent before it, so TCP never sees jitter reorder its segments (the
 * built-in receiver holds bytes in order the same way). Packets of other
 * flows are not held behind it. */
struct JitterChannel : PointToPointChannel {
    ns3_net *net = nullptr;
    uint32_t host = 0;                      /* the receiving host: device 0's */
    std::map<uint64_t, int64_t> last_ns;    /* per flow: when its last packet arrives */
    bool TransmitStart(Ptr<const Packet> p, Ptr<PointToPointNetDevice> src, Time txTime) override {
        uint32_t wire = src == GetPointToPointDevice(0) ? 0 : 1;
        Ptr<PointToPointNetDevice> dst = GetPointToPointDevice(1 - wire);
        int64_t at = (Simulator::Now() + txTime + GetDelay()).GetNanoSeconds();
        if (wire == 1) at = jittered(p, at);
        Simulator::ScheduleWithContext(dst->GetNode()->GetId(), NanoSeconds(at) - Simulator::Now(),
                                       &PointToPointNetDevice::Receive, dst, p->Copy());
        return true;
    }
    int64_t jittered(Ptr<const Packet> p, int64_t at) {
        Ptr<Packet> copy = p->Copy();
        PppHeader ppp;
        Ipv4Header ip;
        TcpHeader tcp;
        if (copy->RemoveHeader(ppp) == 0 || copy->RemoveHeader(ip) == 0 || ip.GetProtocol() != 6) return at;
        uint32_t ip_payload = ip.GetPayloadSize();
        if (copy->RemoveHeader(tcp) == 0) return at;
        auto from = net->host_by_address.find(ip.GetSource().Get());
        if (from == net->host_by_address.end()) return at;
        const ns3_net_config *c = &net->config;
        uint64_t most = c->jitter_ns[region_of(c, from->second) * c->region_count + region_of(c, host)];
        if (most > 0 && ip_payload > tcp.GetSerializedSize()) {
            uint64_t draw = (uint64_t)net->jitter_draw[from->second]->GetValue(0, (double)most + 1);
            at += (int64_t)(draw < most ? draw : most);
        }
        uint64_t flow = (uint64_t)ip.GetSource().Get() << 32 | (uint64_t)tcp.GetSourcePort() << 16 |
                        tcp.GetDestinationPort();
        int64_t &last = last_ns[flow];
        if (at < last) at = last;
        last = at;
        return at;
    }
};

bool has_jitter(const ns3_net_config *c) {
    for (uint32_t i = 0; c->jitter_ns && i < c->region_count * c->region_count; i++)
        if (c->jitter_ns[i] > 0) return true;
    return false;
}

/* Moves the access link of host h (device 0 the host's, device 1 the
 * router's) onto a JitterChannel with the same delay. */
void add_jitter(ns3_net *n, uint32_t h, Ptr<PointToPointNetDevice> host_side, Ptr<PointToPointNetDevice> router_side,
                uint64_t delay_ns) {
    Ptr<JitterChannel> channel = CreateObject<JitterChannel>();
    channel->net = n;
    channel->host = h;
    channel->SetAttribute("Delay", TimeValue(NanoSeconds(delay_ns)));
    host_side->Attach(channel);
    router_side->Attach(channel);
}

void make_jitter_draws(ns3_net *n) {
    n->jitter_draw.resize(n->config.host_count);
    for (uint32_t h = 0; h < n->config.host_count; h++) {
        n->jitter_draw[h] = CreateObject<UniformRandomVariable>();
        n->jitter_draw[h]->SetStream(kStreamBase + kJitterStreams + h);
    }
}

/* Access links carry half their region's inner latency each way; a core
 * link the rest of the mean of the pair's two ways (ns3_net.h). */
bool build_links(ns3_net *n) {
    const ns3_net_config *c = &n->config;
    PointToPointHelper p2p;
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
                 QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, c->queue_packets)));
    Ipv4AddressHelper addresses;
    addresses.SetBase("10.0.0.0", "255.255.255.252");
    n->host_address.resize(c->host_count);
    n->router_side.resize(c->host_count);
    if (has_jitter(c)) make_jitter_draws(n);
    for (uint32_t h = 0; h < c->host_count; h++) {
        uint32_t r = region_of(c, h);
        uint64_t up = bps_or_unlimited(c->host_up_bps ? c->host_up_bps[h] : c->up_bps);
        uint64_t down = bps_or_unlimited(c->host_down_bps ? c->host_down_bps[h] : c->down_bps);
        Ptr<PointToPointNetDevice> device;
        if (!link(n, p2p, addresses, n->hosts.Get(h), n->routers.Get(r), latency(c, r, r) / 2, up, down, &device,
                  &n->host_address[h], &n->router_side[h]))
            return false;
        n->host_by_address[n->host_address[h].Get()] = h;
        if (has_jitter(c)) add_jitter(n, h, device, n->router_side[h], latency(c, r, r) / 2);
        if (c->loss > 0 && !add_loss(n, h, device)) return false;
        if (c->host_fair_queue && !add_fair_queue(n, device)) return false;
    }
    uint64_t core = bps_or_unlimited(c->core_bps);
    for (uint32_t r = 0; r < c->region_count; r++)
        for (uint32_t s = r + 1; s < c->region_count; s++) {
            uint64_t mean = (latency(c, r, s) + latency(c, s, r)) / 2;
            uint64_t delay = mean - latency(c, r, r) / 2 - latency(c, s, s) / 2;
            if (!link(n, p2p, addresses, n->routers.Get(r), n->routers.Get(s), delay, core, core, nullptr, nullptr))
                return false;
        }
    return true;
}

/* The congestion control of every socket a host makes. */
bool set_congestion(ns3_net *n) {
    TypeId type = n->config.congestion == NS3_NET_LINUX_RENO ? TcpLinuxReno::GetTypeId() : TcpNewReno::GetTypeId();
    for (uint32_t h = 0; h < n->config.host_count; h++) {
        Ptr<TcpL4Protocol> tcp = n->hosts.Get(h)->GetObject<TcpL4Protocol>();
        if (!tcp || !tcp->SetAttributeFailSafe("SocketType", TypeIdValue(type)))
            return fail("cannot set TcpL4Protocol::SocketType");
    }
    return true;
}

/* Every random variable ns-3 draws from gets a fixed stream number, so that
 * a second network in the same process draws the same as the first (ns-3
 * otherwise numbers streams from a process-wide counter). */
void assign_streams(ns3_net *n) {
    InternetStackHelper stack;
    stack.AssignStreams(n->routers, kStreamBase + NS3_NET_HOSTS_MAX);
    stack.AssignStreams(n->hosts, kStreamBase + 2 * NS3_NET_HOSTS_MAX);
}

bool count_drops_of(ns3_net *n, NodeContainer nodes) {
    for (uint32_t i = 0; i < nodes.GetN(); i++) {
        Ptr<TrafficControlLayer> tc = nodes.Get(i)->GetObject<TrafficControlLayer>();
        if (!tc || !tc->TraceConnectWithoutContext("TcDrop", MakeBoundCallback(&count_queue_drop, n)))
            return fail("no TcDrop trace on a traffic-control layer");
    }
    return true;
}

/* On the router's end of each host's access link, what the host sent meets
 * its path (PathModel): partitions drop a packet when config's cut says its
 * two hosts cannot reach each other now (data, ACKs, SYNs, FINs and RSTs
 * alike; TCP retransmits as over a real cut; not counted as loss), and a
 * path's loss (config.path_loss, a graph's) drops it with the chance of its
 * two hosts' regions, in that direction, from a stream of the sender's. */
struct PathModel : ErrorModel {
    ns3_net *net = nullptr;
    uint32_t from = 0;
    Ptr<UniformRandomVariable> draw; /* with path_loss only */
    bool DoCorrupt(Ptr<Packet> p) override {
        Ptr<Packet> copy = p->Copy();
        PppHeader ppp;
        Ipv4Header ip;
        if (copy->RemoveHeader(ppp) == 0 || copy->PeekHeader(ip) == 0) return false;
        auto to = net->host_by_address.find(ip.GetDestination().Get());
        if (to == net->host_by_address.end()) return false;
        if (net->cut && net->cut(net->cut_user, from, to->second, (uint64_t)Simulator::Now().GetNanoSeconds()))
            return true;
        return draw && lost_on_path(to->second);
    }
    bool lost_on_path(uint32_t to) {
        const ns3_net_config *c = &net->config;
        double loss = c->path_loss[region_of(c, from) * c->region_count + region_of(c, to)];
        if (loss <= 0 || draw->GetValue() >= loss) return false;
        net->stats.packets_dropped_loss++;
        return true;
    }
    void DoReset() override {}
};

bool has_path_loss(const ns3_net_config *c) {
    for (uint32_t i = 0; c->path_loss && i < c->region_count * c->region_count; i++)
        if (c->path_loss[i] > 0) return true;
    return false;
}

/* A PathModel per host, once: at create with path loss, else at the first cut. */
void add_path_models(ns3_net *n) {
    if (n->path_models) return;
    n->path_models = true;
    bool lossy = has_path_loss(&n->config);
    for (uint32_t h = 0; h < n->config.host_count; h++) {
        Ptr<PathModel> model = CreateObject<PathModel>();
        model->net = n;
        model->from = h;
        if (lossy) {
            model->draw = CreateObject<UniformRandomVariable>();
            model->draw->SetStream(kStreamBase + kPathLossStreams + h);
        }
        n->router_side[h]->SetReceiveErrorModel(model);
    }
}

void keep_arrays(ns3_net *n) {
    ns3_net_config *c = &n->config;
    if (c->host_region) {
        n->host_region.assign(c->host_region, c->host_region + c->host_count);
        c->host_region = n->host_region.data();
    }
    if (c->path_loss) {
        n->path_loss.assign(c->path_loss, c->path_loss + (size_t)c->region_count * c->region_count);
        c->path_loss = n->path_loss.data();
    }
    if (c->jitter_ns) {
        n->jitter_ns.assign(c->jitter_ns, c->jitter_ns + (size_t)c->region_count * c->region_count);
        c->jitter_ns = n->jitter_ns.data();
    }
}

bool build(ns3_net *n) {
    n->routers.Create(n->config.region_count);
    n->hosts.Create(n->config.host_count);
    InternetStackHelper stack;
    stack.Install(n->routers);
    stack.Install(n->hosts);
    if (!build_links(n) || !set_congestion(n)) return false;
    if (!count_drops_of(n, n->routers) || !count_drops_of(n, n->hosts)) return false;
    assign_streams(n);
    if (has_path_loss(&n->config)) add_path_models(n);
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();
    return true;
}

/* ---- the connections ---- */

void on_accept(ns3_net *n, uint32_t host, uint32_t generation, Ptr<Socket> socket, const Address &from);

/* The attributes of every socket, before it connects or listens (an
 * accepted socket is a copy of its listener, attributes included):
 *  - SegmentSize 1448: a 1500-byte MTU less IPv4, TCP and timestamps, as tcp.h;
 *  - InitialCwnd 10: RFC 6928, Linux's TCP_INIT_CWND (ns-3's default is 1);
 *  - SndBufSize, RcvBufSize 6 MiB: tcp.h's receive window (ns-3's 128 KiB
 *    would cap a 100 ms path at 10 Mbit/s);
 *  - TcpNoDelay: Nagle off, as libp2p implementations set it;
 *  - DelAckCount: config.ack_every (ns-3's default 2, as RFC 1122 allows);
 *  - MinRto 200 ms: Linux's TCP_RTO_MIN (ns-3's default is 1 s, RFC 6298);
 *  - ConnTimeout 1 s, ConnCount 7: a SYN at 0, 1, 3, 7, 15, 31, 63 s, as
 *    Linux (initial RTO 1 s, tcp_syn_retries 6; ns-3's are 3 s and 6 SYNs);
 *  - DataRetries 15: Linux's tcp_retries2 (ns-3's 6 gives up on a path
 *    cut for about 25 s);
 *  - Timestamp, Sack, WindowScaling on, as Linux (ns-3's defaults too). */
bool set_attribute(Ptr<Socket> socket, const char *name, const AttributeValue &value) {
    if (socket->SetAttributeFailSafe(name, value)) return true;
    fprintf(stderr, "ns3_net: cannot set the socket attribute %s\n", name);
    return false;
}

bool set_socket_attributes(ns3_net *n, Ptr<Socket> socket) {
    uint32_t ack_every = n->config.ack_every ? n->config.ack_every : 2;
    return set_attribute(socket, "SegmentSize", UintegerValue(NS3_NET_MSS_BYTES)) &&
           set_attribute(socket, "InitialCwnd", UintegerValue(NS3_NET_INITIAL_WINDOW)) &&
           set_attribute(socket, "SndBufSize", UintegerValue(NS3_NET_BUFFER_BYTES)) &&
           set_attribute(socket, "RcvBufSize", UintegerValue(NS3_NET_BUFFER_BYTES)) &&
           set_attribute(socket, "TcpNoDelay", BooleanValue(true)) &&
           set_attribute(socket, "DelAckCount", UintegerValue(ack_every)) &&
           set_attribute(socket, "MinRto", TimeValue(NanoSeconds(NS3_NET_MIN_RTO_NS))) &&
           set_attribute(socket, "ConnTimeout", TimeValue(NanoSeconds(NS3_NET_SYN_RTO_NS))) &&
           set_attribute(socket, "ConnCount", UintegerValue(NS3_NET_SYN_SENDS)) &&
           set_attribute(socket, "DataRetries", UintegerValue(NS3_NET_DATA_RETRIES)) &&
           set_attribute(socket, "Timestamp", BooleanValue(true)) &&
           set_attribute(socket, "Sack", BooleanValue(true)) &&
           set_attribute(socket, "WindowScaling", BooleanValue(true));
}

/* TcpSocketBase keeps the window (m_tcb) and the RTO protected and ns-3
 * 3.37 has no restart after idle to use them: a pointer to member named
 * through a subclass reads them on any TcpSocketBase. */
struct TcpPeek : TcpSocketBase {
    static Ptr<TcpSocketState> tcb(TcpSocketBase *s) { return s->*(&TcpPeek::m_tcb); }
    static Time rto(TcpSocketBase *s) { return (s->*(&TcpPeek::m_rto)).Get(); }
    static TcpStates_t state(TcpSocketBase *s) { return (s->*(&TcpPeek::m_state)).Get(); }
    static void send_rst(TcpSocketBase *s) { (s->*(&TcpPeek::SendRST))(); }
    static void set_peer_window(TcpSocketBase *s, uint32_t bytes) { s->*(&TcpPeek::m_rWnd) = bytes; }
};

/* A listening socket on the host's port: a SYN that finds none gets an RST
 * from ns-3's TcpL4Protocol (no endpoint), as from a host whose process is
 * down. An accepted socket remembers its listener's generation: one forked
 * before the listener closed is reset when its handshake completes (the
 * process that would accept it is gone). */
bool listen_on(ns3_net *n, uint32_t h) {
    Ptr<Socket> socket = Socket::CreateSocket(n->hosts.Get(h), TcpSocketFactory::GetTypeId());
    if (!socket || !set_socket_attributes(n, socket)) return fail("cannot make a listening socket");
    if (socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), kListenPort)) != 0 || socket->Listen() != 0)
        return fail("cannot listen");
    /* ns-3 3.37 arms its zero-window persist timer on any segment a socket
     * gets while its peer's window is 0, before looking at its state (fixed
     * later upstream: only when connected), and a listener's is 0 for good:
     * a segment other than a SYN reaching it (an RST or ACK of a connection
     * reset while its handshake was under way, with churn) armed the timer,
     * whose probe then read an empty send buffer and crashed. A listener
     * sends nothing; a window that is not 0 keeps the timer off, and a
     * forked socket sets its own from the handshake. */
    TcpSocketBase *base = dynamic_cast<TcpSocketBase *>(PeekPointer(socket));
    if (!base) return fail("not a TcpSocketBase");
    TcpPeek::set_peer_window(base, NS3_NET_BUFFER_BYTES);
    n->listener_generation[h]++;
    socket->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address &>(),
                              MakeBoundCallback(&on_accept, n, h, n->listener_generation[h]));
    n->listeners[h] = socket;
    return true;
}

bool listen_on_every_host(ns3_net *n) {
    n->listeners.resize(n->config.host_count);
    n->listener_generation.assign(n->config.host_count, 0);
    for (uint32_t h = 0; h < n->config.host_count; h++)
        if (!listen_on(n, h)) return false;
    return true;
}

void report_closed(ns3_net *n, uint32_t end, bool error) {
    ConnEnd &e = n->ends[end];
    if (e.closed_reported) return;
    e.closed_reported = true;
    if (n->config.closed) n->config.closed(n->config.user, end, ns3_net_now_ns(n), error);
}


/* An abort, as a process that dies: an RST now (ns-3's SendRST: the
 * segment, then the endpoint freed and every timer of the socket
 * cancelled), so what the end had not sent yet never goes; segments
 * already in the host's queues still leave ahead of the RST. The peer's
 * socket closes when the RST reaches it (ns-3 notifies a normal close).
 * ns-3 has no public abort: Close() sends an RST only when unread bytes
 * wait in the receive buffer, else it sends a FIN after the bytes. */
void abort_socket(Ptr<Socket> socket) {
    TcpSocketBase *base = dynamic_cast<TcpSocketBase *>(PeekPointer(socket));
    if (!base) return;
    socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    socket->SetSendCallback(MakeNullCallback<void, Ptr<Socket>, uint32_t>());
    socket->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(), MakeNullCallback<void, Ptr<Socket>>());
    socket->SetConnectCallback(MakeNullCallback<void, Ptr<Socket>>(), MakeNullCallback<void, Ptr<Socket>>());
    TcpSocket::TcpStates_t state = TcpPeek::state(base);
    if (state == TcpSocket::CLOSED || state == TcpSocket::LISTEN || state == TcpSocket::TIME_WAIT) return;
    TcpPeek::send_rst(base);
}

void on_tx(ns3_net *n, uint32_t end, Ptr<const Packet> packet, const TcpHeader &, Ptr<const TcpSocketBase>) {
    if (packet->GetSize() == 0) return;
    n->ends[end].last_send_ns = (uint64_t)Simulator::Now().GetNanoSeconds();
    n->ends[end].sent_data = true;
}

/* config.idle_restart: Linux's tcp_cwnd_restart before the end sends again
 * (ns3_net.h), with ssthresh raised to 3/4 of the window (tcp_current_ssthresh). */
void restart_after_idle(ns3_net *n, uint32_t end) {
    ConnEnd &e = n->ends[end];
    TcpSocketBase *socket = dynamic_cast<TcpSocketBase *>(PeekPointer(e.socket));
    if (!socket || !e.sent_data || socket->GetTxBuffer()->Size() > 0) return;
    uint64_t rto = (uint64_t)TcpPeek::rto(socket).GetNanoSeconds();
    uint64_t idle = (uint64_t)Simulator::Now().GetNanoSeconds() - e.last_send_ns;
    if (idle <= rto) return;
    Ptr<TcpSocketState> tcb = TcpPeek::tcb(socket);
    uint32_t mss = tcb->m_segmentSize, cwnd = tcb->m_cWnd.Get() / mss;
    uint32_t restart = cwnd < NS3_NET_INITIAL_WINDOW ? cwnd : NS3_NET_INITIAL_WINDOW;
    uint32_t three_quarters = ((cwnd >> 1) + (cwnd >> 2)) * mss;
    if (tcb->m_ssThresh.Get() < three_quarters) tcb->m_ssThresh = three_quarters;
    while (idle > rto && cwnd > restart) {
        idle -= rto;
        cwnd >>= 1;
    }
    if (cwnd < restart) cwnd = restart;
    tcb->m_cWnd = cwnd * mss;
    tcb->m_cWndInfl = cwnd * mss;
}

void on_cwnd(ns3_net *n, uint32_t end, uint32_t, uint32_t bytes) { n->ends[end].cwnd_bytes = bytes; }

void on_rx(ns3_net *n, uint32_t end, Ptr<const Packet>, const TcpHeader &header, Ptr<const TcpSocketBase>);

bool trace_socket(ns3_net *n, uint32_t end, Ptr<Socket> socket) {
    return socket->TraceConnectWithoutContext("CongestionWindow", MakeBoundCallback(&on_cwnd, n, end)) &&
           socket->TraceConnectWithoutContext("Tx", MakeBoundCallback(&on_tx, n, end)) &&
           socket->TraceConnectWithoutContext("Rx", MakeBoundCallback(&on_rx, n, end));
}

bool acknowledged(const ConnEnd &e) {
    TcpSocketBase *socket = dynamic_cast<TcpSocketBase *>(PeekPointer(e.socket));
    return !socket || socket->GetTxBuffer()->Size() == 0;
}

/* Moves pending bytes into the socket's send buffer while it has room;
 * once they are all there, a close asked for goes out. */
void push(ns3_net *n, uint32_t end) {
    ConnEnd &e = n->ends[end];
    if (!e.established) return;
    size_t left = e.pending.size() - e.pending_at;
    if (left > 0 && n->config.idle_restart) restart_after_idle(n, end);
    for (uint32_t round = 0; left > 0 && round < 1024; round++) {
        uint32_t room = e.socket->GetTxAvailable();
        if (room == 0) break;
        uint32_t take = left < room ? (uint32_t)left : room;
        int sent = e.socket->Send(Create<Packet>(e.pending.data() + e.pending_at, take));
        if (sent <= 0) break; /* the send callback tries again */
        e.pending_at += (size_t)sent;
        left -= (size_t)sent;
    }
    if (left == 0) {
        e.pending.clear();
        e.pending_at = 0;
        if (e.close_asked && !e.close_sent && acknowledged(e)) {
            /* A FIN once every byte is acknowledged, and the end still
             * receives: ShutdownSend, not Close, which sends an RST instead
             * when the receive buffer holds bytes (it does whenever segments
             * arrived out of order). Why wait for the ACKs: ns-3 3.37's
             * LAST_ACK and CLOSING take any ACK with the expected sequence
             * number for the ACK of their FIN (ProcessLastAck,
             * ProcessClosing), so a duplicate ACK asking for a lost segment
             * closed the socket and the segment was never sent again: the
             * peer's last bytes were lost (docs/fidelity.md). on_rx tries
             * again after each segment that arrives. */
            e.close_sent = true;
            if (e.socket->ShutdownSend() != 0) report_closed(n, end, true);
        }
    }
}

void on_send_room(ns3_net *n, uint32_t end, Ptr<Socket>, uint32_t) { push(n, end); }

void on_recv(ns3_net *n, uint32_t end, Ptr<Socket> socket) {
    for (uint32_t round = 0; round < 1024; round++) {
        Ptr<Packet> packet = socket->Recv();
        if (!packet || packet->GetSize() == 0) return;
        n->scratch.resize(packet->GetSize());
        packet->CopyData(n->scratch.data(), packet->GetSize());
        n->config.deliver(n->config.user, end, ns3_net_now_ns(n), n->scratch.data(), n->scratch.size());
    }
}

void on_normal_close(ns3_net *n, uint32_t end, Ptr<Socket>) { report_closed(n, end, false); }
void on_error_close(ns3_net *n, uint32_t end, Ptr<Socket>) { report_closed(n, end, true); }

/* The end's socket is connected: callbacks on, the waiting bytes out. */
void established(ns3_net *n, uint32_t end, Ptr<Socket> socket) {
    ConnEnd &e = n->ends[end];
    e.socket = socket;
    e.established = true;
    socket->SetRecvCallback(MakeBoundCallback(&on_recv, n, end));
    socket->SetSendCallback(MakeBoundCallback(&on_send_room, n, end));
    socket->SetCloseCallbacks(MakeBoundCallback(&on_normal_close, n, end), MakeBoundCallback(&on_error_close, n, end));
    if (n->config.established) n->config.established(n->config.user, end, ns3_net_now_ns(n));
    push(n, end);
    on_recv(n, end, socket); /* bytes that came with the handshake's last ACK */
}

void on_connected(ns3_net *n, uint32_t end, Ptr<Socket> socket) { established(n, end, socket); }
void on_connect_failed(ns3_net *n, uint32_t end, Ptr<Socket>) { report_closed(n, end, true); }

/* ns-3 3.37 ignores an RST with ACK in SYN_SENT (ProcessSynSent takes any
 * ACK without SYN for a stray one), which is what TcpL4Protocol answers a
 * SYN with when nothing listens: the dialer would retry its SYN for two
 * minutes. Linux reports "connection refused" at once, so the shim watches
 * the dialer's segments and does: the dial fails when the RST arrives,
 * and the socket closes quietly just after (not inside ns-3's receive). */
void refuse(ns3_net *n, uint32_t end) {
    ConnEnd &e = n->ends[end];
    if (e.reset || e.established || !e.socket) return;
    e.reset = true;
    e.pending.clear();
    e.pending_at = 0;
    Ptr<Socket> socket = e.socket;
    socket->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(), MakeNullCallback<void, Ptr<Socket>>());
    socket->SetConnectCallback(MakeNullCallback<void, Ptr<Socket>>(), MakeNullCallback<void, Ptr<Socket>>());
    Simulator::ScheduleNow(&Socket::Close, socket);
    report_closed(n, end, true);
}

/* Every segment the end receives, before ns-3 processes it: an RST to a
 * dial, or an ACK a close waits for (push, once ns-3 has taken it in). */
void on_rx(ns3_net *n, uint32_t end, Ptr<const Packet>, const TcpHeader &header, Ptr<const TcpSocketBase>) {
    ConnEnd &e = n->ends[end];
    if ((header.GetFlags() & TcpHeader::RST) && !e.established && end % 2 == 0) return refuse(n, end);
    if (e.close_asked && !e.close_sent && !e.reset) Simulator::ScheduleNow(&push, n, end);
}

void on_accept(ns3_net *n, uint32_t host, uint32_t generation, Ptr<Socket> socket, const Address &from) {
    InetSocketAddress peer = InetSocketAddress::ConvertFrom(from);
    auto dialer = n->host_by_address.find(peer.GetIpv4().Get());
    auto conn = dialer == n->host_by_address.end() ? n->dialing.end()
                                                    : n->dialing.find({dialer->second, peer.GetPort()});
    if (conn == n->dialing.end()) { /* no ns3_net_open asked for it: cannot happen */
        fprintf(stderr, "ns3_net: host %u accepted a connection nobody opened\n", host);
        socket->Close();
        return;
    }
    uint32_t end = 2 * conn->second + 1;
    n->dialing.erase(conn);
    assert(n->ends[end].host == host);
    if (n->ends[end].reset || generation != n->listener_generation[host] || !n->listeners[host]) {
        n->ends[end].socket = socket; /* reset already, or its listener closed since the SYN: an RST */
        n->ends[end].reset = true;
        abort_socket(socket);
        return;
    }
    if (!trace_socket(n, end, socket)) fprintf(stderr, "ns3_net: no CongestionWindow or Tx trace\n");
    established(n, end, socket);
}

/* ---- the clock ---- */

void fire(ns3_net *n, uint64_t id) {
    auto it = n->timers.find(id);
    assert(it != n->timers.end());
    PendingTimer timer = it->second;
    n->timers.erase(it);
    timer.fn(timer.arg);
}

} // namespace

extern "C" {

ns3_net *ns3_net_create(const ns3_net_config *config) {
    if (g_live) {
        fail("another network exists (ns-3's simulator is global)");
        return nullptr;
    }
    if (!check_config(config)) return nullptr;
    RngSeedManager::SetSeed(1); /* the run number selects independent substreams: ns-3's way to vary a seed */
    RngSeedManager::SetRun(config->seed);
    ns3_net *n = new ns3_net;
    n->config = *config;
    keep_arrays(n);
    if (!n->config.queue_packets) n->config.queue_packets = NS3_NET_QUEUE_PACKETS;
    n->ends.resize(2 * (size_t)config->conn_max);
    g_live = n;
    if (!build(n) || !listen_on_every_host(n)) {
        ns3_net_destroy(n);
        return nullptr;
    }
    /* Now rather than at the first Run: a connection opened before it (the
     * tests do) would otherwise meet a queue disc the traffic-control layer
     * has not set up yet. */
    for (NodeContainer::Iterator it = n->hosts.Begin(); it != n->hosts.End(); ++it) (*it)->Initialize();
    for (NodeContainer::Iterator it = n->routers.Begin(); it != n->routers.End(); ++it) (*it)->Initialize();
    return n;
}

void ns3_net_destroy(ns3_net *n) {
    if (!n) return;
    assert(g_live == n);
    for (ConnEnd &e : n->ends)
        if (e.socket) e.socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
    n->ends.clear();
    n->listeners.clear();
    Simulator::Destroy();
    g_live = nullptr;
    delete n;
}

bool ns3_net_open(ns3_net *n, uint32_t conn, uint32_t dialer_host, uint32_t listener_host) {
    if (conn >= n->config.conn_max || n->ends[2 * conn].used) return fail("connection id out of range or in use");
    if (dialer_host >= n->config.host_count || listener_host >= n->config.host_count) return fail("no such host");
    Ptr<Socket> socket = Socket::CreateSocket(n->hosts.Get(dialer_host), TcpSocketFactory::GetTypeId());
    if (!socket || !set_socket_attributes(n, socket)) return fail("cannot make a socket");
    Address local;
    if (socket->Bind() != 0 || socket->GetSockName(local) != 0) return fail("cannot bind");
    uint16_t port = InetSocketAddress::ConvertFrom(local).GetPort();
    ConnEnd &dialer = n->ends[2 * conn], &listener = n->ends[2 * conn + 1];
    dialer = ConnEnd();
    listener = ConnEnd();
    dialer.used = listener.used = true;
    dialer.host = dialer_host;
    listener.host = listener_host;
    dialer.socket = socket;
    n->dialing[{dialer_host, port}] = conn;
    socket->SetConnectCallback(MakeBoundCallback(&on_connected, n, 2 * conn),
                               MakeBoundCallback(&on_connect_failed, n, 2 * conn));
    /* An RST to the SYN (nobody listens) closes the socket in SYN_SENT, which
     * ns-3 reports as a close, not as a failed connect. */
    socket->SetCloseCallbacks(MakeBoundCallback(&on_error_close, n, 2 * conn),
                              MakeBoundCallback(&on_error_close, n, 2 * conn));
    if (!trace_socket(n, 2 * conn, socket)) return fail("no CongestionWindow, Tx or Rx trace");
    if (socket->Connect(InetSocketAddress(n->host_address[listener_host], kListenPort)) != 0)
        return fail("cannot connect");
    return true;
}

void ns3_net_write(ns3_net *n, uint32_t end, const uint8_t *bytes, size_t len) {
    assert(end < n->ends.size() && n->ends[end].used);
    ConnEnd &e = n->ends[end];
    if (e.close_asked || e.reset || len == 0) return;
    e.pending.insert(e.pending.end(), bytes, bytes + len);
    push(n, end);
}

void ns3_net_close(ns3_net *n, uint32_t end) {
    assert(end < n->ends.size() && n->ends[end].used);
    if (n->ends[end].reset) return;
    n->ends[end].close_asked = true;
    push(n, end);
}

void ns3_net_reset(ns3_net *n, uint32_t end) {
    assert(end < n->ends.size() && n->ends[end].used);
    ConnEnd &e = n->ends[end];
    if (e.reset) return;
    e.reset = true;
    e.close_asked = e.close_sent = true;
    e.closed_reported = true; /* the end that resets hears nothing */
    e.pending.clear();
    e.pending_at = 0;
    if (e.socket) abort_socket(e.socket); /* a listener's end before its accept: on_accept resets it */
}

bool ns3_net_listen(ns3_net *n, uint32_t host, bool on) {
    if (host >= n->config.host_count) return fail("no such host");
    if (on == (bool)n->listeners[host]) return true;
    if (on) return listen_on(n, host);
    n->listeners[host]->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address &>(),
                                          MakeNullCallback<void, Ptr<Socket>, const Address &>());
    n->listeners[host]->Close();
    n->listeners[host] = nullptr;
    return true;
}

bool ns3_net_set_cut(ns3_net *n, ns3_net_cut_fn cut, void *user) {
    if (n->cut) return cut == n->cut && user == n->cut_user;
    n->cut = cut;
    n->cut_user = user;
    add_path_models(n);
    return true;
}

size_t ns3_net_pending(const ns3_net *n, uint32_t end) {
    assert(end < n->ends.size());
    return n->ends[end].pending.size() - n->ends[end].pending_at;
}

uint64_t ns3_net_schedule(ns3_net *n, uint64_t at_ns, ns3_net_timer_fn fn, void *arg) {
    uint64_t now = ns3_net_now_ns(n);
    assert(at_ns >= now && fn);
    uint64_t id = ++n->next_timer;
    PendingTimer timer = {fn, arg, EventId()};
    timer.event = Simulator::Schedule(NanoSeconds(at_ns - now), &fire, n, id);
    n->timers[id] = timer;
    return id;
}

bool ns3_net_cancel(ns3_net *n, uint64_t timer) {
    auto it = n->timers.find(timer);
    if (it == n->timers.end()) return false;
    Simulator::Cancel(it->second.event);
    n->timers.erase(it);
    return true;
}

uint64_t ns3_net_now_ns(const ns3_net *n) {
    (void)n;
    return (uint64_t)Simulator::Now().GetNanoSeconds();
}

void ns3_net_run(ns3_net *n, uint64_t until_ns) {
    uint64_t now = ns3_net_now_ns(n);
    assert(until_ns >= now);
    Simulator::Stop(NanoSeconds(until_ns - now));
    Simulator::Run();
    assert(ns3_net_now_ns(n) == until_ns);
}

uint32_t ns3_net_cwnd(const ns3_net *n, uint32_t end) {
    assert(end < n->ends.size());
    return n->ends[end].cwnd_bytes / NS3_NET_MSS_BYTES;
}

void ns3_net_get_stats(const ns3_net *n, ns3_net_stats *out) { *out = n->stats; }

} // extern "C"
