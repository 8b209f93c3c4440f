package image_test

import (
	"bufio"
	"go/build"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var repoRoot = filepath.Join("..", "..")

// instruction is one Dockerfile instruction with continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, COPY, RUN…
	args string
}

// stage is the instructions of one FROM … section.
type stage struct {
	name  string
	image string
	ins   []instruction
}

func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var (
		stages []stage
		buf    strings.Builder
		start  int
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if buf.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(cont + " ")
			continue
		}
		buf.WriteString(line)
		cmd, args, _ := strings.Cut(buf.String(), " ")
		buf.Reset()
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			fields := withoutFlags(strings.Fields(in.args))
			st := stage{image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile:%d: %s before FROM", start, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 {
		t.Fatalf("want a builder and a final stage, got %d stages", len(stages))
	}
	return stages
}

// withoutFlags drops leading --flag=value arguments.
func withoutFlags(fields []string) []string {
	for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
		fields = fields[1:]
	}
	return fields
}

// copyFrom returns the --from stage of a COPY ("" for the build context).
func copyFrom(args string) string {
	for _, f := range strings.Fields(args) {
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			return v
		}
	}
	return ""
}

// dockerignore reads the patterns of .dockerignore.
func dockerignore(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			pats = append(pats, line)
		}
	}
	return pats
}

// ignored applies .dockerignore patterns the way Docker does for a
// top-level path: the last matching pattern wins, "!" re-includes, and a
// pattern that matches a directory covers everything below it.
func ignored(pats []string, p string) bool {
	p = path.Clean(p)
	out := false
	for _, pat := range pats {
		neg := strings.HasPrefix(pat, "!")
		pat = path.Clean(strings.TrimPrefix(pat, "!"))
		for q := p; q != "." && q != "/"; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				out = !neg
				break
			}
		}
	}
	return out
}

func TestCopySourcesExist(t *testing.T) {
	pats := dockerignore(t)
	builtOutputs := map[string]bool{}
	for _, st := range parseDockerfile(t) {
		for _, in := range st.ins {
			if in.cmd == "RUN" {
				for _, b := range goBuilds(in.args) {
					builtOutputs[b.output] = true
				}
			}
			if in.cmd != "COPY" && in.cmd != "ADD" {
				continue
			}
			fields := withoutFlags(strings.Fields(in.args))
			if len(fields) < 2 {
				t.Fatalf("Dockerfile:%d: COPY needs a source and a destination", in.line)
			}
			for _, src := range fields[:len(fields)-1] {
				if copyFrom(in.args) != "" {
					if !builtOutputs[src] {
						t.Errorf("Dockerfile:%d: %s is copied from the builder but no go build writes it", in.line, src)
					}
					continue
				}
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("Dockerfile:%d: COPY source %s does not exist in the repository", in.line, src)
				}
				if ignored(pats, src) {
					t.Errorf("Dockerfile:%d: COPY source %s is excluded by .dockerignore", in.line, src)
				}
			}
		}
	}
	if len(builtOutputs) == 0 {
		t.Fatal("no go build found in the Dockerfile")
	}
}

// goBuild is one `go build -o OUTPUT PACKAGE` inside a RUN instruction.
type goBuild struct {
	env     string
	output  string
	pkgPath string
}

var goBuildRE = regexp.MustCompile(`((?:[A-Z_]+=\S+\s+)*)go build ([^&;]*)`)

func goBuilds(run string) []goBuild {
	var out []goBuild
	for _, m := range goBuildRE.FindAllStringSubmatch(run, -1) {
		b := goBuild{env: m[1]}
		fields := strings.Fields(m[2])
		for i := 0; i < len(fields); i++ {
			switch {
			case fields[i] == "-o" && i+1 < len(fields):
				b.output = fields[i+1]
				i++
			case strings.HasPrefix(fields[i], "./"):
				b.pkgPath = fields[i]
			}
		}
		out = append(out, b)
	}
	return out
}

func TestBuildTargetsAreMainPackages(t *testing.T) {
	stages := parseDockerfile(t)
	var builds []goBuild
	for _, in := range stages[0].ins {
		if in.cmd == "RUN" {
			builds = append(builds, goBuilds(in.args)...)
		}
	}
	var pkgs []string
	for _, b := range builds {
		pkgs = append(pkgs, b.pkgPath)
		if !strings.Contains(b.env, "CGO_ENABLED=0") {
			t.Errorf("go build %s runs without CGO_ENABLED=0: the binary would not be static", b.pkgPath)
		}
		pkg, err := build.ImportDir(filepath.Join(repoRoot, b.pkgPath), 0)
		if err != nil {
			t.Errorf("the Dockerfile builds %s (-o %s) but it is not a Go package: %v", b.pkgPath, b.output, err)
			continue
		}
		if pkg.Name != "main" {
			t.Errorf("build target %s is package %s, not main", b.pkgPath, pkg.Name)
		}
	}
	slices.Sort(pkgs)
	if want := []string{"./cmd", "./cmd/mfn"}; !slices.Equal(pkgs, want) {
		t.Errorf("go build targets %v, want %v", pkgs, want)
	}
}

func TestStages(t *testing.T) {
	stages := parseDockerfile(t)
	builder, final := stages[0], stages[1]
	if !strings.HasPrefix(builder.image, "golang:1.26") {
		t.Errorf("builder image %s, want golang:1.26", builder.image)
	}
	if final.image != "gcr.io/distroless/static:nonroot" {
		t.Errorf("final image %s, want gcr.io/distroless/static:nonroot", final.image)
	}
	var user, entry string
	copied := map[string]bool{}
	for _, in := range final.ins {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		case "COPY":
			if copyFrom(in.args) != builder.name {
				t.Errorf("Dockerfile:%d: the final stage copies from %q, want the builder stage %q",
					in.line, copyFrom(in.args), builder.name)
			}
			fields := withoutFlags(strings.Fields(in.args))
			copied[fields[len(fields)-1]] = true
		case "RUN":
			t.Errorf("Dockerfile:%d: RUN in the distroless stage (it has no shell)", in.line)
		}
	}
	if user != "65532:65532" {
		t.Errorf("USER %q, want 65532:65532", user)
	}
	if !copied["/manager"] || !copied["/mfn"] {
		t.Errorf("final stage holds %v, want /manager and /mfn", copied)
	}
	if entry != `["/manager"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/manager\"]", entry)
	}
}

func TestIgnoredMatchesDockerRules(t *testing.T) {
	pats := []string{"*", "!pkg/", "pkg/secret", "!go.mod"}
	for p, want := range map[string]bool{
		"bin":            true,
		"pkg":            false,
		"pkg/sim":        false,
		"pkg/secret":     true,
		"pkg/secret/key": true,
		"go.mod":         false,
		"go.sum":         true,
	} {
		if got := ignored(pats, p); got != want {
			t.Errorf("ignored(%q) = %v, want %v", p, got, want)
		}
	}
}
