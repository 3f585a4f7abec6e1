// Command shoal is Shoal's command-line client over any transport: ping,
// me, stats, cluster; stream, topic and partition management; send and poll
// (with --follow). Run `shoal help` for the commands and flags.
package main

import (
	"fmt"
	"os"

	"github.com/shoal-io/shoal/cmd/shoal/cli"
)

func main() {
	if err := cli.Run(os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "shoal:", err)
		os.Exit(1)
	}
}
