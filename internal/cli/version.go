package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ruqi/ruqi/internal/buildinfo"
)

// versionCommand prints what the binary was built from, so that a report
// of a problem can name it.
func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "显示版本：模块版本、源码提交和 Go 版本",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, buildinfo.Line("ruqi"))
			return nil
		},
	}
}
