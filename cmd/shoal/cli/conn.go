package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shoal-io/shoal/client"
)

// command is one subcommand.
type command struct {
	name, usage string
	run         func(ctx context.Context, c *client.Client, out io.Writer, args []string) error
	login       bool // needs a logged-in session
}

var commands = []command{
	{name: "ping", usage: "round-trip a Ping (no login needed)", run: runPing},
	{name: "me", usage: "show this connection as the server sees it", run: runMe, login: true},
	{name: "stats", usage: "show server statistics", run: runStats, login: true},
	{name: "cluster", usage: "show the cluster's nodes", run: runCluster, login: true},
	{name: "stream", usage: "streams: create NAME | list | get STREAM | update STREAM NEW_NAME | delete STREAM", run: runStream, login: true},
	{name: "topic", usage: "topics: create STREAM NAME [--partitions N] [--option k=v]... | list STREAM | get|delete STREAM TOPIC |\n           update STREAM TOPIC [--name N] [--option k=v]...", run: runTopic, login: true},
	{name: "partition", usage: "partitions: create|delete STREAM TOPIC [--count N] (delete removes the last N)", run: runPartition, login: true},
	{name: "segment", usage: "segments: delete STREAM TOPIC [--partition N] [--count N] (the oldest sealed ones)", run: runSegment, login: true},
	{name: "send", usage: "STREAM TOPIC [--partition N | --key K] [--header k=v]... [MESSAGE...]; no MESSAGE: one per line from stdin", run: runSend, login: true},
	{name: "user", usage: "users: create NAME --new-password P [--inactive] | list | get USER | update USER [--name N] [--status active|inactive] |\n           passwd USER --current-password C --new-password P | permissions USER [--global g,..] [--stream ID:g,..] |\n           delete USER", run: runUser, login: true},
	{name: "token", usage: "personal access tokens: create NAME [--expiry 720h] | list | delete NAME (log in with --token)", run: runToken, login: true},
	{name: "poll", usage: "STREAM TOPIC [--partition N] [--consumer ID] [--offset N|--timestamp T|--first|--last|--next] [--count N] [--follow]", run: runPoll, login: true},
}

// connFlags are the flags every command takes. Defaults come from the
// environment: IGGY_TRANSPORT, IGGY_ADDRESS (or IGGY_TCP_ADDRESS),
// IGGY_USERNAME, IGGY_PASSWORD, IGGY_TOKEN, IGGY_TLS_CA_FILE. The address
// may list a cluster's nodes, comma-separated (package client follows the
// leader).
type connFlags struct {
	transport, address, username, password, token, caFile, serverName string
	insecure                                                          bool
	timeout                                                           time.Duration
}

func (f *connFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	env := func(def string, keys ...string) string {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				return v
			}
		}
		return def
	}
	fs.StringVar(&f.transport, "transport", env("tcp", "IGGY_TRANSPORT"), "tcp, tls, ws, wss or quic")
	fs.StringVar(&f.address, "address", env("", "IGGY_ADDRESS", "IGGY_TCP_ADDRESS"), "server address, or a cluster's nodes comma-separated: the first that answers is used and the client moves to the leader (default by transport: tcp/tls 127.0.0.1:8090, ws/wss 127.0.0.1:8092, quic 127.0.0.1:8080)")
	fs.StringVar(&f.username, "username", env("iggy", "IGGY_USERNAME"), "user to log in as")
	fs.StringVar(&f.password, "password", env("", "IGGY_PASSWORD"), "password (default $IGGY_PASSWORD)")
	fs.StringVar(&f.token, "token", env("", "IGGY_TOKEN"), "log in with this personal access token instead of a password (default $IGGY_TOKEN)")
	fs.StringVar(&f.caFile, "tls-ca-file", env("", "IGGY_TLS_CA_FILE"), "PEM CA certificate to verify the server with")
	fs.StringVar(&f.serverName, "tls-server-name", "", "server name to verify (default: the address's host)")
	fs.BoolVar(&f.insecure, "tls-insecure", false, "do not verify the server certificate (testing only)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "deadline for the whole command")
}

func (f *connFlags) defaultAddress() string {
	switch client.Transport(f.transport) {
	case client.WS, client.WSS:
		return "127.0.0.1:8092"
	case client.QUIC:
		return "127.0.0.1:8080"
	}
	return "127.0.0.1:8090"
}

func (f *connFlags) tlsConfig() (*tls.Config, error) {
	if f.caFile == "" && f.serverName == "" && !f.insecure {
		return nil, nil
	}
	c := &tls.Config{ServerName: f.serverName, InsecureSkipVerify: f.insecure, MinVersion: tls.VersionTLS12}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", f.caFile)
		}
	}
	// An empty ServerName is each address's host, as the transports
	// default it: --address may name several servers.
	return c, nil
}

// Run runs the shoal command with args (without the program name), writing
// results to out. getenv reads the environment.
func Run(args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return nil
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		usage(out)
		return fmt.Errorf("unknown command %q", args[0])
	}
	fs := flag.NewFlagSet("shoal "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(out)
	var cf connFlags
	cf.register(fs, getenv)
	if err := fs.Parse(hoistFlags(fs, args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cf.address == "" {
		cf.address = cf.defaultAddress()
	}
	tc, err := cf.tlsConfig()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	opts := []client.Option{client.WithTransport(client.Transport(cf.transport)), client.WithHeartbeat(0),
		client.WithReconnect(false), client.WithTLSConfig(tc)}
	if cmd.login {
		switch {
		case cf.token != "":
			opts = append(opts, client.WithToken(cf.token))
		case cf.password == "":
			return errors.New("a password or a token is needed: --password or IGGY_PASSWORD, --token or IGGY_TOKEN")
		default:
			opts = append(opts, client.WithCredentials(cf.username, cf.password))
		}
	}
	c, err := client.Dial(ctx, cf.address, opts...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", cf.transport, cf.address, err)
	}
	defer c.Close()
	return cmd.run(ctx, c, out, fs.Args())
}

// hoistFlags moves the connection flags (those fs defines) to the front,
// wherever they were given, so `shoal topic create s t --address X` works
// as well as `shoal topic --address X create s t`. Everything else keeps its
// order; "--" ends the scan.
func hoistFlags(fs *flag.FlagSet, args []string) []string {
	var conn, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, hasValue := strings.CutPrefix(strings.TrimPrefix(a, "-"), "-")
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			name = strings.TrimPrefix(a, "-")
		}
		name, _, inline := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			rest = append(rest, a)
			continue
		}
		conn = append(conn, a)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !inline && !(ok && bf.IsBoolFlag()) && i+1 < len(args) {
			i++
			conn = append(conn, args[i])
		}
	}
	return append(conn, rest...)
}

func usage(out io.Writer) {
	fmt.Fprintln(out, "usage: shoal <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(out, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(out, "\nflags (every command): --transport, --address, --username, --password, --token, --tls-ca-file,")
	fmt.Fprintln(out, "  --tls-server-name, --tls-insecure, --timeout; `shoal <command> -h` lists them with defaults.")
	fmt.Fprintln(out, "  --address a,b,c names a cluster's nodes: the first that answers, then the leader, is used.")
	fmt.Fprintln(out, "environment: IGGY_TRANSPORT, IGGY_ADDRESS, IGGY_USERNAME, IGGY_PASSWORD, IGGY_TOKEN, IGGY_TLS_CA_FILE")
}
