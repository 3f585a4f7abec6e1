package config

import (
	_ "embed"
	"encoding"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// defaultTOML is the embedded default configuration; it documents every
// key.
//
//go:embed config.toml
var defaultTOML []byte

// DefaultTOML returns the embedded default configuration file.
func DefaultTOML() []byte { return slices.Clone(defaultTOML) }

// EnvPrefix starts every configuration environment variable.
const EnvPrefix = "IGGY_"

// EnvConfigPath names the configuration file to read.
const EnvConfigPath = "IGGY_CONFIG_PATH"

// DefaultFile is read when EnvConfigPath is unset and it exists.
const DefaultFile = "config.toml"

// nonConfigEnv are IGGY_ variables that are not configuration keys: the
// server's root credentials and config path, the CLI and SDK credentials,
// and variables of Iggy's tooling that leak into a server's environment.
var nonConfigEnv = map[string]bool{
	"IGGY_ROOT_USERNAME": true, "IGGY_ROOT_PASSWORD": true, "IGGY_CONFIG_PATH": true,
	"IGGY_USERNAME": true, "IGGY_PASSWORD": true, "IGGY_TOKEN": true, "IGGY_HOME": true,
	"IGGY_TRANSPORT": true, "IGGY_CI_BUILD": true, "IGGY_SHARD_RUNTIME_CAPACITY": true,
	"IGGY_CONNECTORS_CONFIG_PATH": true, "IGGY_MCP_CONFIG_PATH": true,
	// internal/replica reads the replica plane's key from these.
	"IGGY_CLUSTER_SECRET": true, "IGGY_CLUSTER_SECRET_FILE": true,
}

// nonConfigPrefixes are prefixes of IGGY_ variables that are never
// configuration keys.
var nonConfigPrefixes = []string{"IGGY_TEST_", "IGGY_CONNECTORS_"}

// LoadOptions tells Load where to look. The zero value reads the process
// environment and IGGY_CONFIG_PATH or ./config.toml.
type LoadOptions struct {
	// Path is the file to read. Empty means the file named by
	// IGGY_CONFIG_PATH, else ./config.toml if it exists, else none.
	Path string
	// Environ is the environment as KEY=VALUE; nil means os.Environ().
	Environ []string
	// IgnoreEnv adds IGGY_ variables that are not configuration (for
	// example a tool's own settings) so they are not warned about.
	IgnoreEnv []string
	// Logger, if set, also receives each warning at Warn level.
	Logger *slog.Logger
	// ReplicaID, if set, overrides cluster.replica_id after the file and
	// the environment (shoal-server's --replica-id flag, as in Iggy).
	ReplicaID *int
}

// Report says what Load read and what it ignored.
type Report struct {
	File     string   // the configuration file read, or "" for none
	Warnings []string // unknown keys and variables, in a stable order
}

// Default returns the embedded defaults. It panics if they do not parse,
// which the package tests rule out.
func Default() *Config {
	c := &Config{}
	var warns []string
	if err := decodeInto(c, defaultTOML, "defaults", &warns); err != nil || len(warns) > 0 {
		panic(fmt.Sprintf("config: embedded defaults: %v %v", err, warns))
	}
	return c
}

// Load builds the configuration: embedded defaults, then the file, then
// IGGY_<SECTION>_<KEY> environment variables, then opts.ReplicaID; then it
// validates the result.
// Unknown keys and variables become warnings. An error names the key and
// where its value came from.
func Load(opts LoadOptions) (*Config, Report, error) {
	env := opts.Environ
	if env == nil {
		env = os.Environ()
	}
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	var rep Report
	c := Default()

	path, required := opts.Path, true
	if path == "" {
		path = envMap[EnvConfigPath]
	}
	if path == "" {
		path, required = DefaultFile, false
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		rep.File = path
		if err := decodeInto(c, data, path, &rep.Warnings); err != nil {
			return nil, rep, err
		}
	case !required && errors.Is(err, fs.ErrNotExist):
	default:
		return nil, rep, fmt.Errorf("config: read %s: %w", path, err)
	}

	if err := applyEnv(c, envMap, opts.IgnoreEnv, &rep.Warnings); err != nil {
		return nil, rep, err
	}
	if opts.ReplicaID != nil {
		c.Cluster.ReplicaID = *opts.ReplicaID
	}
	if opts.Logger != nil {
		for _, w := range rep.Warnings {
			opts.Logger.Warn(w)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, rep, err
	}
	return c, rep, nil
}

// decodeInto overlays the keys present in a TOML document onto c.
func decodeInto(c *Config, data []byte, src string, warns *[]string) error {
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("config: %s:%d:%d: %v", src, row, col, de)
		}
		return fmt.Errorf("config: %s: %w", src, err)
	}
	var errs []error
	overlay(reflect.ValueOf(c).Elem(), tree, "", src, warns, &errs)
	return errors.Join(errs...)
}

