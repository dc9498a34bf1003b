package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSteps bounds the work spent resolving aliases and merge keys, so that a
// file of nested aliases (or a self-referencing anchor) cannot hang a check.
const maxSteps = 100_000

// decoder walks the YAML node tree, collecting every problem with its line.
type decoder struct {
	file     string
	opts     Options
	getenv   func(string) (string, bool)
	problems Problems
	steps    int
	tooBig   bool

	// topicSet and channelSet are the names defined, for references from
	// subscriptions and deadlines.
	topicSet, channelSet *names

	// unsetLines are the lines that referenced an unset environment
	// variable; checks that depend on such a value stay silent, the unset
	// variable being the one problem to report.
	unsetLines map[int]bool
}

func newDecoder(file string, opts Options) *decoder {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	return &decoder{file: file, opts: opts, getenv: getenv}
}

// problem records a problem at line.
func (d *decoder) problem(line int, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// yamlLineRE extracts the line yaml.v3 puts in its syntax errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// unknownAnchorRE matches yaml.v3's error for an undefined alias, which
// carries no line.
var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '([^']*)' referenced$`)

// parse decodes the single YAML document of data. It returns nil for an
// empty file or a syntax error (reported).
func (d *decoder) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntaxError(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.problem(next.Line, "only one YAML document is allowed")
	case !errors.Is(err, io.EOF):
		d.syntaxError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// syntaxError reports a YAML syntax error at its line. yaml.v3 omits the
// line when the problem is on the first one.
func (d *decoder) syntaxError(data []byte, err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblems[m[2]] {
			line = problemLine(data, line+1, m[2])
		}
		d.problem(line, "YAML syntax: %s%s", m[2], syntaxHint(m[2]))
		return
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		d.problem(lineOf(data, "*"+m[1]), "YAML syntax: unknown anchor %q referenced", m[1])
		return
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	d.problem(1, "YAML syntax: %s%s", msg, syntaxHint(msg))
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For those it reports a 0-based line, the line where the enclosing
// block or flow collection starts (else of the problem); one is added to
// make it the 1-based line an editor shows.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// maxBisectLines bounds the re-parsing problemLine does.
const maxBisectLines = 5000

// problemLine finds the line of a parser error. yaml.v3 names the line where
// the enclosing collection starts, which may be far above the mistake; the
// mistake is on the first line whose prefix of the file fails the same way.
// Config files are small, so parsing each prefix in turn is cheap, and only
// done for a file that is broken anyway.
func problemLine(data []byte, from int, problem string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	for k := max(from, 1); k <= len(lines) && k <= maxBisectLines; k++ {
		var n yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if err != nil && strings.HasSuffix(err.Error(), ": "+problem) {
			return k
		}
	}
	return from
}

// syntaxHint explains the YAML error people meet most in this file: a value
// such as `query: topic: NAME` or a query with a colon, left unquoted.
func syntaxHint(msg string) string {
	if strings.HasPrefix(msg, "mapping values are not allowed") {
		return ` (quote a value that contains ": ", as in query: 'topic: NAME')`
	}
	return ""
}

// lineOf returns the 1-based line of the first occurrence of s in data, or 1.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// step charges one unit of alias-resolution work and reports, once, when the
// budget is spent.
func (d *decoder) step(line int) bool {
	d.steps++
	if d.steps > maxSteps {
		if !d.tooBig {
			d.tooBig = true
			d.problem(line, "YAML too complex: too many aliases or merge keys")
		}
		return false
	}
	return true
}

// resolve follows aliases to the node they stand for.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if !d.step(n.Line) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
		}
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (`key:`, `~`, `null`).
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes a node's shape for type errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

// pair is a key and its value in a mapping, merge keys flattened.
type pair struct {
	key   string
	line  int // the key's line
	value *yaml.Node
}

// pairs flattens a mapping node: its own keys in order, then the keys it
// merges with `<<: *anchor` that it does not set itself. Duplicate keys are
// reported, as a duplicate would silently override.
func (d *decoder) pairs(n *yaml.Node, where string) []pair {
	if !d.step(n.Line) {
		return nil
	}
	var own, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problem(k.Line, "%skeys must be plain names, found %s", prefix(where), kindName(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, where)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.problem(k.Line, "%sduplicate key %q (first at line %d)", prefix(where), k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, pair{key: k.Value, line: k.Line, value: v})
	}
	for _, p := range merged {
		if _, ok := seen[p.key]; !ok {
			seen[p.key] = p.line
			own = append(own, p)
		}
	}
	return own
}

// merge returns the pairs a `<<` value brings: a mapping or a list of them,
// earlier mappings winning as YAML's merge-key rules say.
func (d *decoder) merge(v *yaml.Node, where string) []pair {
	v = d.resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, where)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			item = d.resolve(item)
			if item.Kind != yaml.MappingNode {
				d.problem(item.Line, "%s<< merges mappings only, found %s", prefix(where), kindName(item))
				continue
			}
			out = append(out, d.pairs(item, where)...)
		}
		return out
	default:
		d.problem(v.Line, "%s<< merges mappings only, found %s", prefix(where), kindName(v))
		return nil
	}
}

// prefix turns a location into a message prefix ("" stays "").
func prefix(where string) string {
	if where == "" {
		return ""
	}
	return where + ": "
}

