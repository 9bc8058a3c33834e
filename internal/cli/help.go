package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageTemplate is cobra's default usage template in Chinese, with flag
// lists printed by flagUsages so that defaults and environment variables are
// in Chinese too.
const usageTemplate = `用法：{{if and .Runnable (not .HasAvailableSubCommands)}}
  {{.UseLine}} [参数]{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} <命令> [参数]{{end}}{{if gt (len .Aliases) 0}}

别名：
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

示例：
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

命令：{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

参数：
{{flagUsages .LocalFlags}}{{end}}{{if .HasAvailableInheritedFlags}}

全局参数：
{{flagUsages .InheritedFlags}}{{end}}{{if .HasAvailableSubCommands}}

运行 "{{.CommandPath}} <命令> --help" 查看命令的详细用法。{{end}}
`

func init() {
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// localize puts the Chinese help flag and usage template on every command.
// It runs once the tree is built, before cobra adds its English defaults.
func localize(root *cobra.Command) {
	root.SetUsageTemplate(usageTemplate)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		if c.Flags().Lookup("help") == nil {
			c.Flags().BoolP("help", "h", false, "显示帮助")
		}
		if c.RunE != nil {
			c.RunE = wrapRunE(c.RunE)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// flagUsages formats a flag set like pflag's FlagUsages, in Chinese: the
// default value and the environment variable follow the description.
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, right string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		var left strings.Builder
		if f.Shorthand != "" {
			fmt.Fprintf(&left, "  -%s, --%s", f.Shorthand, f.Name)
		} else {
			fmt.Fprintf(&left, "      --%s", f.Name)
		}
		varname, usage := unquoteUsage(f)
		if f.Value.Type() != "bool" && varname != "" {
			left.WriteString(" " + varname)
		}
		var notes []string
		if d := f.DefValue; d != "" && d != "[]" && d != "0" && d != "0s" && d != "false" {
			notes = append(notes, "默认 "+d)
		}
		if envs := f.Annotations[envAnnotation]; len(envs) > 0 {
			notes = append(notes, "环境变量 "+envs[0])
		}
		if len(notes) > 0 {
			usage += "（" + strings.Join(notes, "；") + "）"
		}
		lines = append(lines, line{left.String(), usage})
		width = max(width, displayWidth(left.String()))
	})
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.left)
		b.WriteString(strings.Repeat(" ", width-displayWidth(l.left)+3))
		b.WriteString(l.right)
	}
	return b.String()
}

// unquoteUsage takes the placeholder written in back quotes out of a
// flag's usage text: "检查开始时间 `TIME`（必填）" gives "TIME" and
// "检查开始时间（必填）". Unlike pflag.UnquoteUsage it does not leave the
// placeholder in the sentence, which reads badly in Chinese.
func unquoteUsage(f *pflag.Flag) (name, usage string) {
	usage = f.Usage
	start := strings.IndexByte(usage, '`')
	if start >= 0 {
		if n := strings.IndexByte(usage[start+1:], '`'); n >= 0 {
			name = usage[start+1 : start+1+n]
			usage = strings.TrimRight(usage[:start], " ") + usage[start+1+n+1:]
			return name, strings.TrimSpace(usage)
		}
	}
	name, _ = pflag.UnquoteUsage(f)
	return name, usage
}

// displayWidth counts East Asian wide characters as two columns, enough to
// align help text.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// helpCommand replaces cobra's English help command.
func helpCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "help [命令]",
		Short: "显示任一命令的帮助",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usagef("没有这个命令：%s", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	}
	c.Flags().BoolP("help", "h", false, "显示帮助")
	return c
}

// completionCommand replaces cobra's English completion command.
func completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "生成 shell 自动补全脚本",
		Long:      "生成 shell 自动补全脚本，例如：\n  source <(ruqi completion bash)",
		Args:      exactArgs(1, "shell 名称"),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usagef("不支持的 shell %q：请用 bash、zsh、fish 或 powershell", args[0])
		},
	}
}