// overlay sets the fields of struct v named by the keys of m.
func overlay(v reflect.Value, m map[string]any, prefix, src string, warns *[]string, errs *[]error) {
	for _, key := range slices.Sorted(maps.Keys(m)) {
		path := joinKey(prefix, key)
		i, ok := fieldIndex(v.Type(), key)
		if !ok {
			*warns = append(*warns, fmt.Sprintf("config: unknown key %q in %s (ignored)", path, src))
			continue
		}
		fv, raw := v.Field(i), m[key]
		switch {
		case isSection(fv.Type()):
			sub, ok := raw.(map[string]any)
			if !ok {
				*errs = append(*errs, &FieldError{Key: path, Source: src, Err: fmt.Errorf("must be a table, got %T", raw)})
				continue
			}
			overlay(fv, sub, path, src, warns, errs)
		case fv.Kind() == reflect.Slice && isSection(fv.Type().Elem()):
			list, ok := raw.([]any)
			if !ok {
				*errs = append(*errs, &FieldError{Key: path, Source: src, Err: fmt.Errorf("must be an array of tables, got %T", raw)})
				continue
			}
			out := reflect.MakeSlice(fv.Type(), len(list), len(list))
			for j, el := range list {
				sub, ok := el.(map[string]any)
				if !ok {
					*errs = append(*errs, &FieldError{Key: fmt.Sprintf("%s[%d]", path, j), Source: src, Err: fmt.Errorf("must be a table, got %T", el)})
					continue
				}
				overlay(out.Index(j), sub, fmt.Sprintf("%s[%d]", path, j), src, warns, errs)
			}
			fv.Set(out)
		default:
			if err := setLeaf(fv, raw, false); err != nil {
				*errs = append(*errs, &FieldError{Key: path, Source: src, Err: err})
			}
		}
	}
}

