// Command shoal-server runs a Shoal node. With no arguments it serves a
// standalone node on the embedded defaults: TCP 127.0.0.1:8090, QUIC 8080,
// WebSocket 8092, HTTP 3000, data in ./local_data. Configuration comes from
// config.toml (IGGY_CONFIG_PATH) and IGGY_<SECTION>_<KEY> variables.
// --replica-id N picks this process's node of a cluster (the
// [[cluster.nodes]] entry with replica_id N), as Iggy's flag does; it
// overrides cluster.replica_id and IGGY_CLUSTER_REPLICA_ID.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/shoal-io/shoal/internal/config"
	"github.com/shoal-io/shoal/internal/server"
)

func main() {
	var (
		configPath   = flag.String("config", "", "configuration file (default: $IGGY_CONFIG_PATH, else ./config.toml if present)")
		fresh        = flag.Bool("fresh", false, "delete the data directory before starting")
		defaultCreds = flag.Bool("with-default-root-credentials", false, "create the root user as iggy/iggy on first start")
		logLevel     = flag.String("log-level", "info", "debug, info, warn or error")
		version      = flag.Bool("version", false, "print the version and exit")
		replicaID    = flag.Int("replica-id", 0, "this node's replica_id in cluster.nodes (overrides cluster.replica_id); 0 alone is accepted standalone")
	)
	flag.Parse()
	var replica *int // only a flag given on the command line overrides
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "replica-id" {
			replica = replicaID
		}
	})
	if *version {
		fmt.Println("shoal-server", server.Version)
		return
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "shoal-server: -log-level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(log, config.LoadOptions{Path: *configPath, Logger: log, ReplicaID: replica}, *fresh, *defaultCreds); err != nil {
		log.Error("shoal-server failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, load config.LoadOptions, fresh, defaultCreds bool) error {
	cfg, rep, err := config.Load(load)
	if err != nil {
		return err
	}
	if rep.File != "" {
		log.Info("configuration read", "file", rep.File)
	}
	opts, err := server.FromConfig(cfg)
	if err != nil {
		return err
	}
	opts.Logger = log
	opts.Root = server.RootCredentials{
		Username: os.Getenv("IGGY_ROOT_USERNAME"),
		Password: os.Getenv("IGGY_ROOT_PASSWORD"),
		Default:  defaultCreds,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return server.Run(ctx, opts, fresh)
}
