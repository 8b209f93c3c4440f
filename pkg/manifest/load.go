package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// Kinds understood by the loader.
const (
	KindPipeline  = "MFNPipeline"
	KindConnector = "Connector"
	KindPublisher = "Publisher"
	KindSecret    = "Secret"
)

// maxManifestBytes bounds one manifest file.
const maxManifestBytes = 8 << 20

// Set is the objects found in a collection of manifests, by metadata.name.
type Set struct {
	Pipelines  map[string]*v1alpha1.MFNPipeline
	Connectors map[string]*v1alpha1.Connector
	Publishers map[string]*v1alpha1.Publisher
	Secrets    map[string]*corev1.Secret
	// Skipped lists documents of other kinds ("file#doc: Kind name"), which
	// are ignored so that a directory may hold unrelated manifests.
	Skipped []string

	sources map[string]string // "Kind/name" → where it was defined
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{
		Pipelines:  map[string]*v1alpha1.MFNPipeline{},
		Connectors: map[string]*v1alpha1.Connector{},
		Publishers: map[string]*v1alpha1.Publisher{},
		Secrets:    map[string]*corev1.Secret{},
		sources:    map[string]string{},
	}
}

// LoadFiles reads every path: a file, or a directory whose *.yaml, *.yml
// and *.json files are read in name order (not recursively).
func LoadFiles(paths ...string) (*Set, error) {
	s := NewSet()
	for _, p := range paths {
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := readLimited(f)
			if err != nil {
				return nil, err
			}
			if err := s.Add(data, f); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func manifestFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("manifest: no *.yaml, *.yml or *.json file in directory %s", path)
	}
	slices.Sort(files)
	return files, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("manifest: read %s: %w", path, err)
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("manifest: %s is larger than %d bytes", path, maxManifestBytes)
	}
	return data, nil
}

// Add parses the documents of one multi-document YAML (or JSON) text and
// adds them to s. source names the text in error messages.
func (s *Set) Add(data []byte, source string) error {
	for i, doc := range splitDocuments(data) {
		where := fmt.Sprintf("%s#%d", source, i+1)
		if err := s.addDocument(doc, where); err != nil {
			return err
		}
	}
	return nil
}

type header struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func (s *Set) addDocument(doc []byte, where string) error {
	var h header
	if err := yaml.Unmarshal(doc, &h); err != nil {
		return fmt.Errorf("manifest: %s: %w", where, err)
	}
	if h.Kind == "" && h.APIVersion == "" && h.Metadata.Name == "" {
		return nil // empty or comment-only document
	}
	gv := v1alpha1.GroupVersion.String()
	switch {
	case h.Kind == KindSecret && h.APIVersion == "v1":
	case h.Kind == KindPipeline || h.Kind == KindConnector || h.Kind == KindPublisher:
		if h.APIVersion != gv {
			return fmt.Errorf("manifest: %s: %s %q: apiVersion must be %s, got %q", where, h.Kind, h.Metadata.Name, gv, h.APIVersion)
		}
	default:
		s.Skipped = append(s.Skipped, fmt.Sprintf("%s: %s %s", where, h.Kind, h.Metadata.Name))
		return nil
	}
	if h.Metadata.Name == "" {
		return fmt.Errorf("manifest: %s: %s: metadata.name is required", where, h.Kind)
	}
	key := h.Kind + "/" + h.Metadata.Name
	if prev, dup := s.sources[key]; dup {
		return fmt.Errorf("manifest: %s: %s %q is already defined in %s", where, h.Kind, h.Metadata.Name, prev)
	}
	s.sources[key] = where
	var err error
	switch h.Kind {
	case KindPipeline:
		err = decodeInto(doc, where, s.Pipelines, h.Metadata.Name)
	case KindConnector:
		err = decodeInto(doc, where, s.Connectors, h.Metadata.Name)
	case KindPublisher:
		err = decodeInto(doc, where, s.Publishers, h.Metadata.Name)
	case KindSecret:
		err = decodeInto(doc, where, s.Secrets, h.Metadata.Name)
	}
	return err
}

// decodeInto decodes doc strictly (an unknown field is an error naming it).
func decodeInto[T any](doc []byte, where string, into map[string]*T, name string) error {
	obj := new(T)
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fmt.Errorf("manifest: %s: %s: %w", where, name, err)
	}
	strict, err := sigsjson.UnmarshalStrict(js, obj)
	if err != nil {
		return fmt.Errorf("manifest: %s: %s: %w", where, name, err)
	}
	if len(strict) > 0 {
		return fmt.Errorf("manifest: %s: %s: %w", where, name, errors.Join(strict...))
	}
	into[name] = obj
	return nil
}

// splitDocuments splits a YAML stream on lines that are exactly "---"
// (optionally followed by a comment or spaces).
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), maxManifestBytes)
	for sc.Scan() {
		line := sc.Bytes()
		if isSeparator(line) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	docs = append(docs, cur.Bytes())
	// Drop documents that hold nothing but blanks and comments.
	out := docs[:0]
	for _, d := range docs {
		if !blankYAML(d) {
			out = append(out, d)
		}
	}
	return out
}

func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimSpace(rest)
	return len(rest) == 0 || rest[0] == '#'
}

func blankYAML(d []byte) bool {
	for line := range bytes.SplitSeq(d, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}

// errNoPipeline is returned by Resolve when the set holds no MFNPipeline.
var errNoPipeline = errors.New("manifest: no MFNPipeline found")
