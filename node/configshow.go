package node

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// secretKeys are masked wherever a configuration is shown.
var secretKeys = map[string]bool{
	"redis.password":          true,
	"redis.sentinel.password": true,
	"chat.irc.password":       true,
	"http.admin_token":        true,
	"webhooks.github.secret":  true,
	"cluster.secret":          true,
	"chat.http.secret":        true,
}

// Setting is one effective configuration value, ready to print.
type Setting struct {
	Key   string
	Value string
}

// Settings lists every key of cfg with its value, secrets masked, sorted
// by key.
func Settings(cfg Config) []Setting {
	var out []Setting
	walk(reflect.ValueOf(cfg), "", func(key string, v reflect.Value) {
		out = append(out, Setting{Key: key, Value: show(key, v)})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func walk(v reflect.Value, prefix string, visit func(string, reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("koanf")
		if tag == "" || tag == "-" {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			walk(f, prefix+tag+".", visit)
			continue
		}
		visit(prefix+tag, f)
	}
}

func show(key string, v reflect.Value) string {
	if secretKeys[key] {
		if v.String() == "" {
			return `""`
		}
		return "******"
	}
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
		// Entries may hold secrets of their own; show how many there are.
		return fmt.Sprintf("[%d entries]", v.Len())
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String {
		items := make([]string, v.Len())
		for i := range items {
			items[i] = fmt.Sprintf("%q", v.Index(i).String())
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}
