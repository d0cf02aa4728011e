// Numbers from the registries the network layer reads: pcap link types
// (https://www.tcpdump.org/linktypes.html), EtherTypes (IEEE 802 / IANA) and IP protocol numbers (IANA).

/** BSD loopback: 4-byte address family in the byte order of the host that captured. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as some BSDs numbered it in capture files. */
export const LINKTYPE_RAW_BSD_12 = 12;
export const LINKTYPE_RAW_BSD_14 = 14;
export const LINKTYPE_RAW = 101;
/** OpenBSD loopback: like NULL but the family is in network byte order. */
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const ETHERNET_HEADER_LENGTH = 14;
/** Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol (at 14). */
export const SLL_HEADER_LENGTH = 16;
export const SLL_PROTOCOL_OFFSET = 14;
/** Linux cooked v2: protocol (at 0), reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes. */
export const SLL2_HEADER_LENGTH = 20;
export const LOOPBACK_HEADER_LENGTH = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** 802.1ad service VLAN tag (the outer tag of QinQ). */
export const ETHERTYPE_QINQ = 0x88a8;
/** The pre-standard QinQ outer tag some switches still send. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
export const ETHERTYPE_MPLS_UNICAST = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** GRE protocol type for transparent Ethernet bridging (gretap). */
export const ETHERTYPE_TRANSPARENT_ETHERNET = 0x6558;
/** GRE protocol type of ERSPAN type I and II. */
export const ETHERTYPE_ERSPAN_II = 0x88be;
/** GRE protocol type of ERSPAN type III. */
export const ETHERTYPE_ERSPAN_III = 0x22eb;
/** 802.1Q tag: 2-byte TCI, then the next EtherType. */
export const VLAN_TAG_LENGTH = 4;

/** Address family numbers in NULL/LOOP headers: AF_INET is 2 everywhere, AF_INET6 differs by OS. */
export const AF_INET = 2;
export const AF_INET6_BSD = 24;
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;

export const IP_PROTOCOL_HOP_BY_HOP = 0;
export const IP_PROTOCOL_IPV4 = 4;
export const IP_PROTOCOL_UDP = 17;
export const IP_PROTOCOL_IPV6 = 41;
export const IP_PROTOCOL_ROUTING = 43;
export const IP_PROTOCOL_FRAGMENT = 44;
export const IP_PROTOCOL_GRE = 47;
export const IP_PROTOCOL_AH = 51;
export const IP_PROTOCOL_DESTINATION_OPTIONS = 60;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV6_HEADER_LENGTH = 40;
/** The largest IP datagram: IPv4 Total Length and IPv6 Payload Length are 16-bit fields. */
export const IP_MAX_LENGTH = 65535;
export const UDP_HEADER_LENGTH = 8;
/** RFC 7348 §5: the IANA-assigned VXLAN port. */
export const VXLAN_UDP_PORT = 4789;
export const VXLAN_HEADER_LENGTH = 8;
