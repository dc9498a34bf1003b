package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration file, pointing at the line
// that has to change.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Msg  string
}

// String formats the problem the way `feedwatch check` prints it:
// FILE:LINE: message.
func (p Problem) String() string {
	if p.Line <= 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Problems is the error Load returns for an invalid configuration. It carries
// every problem found, not only the first, so that one `feedwatch check` run
// shows everything that needs fixing.
type Problems []Problem

// Error joins the problems, one `FILE:LINE: message` per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems by line so that the report reads top to bottom; the
// sort is stable so problems found on one line keep their discovery order.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
}
