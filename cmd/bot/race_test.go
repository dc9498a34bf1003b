//go:build race

package main

// Under `go test -race` the binary under test is built with the race
// detector too, so that the acceptance runs also check the daemon's
// goroutines.
func init() { buildFlags = append(buildFlags, "-race") }
