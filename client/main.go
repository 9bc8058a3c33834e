// Command ruqi is the command-line client of the ruqi service (扫码入企).
package main

import (
	"os"

	"github.com/ruqi/ruqi/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