// join builds the location of a key inside where: "fetch" + "timeout" is
// "fetch.timeout", an entry label such as `feed "bbc"` gives `feed "bbc": url`
// and `deadline "x": mention` gives `deadline "x": mention.within`.
func join(where, key string) string {
	last := where
	if i := strings.LastIndex(where, ": "); i >= 0 {
		last = where[i+2:]
	}
	switch {
	case where == "":
		return key
	case strings.ContainsAny(last, `"#`):
		return where + ": " + key
	default:
		return where + "." + key
	}
}

// handlers maps the known keys of a mapping to what to do with their values.
type handlers map[string]func(v *yaml.Node)

// mapping walks the mapping n, calling the handler of each key whose value is
// not null, and reports unknown keys with a suggestion. At the top level,
// keys starting with "x-" are ignored so that they can hold YAML anchors
// (`x-feed: &feed {...}`), as in Compose files. It returns the line of
// every non-null value (a null value counts as not written), and false when n
// is not a mapping.
func (d *decoder) mapping(n *yaml.Node, where string, hs handlers) (Lines, bool) {
	n = d.resolve(n)
	if isNull(n) {
		return Lines{}, true
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n.Line, "%sexpected a mapping of keys, found %s", prefix(where), kindName(n))
		return Lines{}, false
	}
	known := make([]string, 0, len(hs))
	for k := range hs {
		known = append(known, k)
	}
	lines := Lines{}
	for _, p := range d.pairs(n, where) {
		if where == "" && strings.HasPrefix(p.key, "x-") {
			continue // extension keys at the top, a home for YAML anchors
		}
		h, ok := hs[p.key]
		if !ok {
			d.problem(p.line, "%sunknown key %q%s", prefix(where), p.key, suggest(p.key, known))
			continue
		}
		v := d.resolve(p.value)
		if !isNull(v) {
			lines[p.key] = p.line
			h(v)
		}
	}
	return lines, true
}

// scalar is a single value as written and after ${ENV} expansion.
type scalar struct {
	raw     string // as written in the file
	val     string // expanded
	line    int
	fromEnv bool // raw contains a ${…} reference
}

// quoted is the value as written, quoted, for messages. It is safe to show:
// it is in the file already, whereas an expanded value may be a secret.
func (s scalar) quoted() string { return strconv.Quote(s.raw) }

// detail is ": "+err for messages, or nothing when the value came from the
// environment, because parser errors may quote (part of) the value.
func (s scalar) detail(err error) string {
	if s.fromEnv || err == nil {
		return ""
	}
	return ": " + err.Error()
}

// scalar reads a single value, expanding ${ENV} references. ok is false when
// the node has another shape or a reference could not be expanded (reported).
func (d *decoder) scalar(n *yaml.Node, where string) (scalar, bool) {
	n = d.resolve(n)
	if n.Kind != yaml.ScalarNode {
		d.problem(n.Line, "%sexpected a single value, found %s", prefix(where), kindName(n))
		return scalar{}, false
	}
	val, refs, ok := d.expand(n.Value, n.Line)
	return scalar{raw: n.Value, val: val, line: n.Line, fromEnv: refs}, ok
}

// list reads a list of single values; a single value stands for a list of one.
func (d *decoder) list(n *yaml.Node, where string) ([]scalar, bool) {
	n = d.resolve(n)
	if n.Kind == yaml.ScalarNode {
		s, ok := d.scalar(n, where)
		return []scalar{s}, ok
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(n.Line, "%sexpected a list, found %s", prefix(where), kindName(n))
		return nil, false
	}
	out := make([]scalar, 0, len(n.Content))
	ok := true
	for _, item := range n.Content {
		if s, good := d.scalar(item, where); good {
			out = append(out, s)
		} else {
			ok = false
		}
	}
	return out, ok
}

// envRefRE is the name part of a ${NAME} or ${NAME:-default} reference.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${NAME} with the environment variable NAME and
// ${NAME:-default} with NAME, or default when NAME is unset or empty; $${
// stands for a literal ${. It reports unset variables and malformed
// references, never the values of variables.
func (d *decoder) expand(s string, line int) (out string, refs, ok bool) {
	if !strings.Contains(s, "${") {
		return s, false, true
	}
	var b strings.Builder
	ok = true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			d.problem(line, "unterminated ${ (write $${ for a literal ${)")
			return "", true, false
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		refs = true
		name, def, hasDef := strings.Cut(ref, ":-")
		if !envNameRE.MatchString(name) {
			d.problem(line, "invalid environment variable reference ${%s}", ref)
			ok = false
			continue
		}
		v, set := d.getenv(name)
		switch {
		case hasDef && v == "":
			v = def
		case !set:
			d.problem(line, "environment variable %s is not set", name)
			if d.unsetLines == nil {
				d.unsetLines = map[int]bool{}
			}
			d.unsetLines[line] = true
			ok = false
		}
		b.WriteString(v)
	}
	return b.String(), refs, ok
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to word, or
// "" when none is close enough to be a likely typo.
func suggest(word string, candidates []string) string {
	best, bestDist := "", 0
	lw := strings.ToLower(word)
	for _, c := range candidates {
		dist := editDistance(lw, strings.ToLower(c))
		if best == "" || dist < bestDist || dist == bestDist && c < best {
			best, bestDist = c, dist
		}
	}
	limit := 2
	if len([]rune(word)) <= 4 {
		limit = 1
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Damerau–Levenshtein (optimal string alignment) distance,
// so that a swapped pair of letters counts as one typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
