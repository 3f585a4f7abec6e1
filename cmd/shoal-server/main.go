// Command shoal-server runs a Shoal node. With no arguments it serves a
// standalone node on the embedded defaults: TCP 127.0.0.1:8090, QUIC 8080,
// WebSocket 8092, HTTP 3000, data in ./local_data. Configuration comes from
// config.toml (IGGY_CONFIG_PATH) and IGGY_<SECTION>_<KEY> variables.
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
	)
	flag.Parse()
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
	if err := run(log, *configPath, *fresh, *defaultCreds); err != nil {
		log.Error("shoal-server failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, configPath string, fresh, defaultCreds bool) error {
	cfg, rep, err := config.Load(config.LoadOptions{Path: configPath, Logger: log})
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