var (
	durationType   = reflect.TypeFor[Duration]()
	stringListType = reflect.TypeFor[StringList]()
	unmarshalType  = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// isSection reports whether t is a table rather than a value.
func isSection(t reflect.Type) bool { return t.Kind() == reflect.Struct }

// setLeaf stores raw, a TOML value or (fromEnv) an environment string, in fv.
func setLeaf(fv reflect.Value, raw any, fromEnv bool) error {
	if list, ok := raw.([]any); ok && fv.Type() == stringListType {
		out := make(StringList, 0, len(list))
		for _, el := range list {
			s, ok := el.(string)
			if !ok {
				return fmt.Errorf("expected an array of strings, got an element %T %v", el, el)
			}
			out = append(out, s)
		}
		fv.Set(reflect.ValueOf(out))
		return nil
	}
	if s, ok := raw.(string); ok && reflect.PointerTo(fv.Type()).Implements(unmarshalType) {
		return fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if fv.Type() == durationType {
		return fmt.Errorf("expected a duration string such as \"30 s\", got %v", raw)
	}
	s, isString := raw.(string)
	switch fv.Kind() {
	case reflect.String:
		if !isString {
			return fmt.Errorf("expected a string, got %T %v", raw, raw)
		}
		fv.SetString(s)
	case reflect.Bool:
		switch {
		case fromEnv:
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("expected true or false, got %q", s)
			}
			fv.SetBool(b)
		default:
			b, ok := raw.(bool)
			if !ok {
				return fmt.Errorf("expected true or false, got %T %v", raw, raw)
			}
			fv.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := toInt(raw, fromEnv)
		if err != nil {
			return err
		}
		if fv.OverflowInt(n) {
			return fmt.Errorf("%d is out of range", n)
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := toInt(raw, fromEnv)
		if err != nil {
			return err
		}
		if n < 0 || fv.OverflowUint(uint64(n)) {
			return fmt.Errorf("%d is out of range", n)
		}
		fv.SetUint(uint64(n))
	default:
		return fmt.Errorf("cannot be set from %T", raw)
	}
	return nil
}

func toInt(raw any, fromEnv bool) (int64, error) {
	switch x := raw.(type) {
	case int64:
		return x, nil
	case string:
		if fromEnv {
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("expected an integer, got %q", x)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("expected an integer, got %T %v", raw, raw)
}

// fieldIndex finds the field of struct type t whose toml tag is key.
func fieldIndex(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); tag == key {
			return i, true
		}
	}
	return 0, false
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// Keys returns every settable key path (sections joined with "."), in
// declaration order. Arrays of tables (cluster.nodes) are listed once and
// are set from the environment one element's key at a time (applyNodeEnv).
func Keys() []string { return keysOf(reflect.TypeFor[Config]()) }

// keysOf lists the leaf key paths of struct type t.
func keysOf(t reflect.Type) []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
			path := joinKey(prefix, tag)
			if ft := t.Field(i).Type; isSection(ft) {
				walk(ft, path)
			} else {
				out = append(out, path)
			}
		}
	}
	walk(t, "")
	return out
}

// EnvName returns the environment variable for a key path:
// "tcp.tls.enabled" → "IGGY_TCP_TLS_ENABLED".
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// fieldByPath returns the field of c at a dotted key path of leaves.
func fieldByPath(c *Config, key string) reflect.Value {
	return fieldOf(reflect.ValueOf(c).Elem(), key)
}

// fieldOf returns the field of struct v at a dotted key path.
func fieldOf(v reflect.Value, key string) reflect.Value {
	for _, part := range strings.Split(key, ".") {
		i, _ := fieldIndex(v.Type(), part)
		v = v.Field(i)
	}
	return v
}

// applyEnv overlays IGGY_<SECTION>_<KEY> variables, in sorted order.
func applyEnv(c *Config, env map[string]string, ignore []string, warns *[]string) error {
	known := map[string]string{} // env name → key
	tablesOnly := map[string]string{}
	for _, k := range Keys() {
		if f := fieldByPath(c, k); f.Kind() != reflect.Slice || f.Type() == stringListType {
			known[EnvName(k)] = k
		} else {
			tablesOnly[EnvName(k)] = k
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if !strings.HasPrefix(name, EnvPrefix) || nonConfigEnv[name] || slices.Contains(ignore, name) ||
			slices.ContainsFunc(nonConfigPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		if handled, err := applyNodeEnv(c, name, env[name]); handled {
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if key, ok := tablesOnly[name]; ok {
			*warns = append(*warns, fmt.Sprintf("config: %s (ignored): set %s in a config file or one key at a time, as %s0_NAME", name, key, envNodesPrefix))
			continue
		}
		key, ok := known[name]
		if !ok {
			w := fmt.Sprintf("config: unknown environment variable %s (ignored)", name)
			if s := closest(name, slices.Collect(maps.Keys(known))); s != "" {
				w += "; did you mean " + s + "?"
			}
			*warns = append(*warns, w)
			continue
		}
		if err := setLeaf(fieldByPath(c, key), env[name], true); err != nil {
			errs = append(errs, &FieldError{Key: key, Source: "env " + name, Err: err})
		}
	}
	return errors.Join(errs...)
}

// closest returns the candidate within edit distance 3 of name, if any.
func closest(name string, candidates []string) string {
	best, bestD := "", 4
	slices.Sort(candidates)
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// envNodesPrefix starts Iggy's variables for cluster nodes:
// IGGY_CLUSTER_NODES_<index>_<KEY>, such as IGGY_CLUSTER_NODES_0_NAME or
// IGGY_CLUSTER_NODES_1_PORTS_TCP_REPLICA.
const envNodesPrefix = EnvPrefix + "CLUSTER_NODES_"

// nodeEnvKeys maps a node variable's <KEY> to its key path in Node.
var nodeEnvKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range keysOf(reflect.TypeFor[Node]()) {
		m[strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = k
	}
	return m
}()

// applyNodeEnv sets one IGGY_CLUSTER_NODES_<index>_<KEY> variable, adding
// nodes up to index when the file has fewer (an index below MaxReplicas).
// handled is false for any other variable, including a malformed one,
// which is then warned about as unknown.
func applyNodeEnv(c *Config, name, value string) (handled bool, err error) {
	rest, ok := strings.CutPrefix(name, envNodesPrefix)
	if !ok {
		return false, nil
	}
	index, field, _ := strings.Cut(rest, "_")
	i, err := strconv.Atoi(index)
	key, known := nodeEnvKeys[field]
	if err != nil || i < 0 || i >= MaxReplicas || !known || strconv.Itoa(i) != index {
		return false, nil
	}
	for len(c.Cluster.Nodes) <= i {
		c.Cluster.Nodes = append(c.Cluster.Nodes, Node{})
	}
	path := fmt.Sprintf("cluster.nodes[%d].%s", i, key)
	if err := setLeaf(fieldOf(reflect.ValueOf(&c.Cluster.Nodes[i]).Elem(), key), value, true); err != nil {
		return true, &FieldError{Key: path, Source: "env " + name, Err: err}
	}
	return true, nil
}
