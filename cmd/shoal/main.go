// Command shoal is Shoal's command-line client: shoal ping, me, stats and
// cluster over any transport. Run `shoal help` for the flags.
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
