// Package buildinfo says what a binary was built from (module version, VCS
// revision, Go version), for `ruqi version`, `ruqi-server -version` and the
// server's ready line, so that a report of a problem can name the build.
package buildinfo

import "runtime/debug"

// Info is what Go embeds in every binary it builds.
type Info struct {
	Version   string // module version; "" for a build from a work tree
	Revision  string // VCS revision, its first 12 hex digits; "" when unknown
	Time      string // the revision's commit time
	Modified  bool   // built with uncommitted changes
	GoVersion string
}

// Read reads the build information; false when the binary has none.
func Read() (Info, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{}, false
	}
	i := Info{GoVersion: bi.GoVersion}
	if v := bi.Main.Version; v != "(devel)" {
		i.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
			if len(i.Revision) > 12 {
				i.Revision = i.Revision[:12]
			}
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i, true
}

// Line is what `ruqi version` and `ruqi-server -version` print for program:
// "ruqi v1.2.0 提交 0290b39abcde 2026-12-06T06:00:00Z go1.26.8".
func Line(program string) string {
	i, ok := Read()
	if !ok {
		return program + "（版本未知：构建信息不可用）"
	}
	version := i.Version
	if version == "" {
		version = "开发版"
	}
	line := program + " " + version
	if i.Revision != "" {
		line += " 提交 " + i.Revision
		if i.Modified {
			line += "（含未提交的修改）"
		}
		if i.Time != "" {
			line += " " + i.Time
		}
	}
	return line + " " + i.GoVersion
}

// Short is the build for a log line: the version ("devel" for a work
// tree's), then "+" and the revision, and "+modified" if it had
// uncommitted changes.
func Short() string {
	i, ok := Read()
	if !ok {
		return "unknown"
	}
	s := i.Version
	if s == "" {
		s = "devel"
	}
	if i.Revision != "" {
		s += "+" + i.Revision
	}
	if i.Modified {
		s += "+modified"
	}
	return s
}
