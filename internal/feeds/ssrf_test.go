package feeds

import (
	"net/netip"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		// Public unicast.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.215.14", true},
		{"172.32.0.1", true},  // just past 172.16.0.0/12
		{"100.128.0.1", true}, // just past CGNAT
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		// Loopback.
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"::1", false},
		// RFC 1918.
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		// Link-local and the cloud metadata service.
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		// Carrier-grade NAT.
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		// Multicast, broadcast, reserved.
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"255.255.255.255", false},
		{"240.0.0.1", false},
		{"ff02::1", false},
		{"ff05::2", false},
		// Unspecified and "this network".
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		// IPv6 unique local.
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		// IPv4-mapped, -compatible and NAT64 forms of private addresses.
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false},
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", false},    // NAT64 of 127.0.0.1
		// Documentation and benchmarking ranges are never real feeds.
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"2001:db8::1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			if got := isPublicAddr(a); got != tc.want {
				t.Errorf("isPublicAddr(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		if isPublicAddr(netip.Addr{}) {
			t.Error("the zero Addr must not count as public")
		}
	})
}
