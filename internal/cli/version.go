package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionCommand prints what the binary was built from, so that a report
// of a problem can name it.
func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "显示版本：模块版本、源码提交和 Go 版本",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, versionLine())
			return nil
		},
	}
}

// versionLine reads the build information Go embeds in every binary.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "ruqi（版本未知：构建信息不可用）"
	}
	version := info.Main.Version
	if version == "" || version == "(devel)" {
		version = "开发版"
	}
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "（含未提交的修改）"
			}
		}
	}
	line := "ruqi " + version
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		line += " 提交 " + rev + dirty
		if at != "" {
			line += " " + at
		}
	}
	return line + " " + info.GoVersion
}
