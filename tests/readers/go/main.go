// Portable-YAML differential readers in Go (see tests/readers/README.md): a server written
// from docs/FORMAT.md decodes security.yml into typed structs.
//
// Usage: reader yaml.v3|yaml.v2|sigs-yaml, then one file path a line on stdin; prints one
// line of canonical JSON a file: {"ok": {...}} or {"error": "..."}.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

type PreviousHash struct {
	Hash      string     `yaml:"hash" json:"hash"`
	ExpiresAt *time.Time `yaml:"expiresAt" json:"expiresAt"`
}

type Key struct {
	Description    *string        `yaml:"description" json:"description"`
	Enabled        *bool          `yaml:"enabled" json:"enabled"`
	Permissions    []string       `yaml:"permissions" json:"permissions"`
	Hash           string         `yaml:"hash" json:"hash"`
	CreatedAt      *time.Time     `yaml:"createdAt" json:"createdAt"`
	ExpiresAt      *time.Time     `yaml:"expiresAt" json:"expiresAt"`
	AllowedIPs     []string       `yaml:"allowedIps" json:"allowedIps"`
	PathPrefix     *string        `yaml:"pathPrefix" json:"pathPrefix"`
	Resources      []string       `yaml:"resources" json:"resources"`
	PreviousHashes []PreviousHash `yaml:"previousHashes" json:"previousHashes"`
}

type File struct {
	Version     *int           `yaml:"version" json:"version"`
	TokenPrefix *string        `yaml:"tokenPrefix" json:"tokenPrefix"`
	Permissions []string       `yaml:"permissions" json:"permissions"`
	APIKeys     map[string]Key `yaml:"apiKeys" json:"apiKeys"`
}

func instant(t *time.Time) interface{} {
	return map[string]string{"time": t.UTC().Format("2006-01-02T15:04:05.000000000Z")}
}

func view(f *File) map[string]interface{} {
	out := map[string]interface{}{}
	if f.Version != nil {
		out["version"] = map[string]string{"int": fmt.Sprint(*f.Version)}
	}
	if f.TokenPrefix != nil {
		out["tokenPrefix"] = *f.TokenPrefix
	}
	if f.Permissions != nil {
		out["permissions"] = f.Permissions
	}
	// A nil map (absent or null) is no keys to a Go server: it ranges over nothing.
	keys := map[string]interface{}{}
	for name, k := range f.APIKeys {
		e := map[string]interface{}{"hash": k.Hash}
		if k.Description != nil {
			e["description"] = *k.Description
		}
		if k.Enabled != nil {
			e["enabled"] = *k.Enabled
		}
		if k.Permissions != nil {
			e["permissions"] = k.Permissions
		}
		if k.CreatedAt != nil {
			e["createdAt"] = instant(k.CreatedAt)
		}
		if k.ExpiresAt != nil {
			e["expiresAt"] = instant(k.ExpiresAt)
		}
		if k.AllowedIPs != nil {
			e["allowedIps"] = k.AllowedIPs
		}
		if k.PathPrefix != nil {
			e["pathPrefix"] = *k.PathPrefix
		}
		if k.Resources != nil {
			e["resources"] = k.Resources
		}
		if k.PreviousHashes != nil {
			prev := []interface{}{}
			for _, p := range k.PreviousHashes {
				pe := map[string]interface{}{"hash": p.Hash}
				if p.ExpiresAt != nil {
					pe["expiresAt"] = instant(p.ExpiresAt)
				}
				prev = append(prev, pe)
			}
			e["previousHashes"] = prev
		}
		keys[name] = e
	}
	out["apiKeys"] = keys
	return out
}

func main() {
	var unmarshal func([]byte, interface{}) error
	switch os.Args[1] {
	case "yaml.v3":
		unmarshal = yamlv3.Unmarshal
	case "yaml.v2":
		unmarshal = yamlv2.Unmarshal
	case "sigs-yaml":
		unmarshal = func(b []byte, v interface{}) error { return sigsyaml.Unmarshal(b, v) }
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		path := in.Text()
		if path == "" {
			continue
		}
		var res interface{}
		data, err := os.ReadFile(path)
		if err == nil {
			var f File
			err = func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				return unmarshal(data, &f)
			}()
			if err == nil {
				res = map[string]interface{}{"ok": view(&f)}
			}
		}
		if err != nil {
			msg := strings.Join(strings.Fields(err.Error()), " ")
			if len(msg) > 400 {
				msg = msg[:400]
			}
			res = map[string]string{"error": msg}
		}
		b, _ := json.Marshal(res)
		w.Write(b)
		w.WriteString("\n")
		w.Flush()
	}
}
