package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrPrivateAddress is wrapped by the error of a fetch that would have
// connected to a loopback, private, link-local or otherwise non-public address
// while FetchOptions.AllowPrivate is false.
var ErrPrivateAddress = errors.New("refusing to connect to a non-public address")

// nonPublicPrefixes are the ranges a feed URL must never reach unless private
// addresses are allowed: they are this machine, the local network, the cloud
// metadata service (169.254.169.254 sits in link-local) or not unicast at all.
var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network", includes the unspecified address
	netip.MustParsePrefix("10.0.0.0/8"),      // RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),   // RFC 1918
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"),  // RFC 1918
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking, used by some internal networks
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved and broadcast
	netip.MustParsePrefix("::/96"),           // unspecified, loopback and deprecated IPv4-compatible
	netip.MustParsePrefix("fc00::/7"),        // unique local addresses
	netip.MustParsePrefix("fe80::/10"),       // link-local
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("ff00::/8"),        // multicast
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:10::/28"),    // deprecated ORCHID
	netip.MustParsePrefix("2001:20::/28"),    // ORCHIDv2, not routable
	netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
}

// nat64 is the well-known NAT64 prefix: its last 32 bits are an IPv4 address
// that a NAT64 gateway would connect to, so they are judged as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// isPublicAddr reports whether a feed fetch may connect to addr when private
// addresses are not allowed. IPv4-mapped and NAT64-embedded IPv4 addresses are
// judged by the IPv4 address they carry, so ::ffff:127.0.0.1 is as refused as
// 127.0.0.1.
func isPublicAddr(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() {
		return false
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// guardedDialContext returns a DialContext that refuses non-public addresses.
// The check runs in the dialer's Control hook, that is after name resolution
// and just before connect(2), on the very address being connected to: a DNS
// answer that changes between a check and the connection (rebinding) cannot
// slip through, and every redirect target passes the same hook. The host name
// is captured from the dial address so the error names it; the URL, whose
// query may carry secrets, is never part of the message.
func guardedDialContext(base *net.Dialer, allow func(netip.Addr) bool) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			host = address
		}
		d := *base
		d.Control = func(_, resolved string, _ syscall.RawConn) error {
			ipStr, _, err := net.SplitHostPort(resolved)
			if err != nil {
				ipStr = resolved
			}
			ip, err := netip.ParseAddr(ipStr)
			if err != nil {
				return fmt.Errorf("%w: %s resolved to an unparsable address", ErrPrivateAddress, host)
			}
			if !allow(ip) {
				if host == ip.String() {
					return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
				}
				return fmt.Errorf("%w: %s resolves to %s", ErrPrivateAddress, host, ip)
			}
			return nil
		}
		return d.DialContext(ctx, network, address)
	}
}
